"""The demo cases: every state, consistent timelines, numbers that continue, and a loop
the services can carry on from."""

import datetime as dt
import importlib
import itertools
import re
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.accounts.models import User
from gongzhi.cases import policies, selectors, services
from gongzhi.cases.demo import simulate
from gongzhi.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    ExtensionRequest,
    Rating,
    RequestStatus,
    State,
)
from gongzhi.cases.services import clock
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core import calendar, crypto, permissions
from gongzhi.core.roles import Perm
from gongzhi.core.workflow import GuardFailed
from gongzhi.orgs import locator
from gongzhi.orgs.models import Department, OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Building

SIDE_ACTIONS = {"repeat", "merged_in"}  # written beside a service's own row
NOT_TRANSITIONS = {"report", "self_handle", "repeat", "merged_in"}
# The moves that report a case handled: the loop's own and a kind's (a mediation's outcome).
HANDLED_BY = {t.action for t in CASE_FLOW.transitions if t.target == State.HANDLED}


def _user(username):
    return User.objects.get(username=username)


def _counts():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        ExtensionRequest.objects.count(),
        list(CaseCounter.objects.order_by("day").values_list("day", "last")),
    )


def test_demo_cases__every_state_in_the_small_demo_grids_only(small_demo):
    cases = Case.objects.all()
    assert 120 <= cases.count() <= 200
    assert set(cases.values_list("state", flat=True)) == set(State.values)
    # Only where the small demo has buildings, and each case's place is consistent.
    with_buildings = {code[:15] for code in Building.objects.values_list("org_code", flat=True)}
    units = {u.pk: u for u in OrgUnit.objects.filter(code__within="990101")}
    for case in cases.select_related("building"):
        assert case.org_code[:15] in with_buildings
        assert units[case.grid_id].code == case.org_code
        assert case.lng is not None and case.lat is not None
        if case.building is not None:
            assert case.building.org_code == case.org_code
            assert (case.lng, case.lat) == (case.building.lng, case.building.lat)
        assert case.title and case.description
    # Every point lies in the case's grid, as intake would have found it.
    points = list(cases.values_list("lng", "lat", "org_code"))
    assert locator.locate_many([(x, y) for x, y, _ in points]) == [c for _, _, c in points]


def test_demo_cases__timelines_agree_with_the_cases(small_demo):
    now = timezone.now()
    events = {}
    users = {u.pk: u for u in User.objects.all()}  # one instance each: facts cached
    for ev in CaseEvent.objects.order_by("case_id", "at", "id"):
        ev.actor = users.get(ev.actor_id)
        events.setdefault(ev.case_id, []).append(ev)
    departments = {d.name: d for d in Department.objects.all()}
    for case in Case.objects.select_related("handler", "reported_by", "department"):
        rows = events[case.pk]
        first, last = rows[0], rows[-1]
        assert first.action in ("report", "self_handle") and first.from_state == ""
        assert first.at == case.reported_at and first.actor == case.reported_by
        reporter = users[case.reported_by_id]
        perm = Perm.CASE_SELF_HANDLE if case.self_handled else Perm.CASE_REPORT
        assert permissions.can(reporter, perm, case)
        assert last.to_state == case.state, case.number
        assert all(ev.at <= now for ev in rows)
        # (unit, department, person): who handles it then; on the spot, the reporter's grid.
        handling = (case.org_code, None, None) if case.self_handled else None
        for before, ev in itertools.pairwise(rows):
            assert before.at <= ev.at and before.to_state == ev.from_state, (case.number, ev)
        for ev in rows[1:]:
            if ev.action in SIDE_ACTIONS or (ev.action == "escalate" and ev.actor is None):
                continue
            t = CASE_FLOW._find(ev.from_state, ev.action)
            assert t is not None, (case.number, ev.action, ev.from_state)
            assert ev.to_state == (t.target or ev.from_state), (case.number, ev.action)
            # The actor was allowed to: in the case's area, or at the handling unit then.
            if ev.action == "dispatch":
                dept = departments.get(ev.data["department"])
                person = ev.data.get("person")
                handling = (ev.data["unit"] or None, dept.pk if dept else None, person)
            if t.perm == Perm.CASE_HANDLE and handling[2]:
                # A person the case is assigned to (a kind's mediator, volunteer …) handles
                # it whatever their roles (Case.grants).
                assert ev.actor.get_display_name() == handling[2], (case.number, ev.action)
            elif t.perm == Perm.CASE_HANDLE:
                target = SimpleNamespace(org_code=handling[0], department_id=handling[1])
                assert permissions.can(ev.actor, t.perm, target), (case.number, ev.action)
            else:
                assert permissions.can(ev.actor, t.perm, case), (case.number, ev.action)

        def at_of(*actions, which=-1, rows=rows):
            found = [ev.at for ev in rows if ev.action in actions]
            return found[which] if found else None

        assert case.version == 1 + sum(ev.action not in NOT_TRANSITIONS for ev in rows)
        assert case.registered_at == at_of("register", "dispatch", "self_handle", "reopen", which=0)
        assert case.dispatched_at == at_of("dispatch")
        assert case.handled_at == at_of("self_handle", *HANDLED_BY)
        assert case.responded_at == at_of("contact", "self_handle", which=0)
        assert case.leader_visited_at == at_of("leader_visit")
        assert case.rework_count == sum(ev.action == "verify_fail" for ev in rows)
        assert case.escalation_level == sum(ev.action == "escalate" for ev in rows)
        if case.accepted_at:
            assert case.accepted_at == at_of("accept", "self_handle")
        if case.state == State.CLOSED:
            assert case.closed_at == at_of("verify_pass")
            assert case.closed_on_time == (case.closed_at <= case.due_at)
        else:
            assert case.closed_at is None and case.closed_on_time is None
        if case.callback_at:
            assert case.callback_at == at_of("callback") and case.callback_rating in Rating.values
        if case.state == State.SUSPENDED:
            assert case.suspended_at == at_of("suspend")
        else:
            assert case.suspended_at is None
        if case.state in (State.IN_PROGRESS, State.SUSPENDED, State.HANDLED, State.CLOSED):
            assert case.handler is not None
            if case.department_id:
                assert permissions.can(
                    case.handler, Perm.CASE_HANDLE, case.scope_target(Perm.CASE_HANDLE)
                )
        if case.state == State.MERGED:
            into = case.merged_into
            assert into is not None and into.reported_at < case.reported_at
            assert into.events.filter(action="merged_in", data__from=case.number).exists()
        if case.state in (State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS):
            assert case.due_at and case.due_soon_at
            assert bool(case.respond_by) == case.has_reporter  # a limit to contact someone
            assert case.registered_at < case.due_soon_at < case.due_at


