"""Demo cases: half a year of problems in the demo district, in every state.

About 3000 cases (150 with `small`, in the grids the small demo fills) over the past six
months: reports from grid workers, 12345, residents, phone calls, walk-ins, patrols and
door-to-door visits; registered, rejected, dispatched to the departments or the
community, accepted, returned, handled, sent back, verified, closed, called back;
suspended, extended, supervised, escalated after an unsatisfied callback, merged,
repeated (领导到现场 at the third repeat); and the recent ones still open, some due
soon and some overdue.

The package by concern: `content` (what people report and what the staff write),
`world` (the district as the cases find it: places, staff, departments, reporters, the
desks' hours), `plan` (which cases, where, by whom, when, and each one's fate), `simulate`
(each case lived through the services' own decisions) and `save` (numbers and bulk
inserts).

Every move is the services' `transition.decide()` with the change builders the services
use (deadlines, suspension, extensions, supervision, escalation, ratings, merges), at a
planned moment in the past and by a planned person, so the table, the kinds' guards and
the permissions hold as they do for a person; reports come in through intake's
`taken_in()` and repeats are found and marked by `repeats`. Only the writing differs:
what was decided is saved in bulk (running every move as its own locked transaction
stamps "now" and would take minutes), with case numbers that continue the day counters,
so cases reported later through the services get the next numbers; the rollups are
rebuilt once at the end.

Skipped when the district already has cases.
"""

from django.db import transaction

from gongzhi.cases import policies, rollups
from gongzhi.cases.demo import plan, save, simulate, world
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
    lives = simulate.live(w, items, numbers)
    with transaction.atomic():
        save.write(lives, counters)
    rows = rollups.rebuild()  # the rows were written in bulk, past the services
    states: dict[str, int] = {}
    for life in lives:
        states[life.case.state] = states.get(life.case.state, 0) + 1
    overdue = sum(1 for life in lives if life.case.is_overdue(w.now))
    open_ = sum(n for s, n in states.items() if s in OPEN_STATES)
    log(
        f"演示案件：{len(items)} 件（待立案 {states.get(State.REPORTED, 0)}，办理中 {open_}，"
        f"超期 {overdue}，已结案 {states.get(State.CLOSED, 0)}），"
        f"时间线 {sum(len(life.events) for life in lives)} 条，统计汇总 {rows} 行。"
    )


__all__ = ["run"]
