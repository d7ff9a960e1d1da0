"""Writing it all: case numbers that continue the day counters, and bulk inserts."""

from django.utils import timezone

from gongzhi.cases.demo.plan import Item
from gongzhi.cases.demo.world import DISTRICT, World
from gongzhi.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    ExtensionRequest,
)

# -- writing it all -----------------------------------------------------------------


def number(w: World, items: list[Item]) -> tuple[list[str], dict]:
    """SJ + local date + the day's sequence, continuing the stored counters."""
    days = {timezone.localtime(it.at, w.tz).date() for it in items}
    last = dict(CaseCounter.objects.filter(day__in=days).values_list("day", "last"))
    stored = set(last)
    numbers = []
    for it in items:
        day = timezone.localtime(it.at, w.tz).date()
        last[day] = last.get(day, 0) + 1
        numbers.append(f"SJ{day:%Y%m%d}{last[day]:06d}")
    return numbers, {"last": last, "stored": stored}


def write(items: list[Item], counters: dict) -> None:
    cases = [it.case for it in items]
    Case.objects.bulk_create(cases, batch_size=500)
    ids = dict(Case.objects.filter(org_code__within=DISTRICT).values_list("number", "id"))
    for case in cases:
        case.pk = case.id = ids[case.number]
    linked = []
    for it in items:
        merged = it.sim.merged_into
        if it.first is not None or merged is not None:
            it.case.repeat_of_id = it.first.case.pk if it.first is not None else None
            it.case.merged_into_id = merged.case.pk if merged is not None else None
            linked.append(it.case)
    Case.objects.bulk_update(linked, ["repeat_of", "merged_into"], batch_size=500)
    events, requests = [], []
    for it in items:
        for ev in sorted(it.sim.events, key=lambda e: e.at):
            ev.case_id = it.case.pk
            events.append(ev)
        for req in it.sim.requests:
            req.case_id = it.case.pk
            requests.append(req)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    ExtensionRequest.objects.bulk_create(requests, batch_size=500)
    last, stored = counters["last"], counters["stored"]
    for day, n in last.items():
        if day in stored:
            CaseCounter.objects.filter(day=day, last__lt=n).update(last=n)
    CaseCounter.objects.bulk_create(
        [CaseCounter(day=day, last=n) for day, n in last.items() if day not in stored],
        batch_size=500,
    )
