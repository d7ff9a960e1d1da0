"""Each planned case lived through the real decisions, side by side in time order.

Every move is `services.transition.decide()` (the transition table, the kind's guards,
the action's change, the state, the version, the timeline row) with the change builders
the services use (deadlines from the policies and the working calendar, suspension,
extensions, supervision, escalation, ratings, merges), taken by the planned person at a
planned moment in the past. Reports come in through intake's `taken_in()`, and repeats
are found with `repeats.same_problem()` and marked with `repeats.mark()`. Nothing is
saved here: the cases, their timeline rows and extension requests are collected for
`save`.

An agenda takes every case's next step in time order, so that when a case is reported
the earlier ones are in the state they had at that moment (the repeat check sees what
intake would have seen), and a duplicate is merged into its target as the target then
is.
"""

import contextlib
import datetime as dt
import heapq
import itertools
from collections import deque

from gongzhi.cases import policies, repeats
from gongzhi.cases.demo.content import (
    CALLBACK_NOTES,
    CONTACT_NOTES,
    DISPATCH,
    EXTENSION_REASONS,
    FAIL_NOTES,
    MERGE_NOTES,
    PROGRESS_NOTES,
    REJECT_REASONS,
    REOPEN_NOTES,
    RESULTS,
    RESUME_NOTES,
    RETURN_REASONS,
    SUPERVISE_NOTES,
    SUSPEND_REASONS,
    VISIT_NOTES,
)
from gongzhi.cases.demo.plan import Item
from gongzhi.cases.demo.world import DAY, HOUR, MINUTE, World
from gongzhi.cases.models import Case, CaseEvent, ExtensionRequest, Rating, State
from gongzhi.cases.services.clock import (
    extension_decided,
    extension_request,
    request_extension_change,
    resume_change,
    suspend_change,
)
from gongzhi.cases.services.escalation import (
    escalate_change,
    leader_visit_change,
    supervise_change,
)
from gongzhi.cases.services.handling import (
    NOT_MERGEABLE,
    accept_change,
    callback_change,
    close_change,
    contact_change,
    dispatch_change,
    handle_change,
    merge_change,
    merged_in_event,
    register_change,
    reopen_change,
    return_change,
    rework_change,
)
from gongzhi.cases.services.intake import taken_in
from gongzhi.cases.services.transition import decide
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core.roles import Role


def _sources(action: str) -> frozenset[str]:
    return frozenset(s for t in CASE_FLOW.transitions if t.action == action for s in t.sources)


CONTACTABLE = _sources("contact")
SUPERVISABLE = _sources("supervise")
# The moves that start the handling clock anew (and dispatch, when it registers).
RESTARTS = {"register", "reopen", "escalate"}


class Stop(Exception):
    """The case waits here: the next step lies in the future or will not come."""


class Agenda:
    """The next step of every case, taken in time order. A process is a generator that
    yields the moment of its next step and takes the step when it is resumed."""

    def __init__(self):
        self._heap: list = []
        self._order = itertools.count()

    def start(self, process) -> None:
        try:
            at = next(process)
        except (StopIteration, Stop):
            return
        heapq.heappush(self._heap, (at, next(self._order), process))

    def run(self) -> None:
        while self._heap:
            _at, _n, process = heapq.heappop(self._heap)
            self.start(process)


class Reports:
    """The reports taken in so far, per category, for the repeat check: the live cases of
    the window before the new one (repeats.candidates in memory), the earliest that
    repeats.same_problem() accepts."""

    def __init__(self):
        self._recent: dict[int, deque[Case]] = {}

    def earlier(self, case: Case) -> Case | None:
        recent = self._recent.setdefault(case.category_id, deque())
        since = case.reported_at - repeats.window()
        while recent and recent[0].reported_at < since:
            recent.popleft()
        found = next(
            (
                other
                for other in recent
                if other.state not in (State.REJECTED, State.MERGED)
                and repeats.same_problem(case, other)
            ),
            None,
        )
        recent.append(case)
        return found


