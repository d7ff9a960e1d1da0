"""Demo cases: half a year of problems in the demo district, in every state.

About 3000 cases (150 with `small`, in the grids the small demo fills) over the past six
months: reports from grid workers, 12345, residents, phone calls, walk-ins, patrols and
door-to-door visits; registered, rejected, dispatched to the departments or the
community, accepted, returned, handled, sent back, verified, closed, called back;
suspended, extended, supervised, escalated after an unsatisfied callback, merged,
repeated (领导到现场 at the third repeat); and the recent ones still open, some due
soon and some overdue.

Rows are written in bulk, not through the services (they stamp "now" and would take
minutes), but every case is walked through the same steps the services take: a
timeline row for each change with its actor, states and time; deadlines from the
policies and the working-day calendar; repeats found as intake finds them; case numbers
that continue the day counters, so cases reported later through the services get the
next numbers.

Skipped when the district already has cases.
"""

from django.db import transaction

from gongzhi.cases import policies, rollups
from gongzhi.cases.demo import plan, save, world
from gongzhi.cases.demo.simulate import Sim, find_earlier
from gongzhi.cases.demo.world import DISTRICT, World
from gongzhi.cases.models import OPEN_STATES, Case, State


def run(log, small=False):
    """Half a year of cases in the demo district; `small`: a few in the small demo's grids."""
    if Case.objects.filter(org_code__within=DISTRICT).exists():
        log("案件数据已存在，跳过。")
        return
    policies.ensure_reference_data()
    w = World(small)
    grids = world.load(w)
    if not grids or not w.categories:
        log("没有楼栋或值班员，跳过演示案件。")
        return
    items = plan.make(w, grids)
    numbers, counters = save.number(w, items)
    by_category: dict[int, list] = {}
    for item, number in zip(items, numbers, strict=True):
        if item.fate.merge_into is not None and item.fate.merge_into.sim is None:
            item.fate.merge_into = None  # planned after its duplicate: cannot merge
        item.sim = Sim(w, item, number)
        item.case = item.sim.case
        item.sim.report()
        recent = by_category.setdefault(item.category.pk, [])
        earlier = find_earlier(w, item, recent)
        if earlier is not None:
            item.sim.repeat(earlier.first or earlier)
        recent.append(item)
        if len(recent) > 400:
            del recent[:200]
        item.sim.run()
    with transaction.atomic():
        save.write(items, counters)
    rows = rollups.rebuild()  # the rows were written in bulk, past the services
    states: dict[str, int] = {}
    for it in items:
        states[it.case.state] = states.get(it.case.state, 0) + 1
    overdue = sum(1 for it in items if it.case.is_overdue(w.now))
    open_ = sum(n for s, n in states.items() if s in OPEN_STATES)
    log(
        f"演示案件：{len(items)} 件（待立案 {states.get(State.REPORTED, 0)}，办理中 {open_}，"
        f"超期 {overdue}，已结案 {states.get(State.CLOSED, 0)}），"
        f"时间线 {sum(len(it.sim.events) for it in items)} 条，统计汇总 {rows} 行。"
    )


__all__ = ["run"]
