"""The volunteers' demo on the small demo district: teams, ~50 partners, a year of
activities and patrols whose figures are sums of the records; quick; twice changes
nothing."""

import time
from io import StringIO

from django.core.management import call_command
from django.db.models import Count, F, Sum

from gongzhi.core.manifest import demo_steps, register_demo_step, unregister_demo_step
from gongzhi.patrols.models import Patrol
from gongzhi.volunteers.models import (
    Activity,
    HourRecord,
    Participation,
    ParticipationState,
    Partner,
    Team,
    Volunteer,
)


def test_volunteers_demo(db):
    step = next(s for s in demo_steps() if s.name == "volunteers")
    unregister_demo_step("volunteers")
    try:
        call_command("demo", "--small", stdout=StringIO())
    finally:
        register_demo_step(step.order, step.name, step.run)
    started = time.monotonic()
    step.run(lambda *_: None)
    took = time.monotonic() - started
    print(f"volunteers demo step: {took:.1f} s")
    assert took < 20
    assert Team.objects.count() == 3
    assert Partner.objects.count() >= 45
    assert set(Partner.objects.values_list("kind", flat=True)) >= {
        "institution",
        "cobuilding",
        "merchant",
        "party",
        "professional",
        "community",
    }
    assert Activity.objects.count() > 100
    assert Patrol.objects.filter(source="volunteers.activity").count() >= 50
    full = Activity.objects.annotate(n=Count("participations", filter=models_q())).exclude(
        n=F("confirmed")
    )
    assert not full.exists()
    assert not Activity.objects.filter(confirmed__gt=F("capacity")).exists()
    assert not HourRecord.objects.filter(minutes__gt=180).exists()
    assert Participation.objects.filter(checked_in_at__isnull=False).count() > 500
    assert HourRecord.objects.aggregate(m=Sum("minutes"))["m"] > 500 * 60
    before = Volunteer.objects.count()
    started = time.monotonic()
    step.run(lambda *_: None)
    assert time.monotonic() - started < 1  # idempotent: nothing done the second time
    assert Volunteer.objects.count() == before


def models_q():
    from django.db.models import Q

    return Q(participations__state=ParticipationState.CONFIRMED)