def test_demo_cases__deadlines_follow_the_policies_and_the_calendar(small_demo):
    cal = calendar.work_calendar()
    moved = {"suspend", "decide_extension", "escalate", "reopen"}
    checked = 0
    for case in Case.objects.filter(registered_at__isnull=False).select_related("category"):
        if case.events.filter(action__in=moved).exists():
            continue
        limits = policies.limits_for(case.category, case.urgency)
        respond_by, due = policies.deadlines(case.registered_at, limits, cal)
        respond_by = respond_by if case.has_reporter else None  # no one to contact
        assert (case.respond_by, case.due_at) == (respond_by, due), case.number
        soon = clock._due_soon(case.registered_at, due, limits.due_soon_share, cal, limits)
        assert case.due_soon_at == soon
        checked += 1
    assert checked > 100


def test_demo_cases__numbers_are_unique_and_the_counters_continue_them(small_demo):
    numbers = list(Case.objects.values_list("number", "reported_at"))
    assert len({n for n, _ in numbers}) == len(numbers)
    per_day = Counter()
    for number, reported_at in numbers:
        day = timezone.localdate(reported_at)
        assert re.fullmatch(rf"SJ{day:%Y%m%d}\d{{6}}", number), number
        per_day[day] = max(per_day[day], int(number[-6:]))
    counters = dict(CaseCounter.objects.values_list("day", "last"))
    assert all(counters[day] >= seq for day, seq in per_day.items())
    # Each day numbered from 1 without a gap; the loop's own demo cases in the order
    # reported (two reports in the same microsecond keep their numbers' order). A kind's
    # demo step lives its weeks after (e.g. an inspection 30 days ago: core.democlock), so
    # its cases take the next numbers of their day.
    general = set(Case.objects.filter(kind="general").values_list("number", flat=True))
    for day in per_day:
        on_day = [(n, at) for n, at in numbers if timezone.localdate(at) == day]
        assert sorted(int(n[-6:]) for n, _ in on_day) == list(range(1, len(on_day) + 1))
        seqs = [int(n[-6:]) for n, _ in sorted(on_day, key=lambda x: (x[1], x[0])) if n in general]
        assert seqs == sorted(seqs)


def test_demo_cases__the_command_center_has_something_on_every_board(small_demo):
    operator = _user("jiedao")
    counts = selectors.queue_counts(
        operator,
        [
            "new",
            "to_dispatch",
            "overdue",
            "due_soon",
            "to_verify",
            "callback",
            "supervised",
            "escalated",
            "repeats",
            "suspended",
        ],
    )
    assert all(counts.values()), counts
    assert counts["overdue"] < Case.objects.count() // 5
    assert selectors.extension_requests_visible_to(operator).exists()
    # The handlers have work in their queues too.
    handler = next(
        c.handler for c in Case.objects.filter(state=State.IN_PROGRESS, department__isnull=False)
    )
    assert selectors.queue(handler, "handling")[0].exists()