def live(w: World, items: list[Item], numbers: list[str]) -> list["Life"]:
    """Every planned case lived up to now; the returned lives hold what to save."""
    agenda, reports = Agenda(), Reports()
    lives = []
    for item, number in zip(items, numbers, strict=True):
        item.life = Life(w, item, number, agenda, reports)
        lives.append(item.life)
    with policies.held():
        for life in lives:
            agenda.start(life.run())
        agenda.run()
    return lives


class Life:
    """One case: its moves, decided as the services decide them, and what they wrote."""

    def __init__(self, w: World, item: Item, number: str, agenda: Agenda, reports: Reports):
        self.w, self.item, self.agenda, self.reports = w, item, agenda, reports
        person, resident = item.person, item.resident
        self.case = Case(
            number=number,
            kind="general",
            channel=item.channel,
            category=item.category,
            urgency=item.urgency,
            title=item.title,
            description=item.description,
            state=State.REPORTED,
            org_code=item.org_code,
            grid_id=item.unit_id,
            building=item.building,
            address=item.address,
            lng=item.lng,
            lat=item.lat,
            reporter_resident_id=resident[0] if resident else None,
            reporter_name=resident[1] if resident else person.name if person else "",
            reporter_phone_enc=person.sealed["phone_enc"] if person else "",
            reporter_phone_hash=person.sealed["phone_hash"] if person else "",
            reporter_phone_masked=person.sealed["phone_masked"] if person else "",
            reported_by=item.reported_by,
            reported_at=item.at,
        )
        self.events: list[CaseEvent] = []
        self.requests: list[ExtensionRequest] = []
        self.last = item.at
        self.round = 0
        self.start = item.at  # when the handling clock last started

    # bookkeeping ----------------------------------------------------------------

    def take(self, t, actor, action, *, note="", change=None, **options) -> None:
        """One move at `t`, decided as the services decide it."""
        case = self.case
        unregistered = case.registered_at is None
        step = decide(case, actor, action, at=t, note=note, change=change, **options)
        self.events.append(step.event)
        self.last = max(self.last, t)
        if action in RESTARTS or (unregistered and case.registered_at):
            self.start = t
        if unregistered and case.registered_at and self.item.contactable:
            self.agenda.start(self.contact())

    def at(self, t):
        if t <= self.last:
            t = self.last + dt.timedelta(seconds=self.w.rnd.randint(20, 300))
        if t > self.w.now:
            raise Stop
        return t

    def stall(self, step: str) -> None:
        if self.item.fate.stall == step and self.round == self.item.fate.stall_round:
            raise Stop

    # actors and timing ----------------------------------------------------------

    @property
    def operator(self):
        ops = self.item.grid.operators
        return ops[0] if self.w.rnd.random() < 0.85 else ops[-1]

    def leader(self):
        return self.w.rnd.choice(self.item.grid.leaders) if self.item.grid.leaders else None

    def next(self, t, lo, hi, desk):
        """A moment `lo`–`hi` after `t`, when `desk` is open (rushed cases: any time)."""
        t = t + self.w.span(lo, hi)
        if not self.item.fate.rush:
            t = desk(t)
        return self.at(t)

    def desk_of(self, user):
        if user is not None and user == self.item.grid.worker:
            return self.w.field_hours
        return self.w.office

    def result(self) -> str:
        return self.w.rnd.choice(RESULTS.get(self.item.group, RESULTS["01"]))

    # the whole life ---------------------------------------------------------------

    def run(self):
        """The case's process for the agenda: reported, lived as far as its fate and
        the present allow, then perhaps supervised for being overdue."""
        yield self.item.at
        self.report()
        with contextlib.suppress(Stop):
            yield from self.main()
        yield from self.overdue()

    def report(self) -> None:
        """Taken in as intake takes a case in, and checked for repeats as intake checks."""
        item, case = self.item, self.case
        handled = item.fate.self_handle
        result = self.result() if handled else ""
        self.events.append(
            taken_in(case, item.reported_by, at=item.at, self_handle=handled, result=result)
        )
        earlier = self.reports.earlier(case)
        if earlier is not None:
            self.events.append(repeats.mark(case, earlier.repeat_of or earlier))

    def main(self):
        w, case, fate = self.w, self.case, self.item.fate
        t = self.item.at
        if fate.self_handle:
            yield from self.loop(t)
            return
        self.stall("register")
        if fate.merge_into is not None:
            t = self.next(t, 10 * MINUTE, 3 * HOUR, w.duty)
            yield t
            target = fate.merge_into.life.case
            if target.state not in NOT_MERGEABLE:
                operator, note = self.operator, w.rnd.choice(MERGE_NOTES)
                change = merge_change(target)
                self.take(t, operator, "merge", note=note, change=change, inputs={"target": target})
                fate.merge_into.life.events.append(
                    merged_in_event(target, operator, case, note, at=t)
                )
                return
        if fate.reject:
            t = self.next(t, 10 * MINUTE, 4 * HOUR, w.duty)
            yield t
            self.take(t, self.operator, "reject", note=w.rnd.choice(REJECT_REASONS))
            if not fate.reopen:
                return
            t = self.next(t, DAY, 5 * DAY, w.duty)
            yield t
            note = w.rnd.choice(REOPEN_NOTES)
            self.take(t, self.operator, "reopen", note=note, change=reopen_change())
        elif not fate.direct or fate.stall == "dispatch":
            delay = fate.register_delay
            t = self.at(t + delay) if delay else self.next(t, 5 * MINUTE, 3 * HOUR, w.duty)
            yield t
            self.take(t, self.operator, "register", change=register_change())
        yield from self.loop(t)

    def loop(self, t):
        """Dispatched, accepted, handled, verified, called back; again one level up after
        an unsatisfied callback."""
        w, case, fate = self.w, self.case, self.item.fate
        while True:
            if not case.self_handled or self.round > 0:
                self.stall("dispatch")
                delay = fate.register_delay if case.registered_at is None else None
                t = self.at(t + delay) if delay else self.next(t, 10 * MINUTE, 4 * HOUR, w.duty)
                yield t
                handler, choice = self.dispatch(t)
                if fate.supervise and self.round == 0:
                    t = self.next(t, 30 * MINUTE, DAY, w.duty)
                    yield t
                    self.supervise(t, fate.supervise)
                self.stall("accept")
                desk = self.desk_of(handler)
                t = self.next(t, 10 * MINUTE, 6 * HOUR, desk)
                yield t
                if fate.returned and self.round == 0:
                    self.take(
                        t,
                        handler,
                        "return",
                        note=w.rnd.choice(RETURN_REASONS),
                        change=return_change(),
                    )
                    t = self.next(t, 20 * MINUTE, 4 * HOUR, w.duty)
                    yield t
                    handler, _choice = self.dispatch(t, avoid=choice)
                    desk = self.desk_of(handler)
                    t = self.next(t, 10 * MINUTE, 6 * HOUR, desk)
                    yield t
                self.take(t, handler, "accept", change=accept_change(handler))
                t = yield from self.handling(t, handler, desk)
            if (yield from self.verify(t)) is None:
                return
            t = self.last

    def unit(self, avoid=None):
        """(key, department, org code, handler): where the case goes, by its category."""
        w, item = self.w, self.item
        options = DISPATCH.get(item.category.code) or DISPATCH.get(item.group) or [("CG", 1)]
        if avoid is not None:
            options = [o for o in options if o[0] != avoid] or [("community", 1), ("CG", 1)]
        for _ in range(6):
            key = w.pick(options)
            if key == "grid" and item.grid.worker:
                return key, None, item.grid.unit.code, item.grid.worker
            if key in w.departments:
                dept = w.departments[key]
                return key, dept, "", w.rnd.choice(w.handlers[dept.pk])
            if key in ("community", "grid") and item.grid.community_worker:
                return "community", None, item.grid.community_code, item.grid.community_worker
        if item.grid.community_worker:
            return "community", None, item.grid.community_code, item.grid.community_worker
        if not w.departments:
            raise Stop
        key, dept = next(iter(w.departments.items()))
        return key, dept, "", w.handlers[dept.pk][0]

    def dispatch(self, t, avoid=None):
        """The handler who will take it, and the key of the unit (to avoid on a return)."""
        key, dept, code, handler = self.unit(avoid)
        note = self.w.rnd.choice(["", "", "请按时限处置。"])
        self.take(t, self.operator, "dispatch", note=note, change=dispatch_change(dept, code))
        return handler, key

    def supervise(self, t, level, actor=None):
        leaders = self.item.grid.leaders
        actor = actor or (self.operator if level == 1 or not leaders else leaders[-1])
        note = self.w.rnd.choice(SUPERVISE_NOTES[level])
        self.take(t, actor, "supervise", note=note, change=supervise_change(level, note, actor))

    def leader_visit(self, t):
        leader = self.leader()
        if leader is not None:
            note = self.w.rnd.choice(VISIT_NOTES)
            self.take(t, leader, "leader_visit", note=note, change=leader_visit_change())

    def handle_at(self, t, late):
        """When the handling unit reports it handled: a share of the time allowed."""
        case, w = self.case, self.w
        share = w.rnd.uniform(1.05, 2.2) if late else w.rnd.betavariate(2, 3) * 0.85 + 0.05
        target = self.start + (case.due_at - self.start) * share
        return max(target, t + 20 * MINUTE)

    def handling(self, t, handler, desk):
        """Accepted → (progress, suspension, extension) → handled."""
        w, case, fate = self.w, self.case, self.item.fate
        limits = policies.limits_for(case.category, case.urgency)
        if case.needs_leader_visit and fate.leader_visit and not case.leader_visited_at:
            t = self.next(t, HOUR, 2 * DAY, w.office)
            yield t
            self.leader_visit(t)
        late = fate.late and self.round == 0
        done = self.handle_at(t, late)
        if fate.suspend and self.round == 0:
            t = self.next(t, 2 * HOUR, DAY, w.duty)
            yield t
            note = w.rnd.choice(SUSPEND_REASONS)
            self.take(t, self.operator, "suspend", note=note, change=suspend_change())
            self.stall("resume")
            t = self.next(t, DAY, 8 * DAY, w.duty)
            yield t
            note = w.rnd.choice(RESUME_NOTES)
            self.take(t, self.operator, "resume", note=note, change=resume_change())
            done = self.handle_at(t, late)
        if fate.extension and self.round == 0 and not limits.handling_hours:
            if fate.rush:
                t = self.at(t + w.span(HOUR, 6 * HOUR))
            else:
                t = self.at(max(t + HOUR, t + (case.due_at - t) * w.rnd.uniform(0.3, 0.8)))
            yield t
            days = w.rnd.choice([2, 3, 3, 5, 7])
            reason = w.rnd.choice(EXTENSION_REASONS)
            change = request_extension_change(days)
            self.take(t, handler, "request_extension", note=reason, change=change)
            request = extension_request(case, handler, days, reason, at=t)
            self.requests.append(request)
            self.stall("decide")
            t = self.next(t, HOUR, 20 * HOUR, w.duty)
            yield t
            approve, operator = fate.extension == "approved", self.operator
            note = "" if approve else "理由不充分，请按原时限办结。"
            change = extension_decided(request, approve=approve, actor=operator, note=note)
            self.take(t, operator, "decide_extension", note=note, change=change)
            done = self.handle_at(t, late)
        notes = sorted(t + (done - t) * w.rnd.random() for _ in range(w.rnd.choice([0, 1, 1, 2])))
        for moment in notes:
            t = self.at(max(moment, t))
            yield t
            self.take(t, handler, "progress", note=w.rnd.choice(PROGRESS_NOTES))
        self.stall("handle")
        t = self.at(done if limits.handling_hours or fate.rush else desk(done))
        yield t
        self.handled(t, handler)
        return t

    def handled(self, t, handler):
        result = self.result()
        self.take(t, handler, "handle", note=result, change=handle_change(result))

    def verify(self, t):
        """Verified: closed (or sent back first); then called back and maybe escalated.
        Returns the moment of an escalation, or None."""
        w, case, fate = self.w, self.case, self.item.fate
        self.stall("verify")
        t = self.next(t, 20 * MINUTE, 10 * HOUR, w.duty)
        yield t
        if fate.rework and self.round == 0:
            note = w.rnd.choice(FAIL_NOTES)
            self.take(t, self.operator, "verify_fail", note=note, change=rework_change())
            handler = case.handler
            t = self.next(t, 4 * HOUR, 2 * DAY, self.desk_of(handler))
            yield t
            self.handled(t, handler)
            t = self.next(t, 20 * MINUTE, 8 * HOUR, w.duty)
            yield t
        if case.needs_leader_visit and not case.leader_visited_at:
            if not fate.leader_visit:
                raise Stop  # waits for the leader
            self.leader_visit(t)
            t = self.next(t, HOUR, DAY, w.duty)
            yield t
        self.take(t, self.operator, "verify_pass", change=close_change())
        if not self.item.contactable:
            return None
        self.stall("callback")
        t = self.next(t, 2 * HOUR, 3 * DAY, w.duty)
        yield t
        rating = (fate.rating if self.round == 0 else "") or w.pick(
            [(Rating.SATISFIED, 70), (Rating.BASICALLY, 22), (Rating.UNSATISFIED, 8)]
        )
        if self.round >= 2 and rating == Rating.UNSATISFIED:
            rating = Rating.BASICALLY
        solved = {
            Rating.SATISFIED: True,
            Rating.BASICALLY: w.rnd.random() < 0.9,
            Rating.UNSATISFIED: w.rnd.random() < 0.3,
        }[rating]
        note = w.rnd.choice(CALLBACK_NOTES[rating])
        inputs = {"solved": solved, "rating": rating}
        change = callback_change(solved, rating)
        self.take(t, self.operator, "callback", note=note, change=change, inputs=inputs)
        if rating != Rating.UNSATISFIED:
            return None
        # 不满意件提级办理: the system's own move, as services.escalate_unsatisfied takes it.
        self.round += 1
        change = escalate_change(note, lambda code: w.at_code.get((Role.LEADER, code), []))
        self.take(t, None, "escalate", note=note, change=change, authorized=True, by="system")
        return t

    # beside the main line ---------------------------------------------------------

    def contact(self):
        """The first contact with the reporter, minutes (or, late, hours) after the case
        was registered, if it is still open to it then."""
        w, case = self.w, self.case
        late = self.item.fate.late_contact
        c = case.registered_at + (
            w.span(65 * MINUTE, 20 * HOUR) if late else w.span(4 * MINUTE, 50 * MINUTE)
        )
        if c > w.now:
            return
        yield c
        if case.state in CONTACTABLE:
            note = w.rnd.choice(CONTACT_NOTES)
            self.take(c, self.operator, "contact", note=note, change=contact_change())

    def overdue(self):
        """A case left overdue is often supervised (督办) some hours or days later."""
        w, case = self.w, self.case
        if (
            case.state in SUPERVISABLE
            and case.state != State.SUSPENDED
            and case.due_at
            and case.due_at < w.now
            and case.supervision_level == 0
            and w.rnd.random() < 0.45
        ):
            t = max(self.last, case.due_at) + w.span(4 * HOUR, 3 * DAY)
            if t <= w.now:
                yield t
                self.supervise(t, w.pick([(1, 6), (2, 3), (3, 1)]))
