"""The care demo on the small demo district: plans, a year of visits (wangge01's 50 this
year), 30 wishes in every state; running it twice changes nothing."""

from collections import Counter

from django.db.models import Count

from gongzhi.accounts.models import User
from gongzhi.care import selectors
from gongzhi.care.models import ScheduledVisit, Visit, VisitPlan, Wish


def test_care_demo(small_demo):
    assert VisitPlan.objects.count() == 3
    assert Visit.objects.count() > 200
    wangge = User.objects.get(username="wangge01")
    assert selectors.worker_count_this_year(wangge) == 50
    states = Counter(Wish.objects.values_list("state", flat=True))
    assert sum(states.values()) == 30
    assert set(states) == {"collected", "rejected", "case", "published", "claimed",
                           "fulfilled", "confirmed"}  # fmt: skip
    assert Wish.objects.filter(followed_up_at__isnull=False).exists()
    dupes = ScheduledVisit.objects.values("plan", "resident", "window_start").annotate(
        n=Count("pk")
    ).filter(n__gt=1)  # fmt: skip
    assert not dupes.exists()
    assert all(v.visited_at < v.received_at for v in Visit.objects.all()[:100])
