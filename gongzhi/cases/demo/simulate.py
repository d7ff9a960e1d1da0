"""Each planned case walked through its life."""

import contextlib
import datetime as dt

from django.utils.translation import gettext

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
from gongzhi.cases.models import (
    Case,
    CaseEvent,
    ExtensionRequest,
    Rating,
    RequestStatus,
    State,
    Supervision,
)
from gongzhi.cases.services.clock import _due_soon
from gongzhi.core.deadlines import add_working_days, resume_deadline
from gongzhi.core.roles import CODE_LENGTH, Level, Role

# The states in which a case may be supervised or contacted (cases.workflow).
SUPERVISABLE = (
    State.REPORTED,
    State.REGISTERED,
    State.DISPATCHED,
    State.IN_PROGRESS,
    State.SUSPENDED,
    State.HANDLED,
)
CONTACTABLE = SUPERVISABLE[:-1]
# Actions that go through the services' _transition (each bumps `version`).
NOT_TRANSITIONS = {"report", "self_handle", "repeat", "merged_in"}


class Stop(Exception):
    """The case waits here: the next step lies in the future or will not come."""


# -- the lifecycle, as the services would have written it ---------------------------


class Sim:
    """One case walked through its life: fields changed and timeline rows written as
    cases.services does, at moments chosen in the past."""

    def __init__(self, w: World, item: Item, number: str):
        self.w, self.item = w, item
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
            reporter_resident_id=item.resident[0] if item.resident else None,
            reporter_name=(
                item.resident[1] if item.resident else item.person.name if item.person else ""
            ),
            reporter_phone_enc=item.person.sealed["phone_enc"] if item.person else "",
            reporter_phone_hash=item.person.sealed["phone_hash"] if item.person else "",
            reporter_phone_masked=item.person.sealed["phone_masked"] if item.person else "",
            reported_by=item.reported_by,
            reported_at=item.at,
        )
        self.events: list[CaseEvent] = []
        self.requests: list[ExtensionRequest] = []
        self.changes = [(item.at, State.REPORTED)]
        self.last = item.at
        self.round = 0
        self.start = item.at  # when the handling clock last started
        self.merged_into: Item | None = None

    # bookkeeping ----------------------------------------------------------------

    def at(self, t: dt.datetime) -> dt.datetime:
        if t <= self.last:
            t = self.last + dt.timedelta(seconds=self.w.rnd.randint(20, 300))
        if t > self.w.now:
            raise Stop
        return t

    def stall(self, step: str) -> None:
        if self.item.fate.stall == step and self.round == self.item.fate.stall_round:
            raise Stop

    def event(self, t, actor, action, before, note="", data=None, *, side=False) -> CaseEvent:
        """A timeline row. `side`: written beside the main line, later, at a moment when
        the case was in state `before` (it changes nothing)."""
        after = before if side else self.case.state
        ev = CaseEvent(
            at=t,
            actor=actor,
            actor_name=(actor.get_display_name() if actor else gettext("System"))[:150],
            action=action,
            from_state=before,
            to_state=after,
            note=note,
            data=data or {},
        )
        self.events.append(ev)
        if not side:
            self.last = max(self.last, t)
            if after != before:
                self.changes.append((t, after))
            if action not in NOT_TRANSITIONS:
                self.case.version += 1
        return ev

    def move(self, t, actor, action, target, note="", data=None):
        before = self.case.state
        if target:
            self.case.state = target
        return self.event(t, actor, action, before, note, data)

    def state_at(self, t) -> str:
        state = self.changes[0][1]
        for when, s in self.changes:
            if when > t:
                break
            state = s
        return state

    def set_deadlines(self, start) -> None:
        case = self.case
        limits = self.w.limits(case.category, case.urgency)
        respond_by, due = policies.deadlines(start, limits, self.w.cal)
        case.respond_by = case.respond_by or respond_by
        case.due_at = due
        case.due_soon_at = _due_soon(start, due, limits.due_soon_share, self.w.cal, limits)
        self.start = start

    # actors and timing ----------------------------------------------------------

    @property
    def operator(self):
        ops = self.item.grid.operators
        return ops[0] if self.w.rnd.random() < 0.85 else ops[-1]

    def leader(self):
        return self.w.rnd.choice(self.item.grid.leaders) if self.item.grid.leaders else None

    def next(self, t, lo, hi, desk) -> dt.datetime:
        """A moment `lo`–`hi` after `t`, when `desk` is open (rushed cases: any time)."""
        t = t + self.w.span(lo, hi)
        if not self.item.fate.rush:
            t = desk(t)
        return self.at(t)

    def desk_of(self, user):
        if user is not None and user == self.item.grid.worker:
            return self.w.field_hours
        return self.w.office

    # the steps ------------------------------------------------------------------

    def report(self) -> None:
        item, case = self.item, self.case
        if item.fate.self_handle:
            result = self.w.rnd.choice(RESULTS.get(item.group, RESULTS["01"]))
            case.state = State.HANDLED
            case.registered_at = case.accepted_at = case.handled_at = item.at
            case.responded_at = item.at
            case.assignee_code = item.org_code
            case.handler = item.reported_by
            case.self_handled = True
            case.result = result
            self.set_deadlines(item.at)
            self.event(
                item.at, item.reported_by, "self_handle", "", result, {"channel": item.channel}
            )
            self.changes = [(item.at, State.HANDLED)]
        else:
            self.event(item.at, item.reported_by, "report", "", data={"channel": item.channel})

    def repeat(self, first: Item) -> None:
        """repeats.flag: a repeat of the first case of the chain."""
        case = self.case
        first.case.repeat_count += 1
        self.item.first = first
        case.is_repeat = True
        if first.case.repeat_count >= repeats._setting("LEADER_AT", 3):
            case.needs_leader_visit = True
            case.supervision_level = max(case.supervision_level, Supervision.RAISED)
        note = gettext("Repeat of %(n)s (repeat no. %(k)d)") % {
            "n": first.case.number,
            "k": first.case.repeat_count,
        }
        data = {"first": first.case.number, "count": first.case.repeat_count}
        self.event(self.item.at, None, "repeat", case.state, note, data)

    def register(self, t) -> None:
        self.case.registered_at = t
        self.set_deadlines(t)
        self.move(
            t,
            self.operator,
            "register",
            State.REGISTERED,
            data={"due_at": self.case.due_at.isoformat()},
        )

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
        case = self.case
        key, dept, code, handler = self.unit(avoid)
        if case.registered_at is None:
            case.registered_at = t
            self.set_deadlines(t)
        case.department, case.assignee_code, case.handler = dept, code, None
        case.dispatched_at, case.accepted_at = t, None
        data = {"department": str(dept) if dept else "", "unit": code}
        self.move(
            t,
            self.operator,
            "dispatch",
            State.DISPATCHED,
            self.w.rnd.choice(["", "", "请按时限处置。"]),
            data,
        )
        return handler, key

    def supervise(self, t, level, actor=None):
        case = self.case
        leaders = self.item.grid.leaders
        actor = actor or (self.operator if level == 1 or not leaders else leaders[-1])
        note = self.w.rnd.choice(SUPERVISE_NOTES[level])
        data = {"level": [case.supervision_level, level]}
        case.supervision_level, case.supervision_note, case.supervisor = level, note, actor
        self.move(t, actor, "supervise", None, note, data)

    def leader_visit(self, t):
        leader = self.leader()
        if leader is None:
            return
        self.case.leader_visited_at = t
        self.move(t, leader, "leader_visit", None, self.w.rnd.choice(VISIT_NOTES))

    def handle_at(self, t, late) -> dt.datetime:
        """When the handling unit reports it handled: a share of the time allowed."""
        case, w = self.case, self.w
        share = w.rnd.uniform(1.05, 2.2) if late else w.rnd.betavariate(2, 3) * 0.85 + 0.05
        target = self.start + (case.due_at - self.start) * share
        return max(target, t + 20 * MINUTE)

    def handling(self, t, handler, desk):
        """Accepted → (progress, suspension, extension) → handled."""
        w, case, fate = self.w, self.case, self.item.fate
        if case.needs_leader_visit and fate.leader_visit and not case.leader_visited_at:
            t = self.next(t, HOUR, 2 * DAY, w.office)
            self.leader_visit(t)
        late = fate.late and self.round == 0
        done = self.handle_at(t, late)
        if fate.suspend and self.round == 0:
            t = self.next(t, 2 * HOUR, DAY, w.duty)
            case.suspended_at = t
            self.move(t, self.operator, "suspend", State.SUSPENDED, w.rnd.choice(SUSPEND_REASONS))
            self.stall("resume")
            t = self.next(t, DAY, 8 * DAY, w.duty)
            old = case.due_at
            case.due_at = resume_deadline(case.due_at, case.suspended_at, t, w.cal)
            case.due_soon_at = resume_deadline(case.due_soon_at, case.suspended_at, t, w.cal)
            case.suspended_at = None
            self.move(
                t,
                self.operator,
                "resume",
                State.IN_PROGRESS,
                w.rnd.choice(RESUME_NOTES),
                {"due_at": [old.isoformat(), case.due_at.isoformat()]},
            )
            done = self.handle_at(t, late)
        if (
            fate.extension
            and self.round == 0
            and not self.w.limits(case.category, case.urgency).handling_hours
        ):
            if fate.rush:
                t = self.at(t + w.span(HOUR, 6 * HOUR))
            else:
                t = self.at(max(t + HOUR, t + (case.due_at - t) * w.rnd.uniform(0.3, 0.8)))
            days = w.rnd.choice([2, 3, 3, 5, 7])
            reason = w.rnd.choice(EXTENSION_REASONS)
            self.move(t, handler, "request_extension", None, reason, {"days": days})
            request = ExtensionRequest(
                days=days, reason=reason, requested_by=handler, requested_at=t
            )
            self.requests.append(request)
            self.stall("decide")
            t = self.next(t, HOUR, 20 * HOUR, w.duty)
            approve = fate.extension == "approved"
            operator = self.operator
            note = "" if approve else "理由不充分，请按原时限办结。"
            request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
            request.decided_by, request.decided_at, request.decision_note = operator, t, note
            data = {"approved": approve, "days": days}
            if approve:
                old = case.due_at
                case.due_at = add_working_days(case.due_at, days, w.cal)
                case.due_soon_at = add_working_days(case.due_soon_at, days, w.cal)
                case.extended_days += days
                data["due_at"] = [old.isoformat(), case.due_at.isoformat()]
            self.move(t, operator, "decide_extension", None, note, data)
            done = self.handle_at(t, late)
        notes = sorted(t + (done - t) * w.rnd.random() for _ in range(w.rnd.choice([0, 1, 1, 2])))
        for moment in notes:
            t = self.at(max(moment, t))
            self.move(t, handler, "progress", None, w.rnd.choice(PROGRESS_NOTES))
        self.stall("handle")
        limits = w.limits(case.category, case.urgency)
        t = self.at(done if limits.handling_hours or fate.rush else desk(done))
        self.handled(t, handler)
        return t

    def handled(self, t, handler):
        case = self.case
        case.result = self.w.rnd.choice(RESULTS.get(self.item.group, RESULTS["01"]))
        case.handled_at = t
        self.move(t, handler, "handle", State.HANDLED, case.result)

    def verify(self, t):
        """Verified: closed (or sent back first); then called back and maybe escalated."""
        w, case, fate = self.w, self.case, self.item.fate
        self.stall("verify")
        t = self.next(t, 20 * MINUTE, 10 * HOUR, w.duty)
        if fate.rework and self.round == 0:
            case.rework_count += 1
            self.move(
                t,
                self.operator,
                "verify_fail",
                State.IN_PROGRESS,
                w.rnd.choice(FAIL_NOTES),
                {"rework": case.rework_count},
            )
            handler = case.handler
            t = self.next(t, 4 * HOUR, 2 * DAY, self.desk_of(handler))
            self.handled(t, handler)
            t = self.next(t, 20 * MINUTE, 8 * HOUR, w.duty)
        if case.needs_leader_visit and not case.leader_visited_at:
            if not fate.leader_visit:
                raise Stop  # waits for the leader
            self.leader_visit(t)
            t = self.next(t, HOUR, DAY, w.duty)
        case.closed_at = t
        case.closed_on_time = bool(case.due_at is None or t <= case.due_at)
        self.move(
            t, self.operator, "verify_pass", State.CLOSED, data={"on_time": case.closed_on_time}
        )
        if not self.item.contactable:
            return None
        self.stall("callback")
        t = self.next(t, 2 * HOUR, 3 * DAY, w.duty)
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
        case.callback_at, case.callback_solved, case.callback_rating = t, solved, rating
        self.move(t, self.operator, "callback", None, note, {"solved": solved, "rating": rating})
        if rating != Rating.UNSATISFIED:
            return None
        self.escalate(t, note)
        return t

    def escalate(self, t, note):
        """services._escalate_unchecked: reopened one level up, supervised."""
        case = self.case
        case.escalation_level += 1
        case.supervision_level = max(case.supervision_level, Supervision.RAISED)
        length = CODE_LENGTH[Level.SUBDISTRICT if case.escalation_level <= 1 else Level.DISTRICT]
        unit_code = case.org_code[:length]
        leaders = self.w.at_code.get((Role.LEADER, unit_code), [])
        case.supervisor = leaders[0] if leaders else case.supervisor
        case.supervision_note = note[:200]
        self.reopen_fields(t)
        self.round += 1
        self.move(
            t,
            None,
            "escalate",
            State.REGISTERED,
            note,
            {"level": case.escalation_level, "unit": unit_code},
        )

    def reopen_fields(self, t):
        case = self.case
        case.closed_at = case.closed_on_time = case.callback_at = case.callback_solved = None
        case.callback_rating = ""
        case.department, case.assignee_code, case.handler = None, "", None
        case.accepted_at = case.suspended_at = None
        self.set_deadlines(t)

    # the whole life --------------------------------------------------------------

    def run(self) -> None:
        with contextlib.suppress(Stop):
            self._run()
        self._after()

    def _run(self) -> None:
        w, case, fate, item = self.w, self.case, self.item.fate, self.item
        t = item.at
        if fate.self_handle:
            self.loop(t)
            return
        self.stall("register")
        if fate.merge_into is not None:
            target = fate.merge_into
            t = self.next(t, 10 * MINUTE, 3 * HOUR, w.duty)
            if target.sim.state_at(t) not in (State.MERGED, State.REJECTED):
                self.merged_into = target
                operator = self.operator
                note = w.rnd.choice(MERGE_NOTES)
                self.move(t, operator, "merge", State.MERGED, note, {"into": target.case.number})
                target.sim.event(
                    t,
                    operator,
                    "merged_in",
                    target.sim.state_at(t),
                    note,
                    {"from": case.number},
                    side=True,
                )
                return
        if fate.reject:
            t = self.next(t, 10 * MINUTE, 4 * HOUR, w.duty)
            self.move(t, self.operator, "reject", State.REJECTED, w.rnd.choice(REJECT_REASONS))
            if not fate.reopen:
                return
            t = self.next(t, DAY, 5 * DAY, w.duty)
            if case.registered_at is None:
                case.registered_at = t
            self.reopen_fields(t)
            self.move(
                t,
                self.operator,
                "reopen",
                State.REGISTERED,
                w.rnd.choice(REOPEN_NOTES),
                {"due_at": case.due_at.isoformat()},
            )
        elif not fate.direct or fate.stall == "dispatch":
            delay = fate.register_delay
            t = self.at(t + delay) if delay else self.next(t, 5 * MINUTE, 3 * HOUR, w.duty)
            self.register(t)
        self.loop(t)

    def loop(self, t) -> None:
        w, case, fate = self.w, self.case, self.item.fate
        while True:
            if not case.self_handled or self.round > 0:
                self.stall("dispatch")
                delay = fate.register_delay if case.registered_at is None else None
                t = self.at(t + delay) if delay else self.next(t, 10 * MINUTE, 4 * HOUR, w.duty)
                handler, choice = self.dispatch(t)
                if fate.supervise and self.round == 0:
                    t = self.next(t, 30 * MINUTE, DAY, w.duty)
                    self.supervise(t, fate.supervise)
                self.stall("accept")
                desk = self.desk_of(handler)
                t = self.next(t, 10 * MINUTE, 6 * HOUR, desk)
                if fate.returned and self.round == 0:
                    note = w.rnd.choice(RETURN_REASONS)
                    data = {"department": str(case.department or ""), "unit": case.assignee_code}
                    case.department, case.assignee_code, case.handler = None, "", None
                    case.accepted_at = None
                    self.move(t, handler, "return", State.REGISTERED, note, data)
                    t = self.next(t, 20 * MINUTE, 4 * HOUR, w.duty)
                    handler, _choice = self.dispatch(t, avoid=choice)
                    desk = self.desk_of(handler)
                    t = self.next(t, 10 * MINUTE, 6 * HOUR, desk)
                case.handler, case.accepted_at = handler, t
                self.move(t, handler, "accept", State.IN_PROGRESS)
                t = self.handling(t, handler, desk)
            if self.verify(t) is None:
                return
            t = self.last

    def _after(self) -> None:
        """Things that happen beside the main line: the first contact with the reporter,
        and supervision of a case left overdue."""
        w, case, item = self.w, self.case, self.item
        if item.contactable and case.registered_at and not case.self_handled:
            late = item.fate.late_contact
            c = case.registered_at + (
                w.span(65 * MINUTE, 20 * HOUR) if late else w.span(4 * MINUTE, 50 * MINUTE)
            )
            if c <= w.now and self.state_at(c) in CONTACTABLE:
                case.responded_at = c
                data = {"first": True, "on_time": bool(case.respond_by and c <= case.respond_by)}
                self.case.version += 1
                self.event(
                    c,
                    self.operator,
                    "contact",
                    self.state_at(c),
                    w.rnd.choice(CONTACT_NOTES),
                    data,
                    side=True,
                )
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
                level = w.pick([(1, 6), (2, 3), (3, 1)])
                self.supervise(t, level)


# -- repeats, as intake finds them --------------------------------------------------


def find_earlier(w: World, item: Item, recent: list[Item]) -> Item | None:
    """repeats.find_earlier over the cases planned so far."""
    days = repeats._setting("DAYS", 30)
    radius = repeats._setting("RADIUS_M", 50)
    threshold = repeats._setting("SIMILARITY", 60)
    since = item.at - dt.timedelta(days=days)
    text = f"{item.title} {item.description}".strip()
    phone = item.person.sealed["phone_hash"] if item.person else ""
    for other in recent:
        if not since <= other.at < item.at:
            continue
        if other.sim.state_at(item.at) in (State.REJECTED, State.MERGED):
            continue
        other_phone = other.case.reporter_phone_hash
        close = (
            (phone and other_phone == phone)
            or (item.building is not None and other.building == item.building)
            or (
                None not in (item.lng, item.lat, other.lng, other.lat)
                and abs(item.lat - other.lat) < 0.001
                and repeats.distance_m(item.lng, item.lat, other.lng, other.lat) <= radius
            )
        )
        if close and repeats.similarity(text, f"{other.title} {other.description}") >= threshold:
            return other
    return None
