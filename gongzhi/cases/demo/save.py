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


def write(lives: list, counters: dict) -> None:
    """What the simulation decided, in bulk: the cases, their links (a repeat to the first
    case of its chain, a duplicate to the case it was merged into: both earlier cases,
    whose ids are known only once they are written), the timeline and the extension
    requests; then the day counters."""
    cases = [life.case for life in lives]
    links = [(c, c.repeat_of, c.merged_into) for c in cases if c.is_repeat or c.merged_into]
    for case, _first, _into in links:
        case.repeat_of = case.merged_into = None
    Case.objects.bulk_create(cases, batch_size=500)
    ids = dict(Case.objects.filter(org_code__within=DISTRICT).values_list("number", "id"))
    for case in cases:
        case.pk = case.id = ids[case.number]
    for case, first, into in links:
        case.repeat_of, case.merged_into = first, into
    Case.objects.bulk_update([c for c, *_ in links], ["repeat_of", "merged_into"], batch_size=500)
    events, requests = [], []
    for life in lives:
        for ev in sorted(life.events, key=lambda e: e.at):
            ev.case_id = ev.case.pk
            events.append(ev)
        for req in life.requests:
            req.case_id = req.case.pk
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