def test_demo_cases__realistic_mix(small_demo):
    cases = Case.objects.all()
    channels = Counter(cases.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == "grid_worker" and len(channels) >= 5
    groups = Counter(cases.values_list("category__parent__name", flat=True))
    assert {"市容环境", "民生诉求"} & {name for name, _ in groups.most_common(3)}
    ratings = Counter(
        CaseEvent.objects.filter(action="callback").values_list("data__rating", flat=True)
    )
    satisfied = ratings[Rating.SATISFIED] + ratings[Rating.BASICALLY]
    assert ratings[Rating.UNSATISFIED] and satisfied / sum(ratings.values()) > 0.8
    assert cases.filter(escalation_level__gt=0).exists()
    assert cases.filter(state=State.CLOSED, closed_on_time=False).exists()
    assert cases.filter(self_handled=True).exists()
    assert cases.filter(rework_count__gt=0).exists()
    assert cases.filter(supervision_level__gt=0, supervisor__isnull=False).exists()
    assert CaseEvent.objects.filter(action="return").exists()
    assert CaseEvent.objects.filter(action="contact", data__on_time=False).exists()
    assert ExtensionRequest.objects.filter(status=RequestStatus.APPROVED).exists()
    assert cases.filter(reported_at__lt=timezone.now() - dt.timedelta(days=150)).exists()
    # Reporters' phones are sealed valid mobiles.
    sealed = cases.exclude(reporter_phone_enc="").first()
    phone = crypto.decrypt(sealed.reporter_phone_enc, purpose=pii.PHONE_PURPOSE)
    assert re.fullmatch(r"1[3-9]\d{9}", phone)
    assert sealed.reporter_phone_hash == pii.phone_hash(phone)
    assert sealed.reporter_phone_masked == crypto.mask_phone(phone)


def test_demo_cases__repeats_are_chained_and_go_to_a_leader(small_demo):
    repeats = Case.objects.filter(is_repeat=True).select_related("repeat_of")
    assert repeats.count() >= 3
    for case in repeats:
        first = case.repeat_of
        assert first is not None and first.repeat_of_id is None
        assert first.category_id == case.category_id and first.reported_at < case.reported_at
        row = case.events.get(action="repeat")
        assert row.data["first"] == first.number and row.at == case.reported_at
        assert case.needs_leader_visit == (row.data["count"] >= 3)
    for first in Case.objects.filter(repeat_count__gt=0):
        assert first.repeat_count == first.repeats.count()
    leader_cases = Case.objects.filter(needs_leader_visit=True)
    assert leader_cases.filter(leader_visited_at__isnull=True, state=State.IN_PROGRESS).exists()
    assert not leader_cases.filter(state=State.CLOSED, leader_visited_at__isnull=True).exists()


def test_demo_cases__the_services_carry_on_from_the_demo(small_demo):
    operator, leader = _user("jiedao"), _user("lingdao")
    # Dispatch a registered demo case and have the department take it on.
    case = Case.objects.filter(state=State.REGISTERED, escalation_level=0).first()
    dept = Department.objects.get(code="990101-CG")
    case = services.case_dispatch(
        actor=operator, case_id=case.pk, version=case.version, department_id=dept.pk
    )
    handler = _user("chengban1")
    case = services.case_accept(actor=handler, case_id=case.pk, version=case.version)
    assert case.state == State.IN_PROGRESS and case.handler == handler
    last = case.events.order_by("at", "id").last()
    assert (last.action, last.from_state, last.to_state) == ("accept", "dispatched", "in_progress")

    # A repeat problem waiting for its leader: closing is refused until the visit.
    waiting = Case.objects.filter(
        needs_leader_visit=True, leader_visited_at__isnull=True, state=State.IN_PROGRESS
    ).first()
    waiting = services.case_handle(actor=waiting.handler, case_id=waiting.pk, result="已处理")
    with pytest.raises(GuardFailed):
        services.case_verify(actor=operator, case_id=waiting.pk, passed=True)
    services.case_leader_visit(actor=leader, case_id=waiting.pk, note="到现场督促解决")
    waiting = services.case_verify(actor=operator, case_id=waiting.pk, passed=True)
    assert waiting.state == State.CLOSED

    # A pending extension request is decided.
    request = ExtensionRequest.objects.filter(status=RequestStatus.PENDING).first()
    if request is None:  # at some hours the demo's clock has decided every request: ask one
        services.case_request_extension(
            actor=handler, case_id=case.pk, days=3, reason="需协调物业，申请延期"
        )
        request = ExtensionRequest.objects.get(case=case, status=RequestStatus.PENDING)
    due = request.case.due_at
    request = services.case_decide_extension(actor=operator, request_id=request.pk, approve=True)
    request.case.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.case.due_at > due

    # A new report gets the next number of the day, after the demo's.
    today = timezone.localdate()
    before = CaseCounter.objects.filter(day=today).values_list("last", flat=True).first() or 0
    grid = OrgUnit.objects.get(code="990101001001001")
    new, created = services.case_report(
        actor=_user("wangge01"),
        category_id=case.category_id,
        title="楼道堆放杂物",
        description="3号楼2单元楼道堆满纸箱",
        grid_id=grid.pk,
    )
    assert created and new.number == f"SJ{today:%Y%m%d}{before + 1:06d}"
    assert Case.objects.filter(number=new.number).count() == 1


def test_demo_cases__every_move_is_taken_by_the_services_decide(db, monkeypatch):
    # The demo drives the services' own decide() (the table, the kind's guards, the
    # action's change, state and version), not a copy of the lifecycle: every timeline
    # row it writes, but intake's (report, self_handle, repeat) and the merge's row on
    # its target, is an event decide() returned, and the same calls serve the services.
    decided = []

    def spy(case, actor, action, **options):
        step = real(case, actor, action, **options)
        decided.append(step)
        return step

    real = simulate.decide
    monkeypatch.setattr(simulate, "decide", spy)
    # A kind's demo step (CaseKind.demo) takes its cases through the services, whose
    # transition() calls the same decide().
    monkeypatch.setattr(importlib.import_module("gongzhi.cases.services.transition"), "decide", spy)
    calendar.forget()
    call_command("demo", small=True, stdout=StringIO())
    calendar.forget()
    rows = CaseEvent.objects.exclude(action__in={"report", "self_handle", *SIDE_ACTIONS})
    assert decided and {s.event.pk for s in decided} == set(rows.values_list("pk", flat=True))
    per_case = Counter(s.event.case_id for s in decided)
    for pk, version in Case.objects.values_list("pk", "version"):
        assert version == 1 + per_case[pk]

    # (services exports the function transition, which hides its module's name)
    monkeypatch.setattr(importlib.import_module("gongzhi.cases.services.transition"), "decide", spy)
    decided.clear()
    case = Case.objects.filter(state=State.REGISTERED, escalation_level=0).first()
    services.case_dispatch(
        actor=_user("jiedao"),
        case_id=case.pk,
        department_id=Department.objects.get(code="990101-CG").pk,
    )
    assert [(s.event.case_id, s.event.action) for s in decided] == [(case.pk, "dispatch")]


def test_demo__every_audited_action_has_a_label(small_demo):
    """Every action the demo's services audit reads as words in the admin and the audit
    view (core.manifest.register_audit_actions), a kind's own actions included."""
    from gongzhi.core.manifest import audit_action_label
    from gongzhi.core.models import AuditLog

    codes = set(AuditLog.objects.values_list("action", flat=True))
    assert len(codes) > 10
    assert sorted(c for c in codes if audit_action_label(c) == c) == []


def test_demo__the_people_and_places_look_real_to_a_community_worker(small_demo):
    """A name fits its owner's sex and generation (as the 身份证号's digit says), a spouse
    is of the other sex, children carry their father's surname, and each grid's public
    card names the buildings registered in it."""
    from gongzhi.core.roles import Level
    from gongzhi.orgs.models import OrgUnit
    from gongzhi.registry.demo import GIVEN
    from gongzhi.registry.models import Building, Household

    given = {g: {n for (sex, _), names in GIVEN.items() if sex == g for n in names} for g in "MF"}
    households = Household.objects.prefetch_related("residents")
    checked = 0
    for household in households[:200]:
        people = list(household.residents.order_by("id"))
        for r in people:
            assert r.name[1:] in given[r.gender] or r.name[2:] in given[r.gender], r.name
        heads = [r for r in people if r.relationship == "head"]
        spouses = [r for r in people if r.relationship == "spouse"]
        if heads and spouses:
            assert heads[0].gender != spouses[0].gender
            father = heads[0] if heads[0].gender == "M" else spouses[0]
            for child in (r for r in people if r.relationship == "child"):
                assert child.name.startswith(father.name[0]), (father.name, child.name)
                checked += 1
    assert checked > 10
    for grid in OrgUnit.objects.filter(level=Level.GRID, introduction__contains="服务范围"):
        names = set(
            Building.objects.filter(org_code__within=grid.code).values_list("name", flat=True)
        )
        if names:
            estate = grid.introduction.split("：", 1)[1].split("1—")[0]
            assert any(n.startswith(estate) for n in names), (grid.introduction, names)
