"""Every write of residents' decisions: polls and elections, deliberation, surveys, the
suggestion box and the red/black board.

Each staff service checks its permission over the row's org code (what the actor may not
see is NotFound, the same as what does not exist), validates, writes in one transaction
with an audit row, and changes nothing when it refuses. The resident's writes (/my/) take
the verified phone (`held`, selfservice) instead of a user."""

import hashlib
import logging
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import services as case_services
from gongzhi.core import dates
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import clean_client_id, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.pii_text import has_personal_numbers
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.decide import perms
from gongzhi.decide.models import (
    Answer,
    Ballot,
    BallotChoice,
    BoardColor,
    BoardEntry,
    BoardState,
    Channel,
    CommunityRules,
    Electorate,
    FollowUp,
    Meeting,
    MeetingKind,
    MeetingPerson,
    Notice,
    NoticeRead,
    Option,
    Outreach,
    OutreachKind,
    Poll,
    PollKind,
    PollOption,
    PollState,
    Question,
    QuestionKind,
    RaisedBy,
    Resolution,
    ResolutionProgress,
    ResolutionState,
    Response,
    Suggestion,
    SuggestionCall,
    SuggestionChannel,
    Survey,
    SurveyMode,
    SurveyToken,
    Topic,
    TopicState,
    Voter,
)
from gongzhi.orgs.models import OrgUnit
from gongzhi.points.models import RuleKind
from gongzhi.points.services import points_award
from gongzhi.registry import pii
from gongzhi.registry.models import Building, BuildingRole, Household, Resident
from gongzhi.registry.services import clean_text
from gongzhi.registry.validation import clean_phone

log = logging.getLogger(__name__)

ADULT_YEARS = 18
MAX_OPTIONS = 30
MAX_NOTE = 500


MEETING_PURPOSE = "decide.meeting"  # a room booked for a meeting (sharing's Booking.purpose)


def community_code(code: str) -> str:
    return code[: CODE_LENGTH[Level.COMMUNITY]]


def _unit(actor, perm, unit_id) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=parse_id(unit_id)).first()
    if unit is None or not scope_for(actor, perm).covers_code(unit.code):
        raise NotFound(_("The unit does not exist or is outside your area."))
    return unit


def _place(actor, perm, *, building_id=None, unit_id=None) -> tuple[Building | None, str]:
    """(the building, its code) when a building is named, else (None, the unit's code):
    NotFound for one outside the actor's area for `perm`."""
    if building_id:
        building = Building.objects.filter(pk=parse_id(building_id)).first()
        if building is None or not scope_for(actor, perm).covers_code(building.org_code):
            raise NotFound(_("The building does not exist or is outside your area."))
        return building, building.org_code
    return None, _unit(actor, perm, unit_id).code


def _scoped(model, actor, perm, pk, *, lock=False):
    qs = model.objects.select_for_update() if lock else model.objects
    row = qs.filter(pk=parse_id(pk)).first()
    if row is None or not scope_for(actor, perm).covers_code(row.org_code):
        raise NotFound(_("Not found, or outside your area."))
    return row


def _may(actor, perm, row):
    """Visible (VIEW) but not the actor's to change: 403; not visible: 404."""
    if not can(actor, perm, row):
        if can(actor, perms.VIEW, row):
            raise PermissionDenied(_("You may not do this here."))
        raise NotFound(_("Not found, or outside your area."))


def _touches(actor, perm, code: str) -> bool:
    """The actor holds perm over the code, or over a part of it (a grid worker enters
    suggestions for the community's call)."""
    scope = scope_for(actor, perm)
    return scope.everything or any(
        c.startswith(code) or code.startswith(c) for c in scope.org_codes
    )


def _ids(values) -> list[int]:
    out = []
    for v in values or []:
        pk = parse_id(v)
        if pk is None:
            raise Invalid(_("Unknown option."), details={"options": [_("Unknown option.")]})
        out.append(pk)
    return out


# -- polls and elections ---------------------------------------------------------------


def rules_for(code: str) -> CommunityRules:
    """The community's rules; the defaults (one head per building) when it set none."""
    rules = CommunityRules.objects.filter(org_code=community_code(code)).first()
    return rules or CommunityRules(org_code=community_code(code))


def poll_create(
    *,
    actor,
    title: str,
    kind: str,
    electorate: str,
    closes_at,
    unit_id=None,
    building_id=None,
    options=(),
    candidate_ids=(),
    role: str = "",
    seats: int = 1,
    max_choices: int = 1,
    description: str = "",
) -> Poll:
    """A poll (draft) for the households or adults of a building or of a unit."""
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    description = clean_text(description, 2000, "description", errors)
    if kind not in PollKind.values:
        errors["kind"] = [_("Choose single choice, multiple choice or an election.")]
    if electorate not in Electorate.values:
        errors["electorate"] = [_("Choose households or adult residents.")]
    if isinstance(closes_at, str):
        closes_at = dates.parse_moment(closes_at, "closes_at")
    if closes_at is None or closes_at <= timezone.now():
        errors["closes_at"] = [_("The poll must close in the future.")]
    building, code = _place(actor, perms.MANAGE, building_id=building_id, unit_id=unit_id)
    seats = int(seats or 1)
    labels: list[tuple[str, Resident | None]] = []
    if kind == PollKind.ELECTION:
        if building is None:
            errors["building"] = [_("An election is for one building.")]
        if role not in BuildingRole.Role.values:
            errors["role"] = [_("Choose 楼栋长, 信息员 or 宣传员.")]
        elif role == BuildingRole.Role.HEAD and seats > rules_for(code).heads_per_building:
            errors["seats"] = [_("This community allows one building head per building.")]
        for pk in _ids(candidate_ids):
            r = Resident.objects.filter(pk=pk, is_active=True).first()
            if r is None or not r.org_code.startswith(community_code(code)):
                errors["candidates"] = [_("A candidate must live in the community.")]
                break
            labels.append((r.name, r))
        max_choices = seats
    else:
        role, seats = "", 1
        for label in options or []:
            label = (label or "").strip()
            if label:
                labels.append((label[:100], None))
        max_choices = 1 if kind == PollKind.SINGLE else max(1, int(max_choices or 1))
    if not 2 <= len(labels) <= MAX_OPTIONS:
        errors["options"] = [_("Give 2 to 30 options or candidates.")]
    raise_if(errors)
    with transaction.atomic():
        poll = Poll.objects.create(
            org_code=code,
            building=building,
            title=title,
            description=description,
            kind=kind,
            electorate=electorate,
            role=role,
            seats=seats,
            max_choices=min(max_choices, len(labels)),
            closes_at=closes_at,
            created_by=actor,
        )
        PollOption.objects.bulk_create(
            PollOption(poll=poll, label=label, candidate=r, sort=i)
            for i, (label, r) in enumerate(labels)
        )
        audit_record(actor=actor, action="decide.poll_create", obj=poll)
    return poll


def electorate_rows(poll: Poll) -> list[Voter]:
    """The eligible voters now, from the registry: households (with a room) or residents
    living here aged 18 or more (a resident without a birth date is not counted)."""
    if poll.electorate == Electorate.HOUSEHOLDS:
        qs = Household.objects.all()
        qs = (
            qs.filter(building=poll.building)
            if poll.building_id
            else qs.filter(org_code__within=poll.org_code)
        )
        return [
            Voter(poll=poll, household_id=h.pk, label=str(h)[:120])
            for h in qs.select_related("building").order_by("pk")
        ]
    today = timezone.localdate()
    born_by = (
        today.replace(year=today.year - ADULT_YEARS)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - ADULT_YEARS, day=28)
    )
    qs = Resident.objects.filter(is_active=True, birth_date__lte=born_by)
    qs = (
        qs.filter(household__building=poll.building)
        if poll.building_id
        else qs.filter(org_code__within=poll.org_code)
    )
    return [
        Voter(poll=poll, resident_id=pk, label=name[:120])
        for pk, name in qs.order_by("pk").values_list("pk", "name")
    ]


def poll_open(*, actor, poll_id) -> Poll:
    """Open the poll: its electorate is frozen now (stored rows, never changed)."""
    with transaction.atomic():
        poll = _scoped(Poll, actor, perms.MANAGE, poll_id, lock=True)
        if poll.state != PollState.DRAFT:
            raise Conflict(_("The poll is already open or closed."))
        voters = electorate_rows(poll)
        if not voters:
            raise Conflict(_("Nobody in the registry is eligible to vote in this area."))
        Voter.objects.bulk_create(voters, batch_size=500)
        poll.state, poll.opened_at, poll.electorate_size = (
            PollState.OPEN,
            timezone.now(),
            len(voters),
        )
        poll.save(update_fields=["state", "opened_at", "electorate_size"])
        audit_record(
            actor=actor, action="decide.poll_open", obj=poll, changes={"electorate": len(voters)}
        )
    return poll


def _choices(poll: Poll, option_ids) -> list[int]:
    ids = _ids(option_ids)
    valid = set(poll.options.values_list("pk", flat=True))
    if not ids or len(set(ids)) != len(ids) or not set(ids) <= valid:
        raise Invalid(
            _("Choose among the poll's options."), details={"options": [_("Unknown option.")]}
        )
    if len(ids) > poll.max_choices:
        message = _("Choose at most %(n)d.") % {"n": poll.max_choices}
        raise Invalid(message, details={"options": [message]})
    return ids


def _cast(poll: Poll, voter: Voter, ids, *, channel, phone_hash="", entered_by=None) -> Ballot:
    if poll.state != PollState.OPEN or poll.closes_at <= timezone.now():
        raise Conflict(_("The poll is not open."), code="poll_closed")
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                poll=poll,
                voter=voter,
                channel=channel,
                phone_hash=phone_hash,
                entered_by=entered_by,
            )
            BallotChoice.objects.bulk_create(
                BallotChoice(ballot=ballot, poll=poll, option_id=pk) for pk in ids
            )
    except IntegrityError:
        raise Conflict(
            _("This voter has already voted (online, on paper or by show of hands)."),
            code="already_voted",
        ) from None
    return ballot


def voters_for_phone(poll: Poll, phone_hash: str):
    """The frozen voters a verified phone stands for (by the registry's residents)."""
    residents = Resident.objects.filter(phone_hash=phone_hash, is_active=True)
    if poll.electorate == Electorate.HOUSEHOLDS:
        return poll.voters.filter(household__in=residents.values("household")).order_by("pk")
    return poll.voters.filter(resident__in=residents).order_by("pk")


def ballot_cast_web(*, held: dict, poll_id, option_ids) -> Ballot:
    """A resident's online ballot, by the verified phone. A phone stands for one voter
    (the first of its household or residents); others vote on paper."""
    poll = Poll.objects.filter(pk=parse_id(poll_id)).first()
    if poll is None or poll.state == PollState.DRAFT:
        raise NotFound(_("Not found."))
    ids = _choices(poll, option_ids)
    voter = voters_for_phone(poll, held["hash"]).first()
    if voter is None:
        raise PermissionDenied(
            _("Your phone is not registered with a voter of this poll: ask your grid worker."),
            code="not_eligible",
        )
    with transaction.atomic():
        ballot = _cast(poll, voter, ids, channel=Channel.WEB, phone_hash=held["hash"])
        audit_record(actor=None, action="decide.vote", obj=poll, changes={"channel": "web"})
    return ballot


def ballot_enter(*, actor, poll_id, voter_id, option_ids, channel: str = Channel.PAPER) -> Ballot:
    """A paper ballot or a show of hands at a meeting, entered by staff for one voter."""
    poll = _scoped(Poll, actor, perms.VIEW, poll_id)
    _may(actor, perms.RUN, poll)
    if channel not in (Channel.PAPER, Channel.HANDS):
        raise Invalid(_("Paper or show of hands."), details={"channel": [_("Unknown channel.")]})
    ids = _choices(poll, option_ids)
    voter = poll.voters.filter(pk=parse_id(voter_id)).first() if poll.state != "draft" else None
    if voter is None:
        raise Invalid(
            _("Not an eligible voter of this poll (the electorate was fixed when it opened)."),
            code="not_eligible",
            details={"voter": [_("Not an eligible voter of this poll.")]},
        )
    with transaction.atomic():
        ballot = _cast(poll, voter, ids, channel=channel, entered_by=actor)
        audit_record(
            actor=actor,
            action="decide.ballot_enter",
            obj=poll,
            changes={"channel": channel, "voter": voter.label},
        )
    return ballot


def poll_count(poll: Poll) -> dict:
    """The count, from the ballots alone: run at close, and again by anyone any time."""
    votes = dict(
        BallotChoice.objects.filter(poll=poll)
        .values_list("option")
        .annotate(n=Count("id"))
        .values_list("option", "n")
    )
    ballots = Ballot.objects.filter(poll=poll).count()
    by_channel = dict(
        Ballot.objects.filter(poll=poll)
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    options = [
        {"id": o.pk, "label": o.label, "votes": votes.get(o.pk, 0), "candidate": o.candidate_id}
        for o in poll.options.all()
    ]
    result = {
        "ballots": ballots,
        "electorate": poll.electorate_size,
        "by_channel": by_channel,
        "turnout": round(100 * ballots / poll.electorate_size, 1) if poll.electorate_size else None,
        "options": options,
    }
    if poll.kind == PollKind.ELECTION:
        ranked = sorted((o for o in options if o["votes"]), key=lambda o: -o["votes"])
        winners = ranked[: poll.seats]
        tie = len(ranked) > poll.seats and ranked[poll.seats]["votes"] == winners[-1]["votes"]
        result["winners"] = [] if tie else [o["id"] for o in winners]
        result["tie"] = bool(tie)
    return result


def poll_close(*, actor, poll_id) -> Poll:
    """Close the poll and publish its count; an election writes the building's positions
    (the only way this app writes them). A tie for the last seat writes nothing."""
    with transaction.atomic():
        poll = _scoped(Poll, actor, perms.MANAGE, poll_id, lock=True)
        if poll.state != PollState.OPEN:
            raise Conflict(_("Only an open poll can be closed."))
        _close(actor, poll)
    return poll


def _close(actor, poll: Poll) -> None:
    poll.result = poll_count(poll)
    poll.state, poll.closed_at = PollState.CLOSED, timezone.now()
    poll.save(update_fields=["result", "state", "closed_at"])
    if poll.kind == PollKind.ELECTION and poll.result["winners"]:
        _elect(actor, poll)
    audit_record(
        actor=actor,
        action="decide.poll_close",
        obj=poll,
        changes={"ballots": poll.result["ballots"], "by": "staff" if actor else "deadline"},
    )


def polls_close_due() -> int:
    """The job's part: every open poll whose closing time has passed is closed and counted
    as a manager's close would (an election writes its building's positions), each in its
    own transaction; a poll a manager closed meanwhile is left alone. Returns how many."""
    closed = 0
    due = Poll.objects.filter(state=PollState.OPEN, closes_at__lte=timezone.now())
    for pk in due.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                poll = Poll.objects.select_for_update().get(pk=pk)
                if poll.state != PollState.OPEN:
                    continue
                _close(None, poll)
                closed += 1
        except Conflict as refused:  # e.g. more heads elected than the community allows
            log.warning("poll %s not closed at its deadline: %s", pk, refused)
    return closed


def _elect(actor, poll: Poll) -> None:
    winners = list(
        PollOption.objects.filter(pk__in=poll.result["winners"]).values_list("candidate", flat=True)
    )
    rules = rules_for(poll.org_code)
    if poll.role == BuildingRole.Role.HEAD and len(winners) > rules.heads_per_building:
        raise Conflict(_("This community allows one building head per building."))
    BuildingRole.objects.filter(building=poll.building, role=poll.role).delete()
    BuildingRole.objects.bulk_create(
        BuildingRole(building=poll.building, role=poll.role, resident_id=pk) for pk in winners
    )
    audit_record(
        actor=actor,
        action="decide.elected",
        obj=poll.building,
        changes={"role": poll.role, "residents": winners, "poll": poll.pk},
    )


# -- deliberation ------------------------------------------------------------------------


def topic_raise(
    *,
    actor=None,
    held: dict | None = None,
    unit_id=None,
    building_id=None,
    title: str,
    description: str = "",
    raiser_name: str = "",
) -> Topic:
    """A topic raised by staff, a building head (actor) or a resident (held phone)."""
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    description = clean_text(description, 2000, "description", errors)
    raiser_name = clean_text(raiser_name, 50, "raiser_name", errors)
    raise_if(errors)
    sealed = {}
    if held is not None:
        residents = Resident.objects.filter(phone_hash=held["hash"], is_active=True)
        resident = residents.order_by("pk").first()
        if resident is None:
            raise PermissionDenied(_("Your phone is not registered in this community."))
        building = resident.household.building if resident.household_id else None
        code = building.org_code if building else resident.org_code
        kind, raiser_name = RaisedBy.RESIDENT, raiser_name or resident.name
        sealed = {
            "phone_enc": held["enc"],
            "phone_hash": held["hash"],
            "phone_masked": held["masked"],
        }
    else:
        building, code = _place(actor, perms.PROPOSE, building_id=building_id, unit_id=unit_id)
        is_staff = (
            can(actor, perms.RUN, building)
            if building
            else scope_for(actor, perms.RUN).covers_code(code)
        )
        kind = RaisedBy.STAFF if is_staff else RaisedBy.BUILDING_HEAD
        raiser_name = raiser_name or actor.get_display_name()
    with transaction.atomic():
        topic = Topic.objects.create(
            org_code=code,
            building=building,
            title=title,
            description=description,
            raised_by_kind=kind,
            raiser_name=raiser_name,
            raised_by=actor,
            **sealed,
        )
        audit_record(actor=actor, action="decide.topic_raise", obj=topic)
    return topic


def meeting_schedule(
    *,
    actor,
    unit_id,
    kind: str,
    title: str,
    starts_at,
    place: str = "",
    topic_ids=(),
    invitee_ids=(),
    room_id=None,
    ends_at=None,
) -> Meeting:
    """A meeting of the unit: at a place given as text, or in a room of its community booked
    for it through the rooms' one booking service (sharing.services.book_room: the room's
    hours, rules and every other booking hold; a clash refuses the meeting too), `ends_at`
    then required. The invitees and the topics are of the unit."""
    unit = _unit(actor, perms.RUN, unit_id)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    room = None
    if room_id not in (None, ""):
        from gongzhi.sharing.models import Room

        # The room's name for the place; whether it is the community's, book_room says.
        room = Room.objects.filter(pk=parse_id(room_id), is_active=True).first()
        if room is None:
            raise NotFound(_("The room does not exist or is not the community's."))
        place = place or room.name
        if isinstance(ends_at, str):
            ends_at = dates.parse_moment(ends_at, "ends_at")
        if ends_at is None:
            errors["ends_at"] = [_("Give the time the room is needed until.")]
    place = clean_text(place, 100, "place", errors, required=True)
    if kind not in MeetingKind.values:
        errors["kind"] = [_("Choose the kind of meeting.")]
    if isinstance(starts_at, str):
        starts_at = dates.parse_moment(starts_at, "starts_at")
    if starts_at is None:
        errors["starts_at"] = [_("This field is required.")]
    topics = list(Topic.objects.filter(pk__in=_ids(topic_ids), org_code__within=unit.code))
    if len(topics) != len(set(topic_ids or ())):
        errors["topics"] = [_("A topic of another area.")]
    invitees = list(Resident.objects.filter(pk__in=_ids(invitee_ids), org_code__within=unit.code))
    if len(invitees) != len(set(invitee_ids or ())):
        errors["invitees"] = [_("A resident of another area.")]
    raise_if(errors)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            org_code=unit.code,
            kind=kind,
            title=title,
            starts_at=starts_at,
            place=place,
            created_by=actor,
        )
        meeting.topics.set(topics)
        MeetingPerson.objects.bulk_create(
            MeetingPerson(meeting=meeting, resident=r, name=r.name, invited=True) for r in invitees
        )
        if room is not None:
            from gongzhi.sharing.services import book_room

            meeting.booking = book_room(
                actor=actor, room_id=room.pk, starts_at=starts_at, ends_at=ends_at, title=title,
                people=max(1, len(invitees)), purpose=MEETING_PURPOSE,
                purpose_key=str(meeting.pk), within=community_code(unit.code),
            )  # fmt: skip
            meeting.save(update_fields=["booking"])
        audit_record(actor=actor, action="decide.meeting_schedule", obj=meeting)
    return meeting


def meeting_record(*, actor, meeting_id, minutes: str, attendee_ids=()) -> Meeting:
    """The minutes and who came; each registered attendee may earn the meeting's points
    once (points_award, key: meeting and resident)."""
    errors: dict[str, list[str]] = {}
    minutes = clean_text(minutes, 10000, "minutes", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        meeting = _scoped(Meeting, actor, perms.RUN, meeting_id, lock=True)
        ids = _ids(attendee_ids)
        attendees = list(
            Resident.objects.filter(pk__in=ids, org_code__within=community_code(meeting.org_code))
        )
        if len(attendees) != len(set(ids)):
            raise Invalid(
                _("A resident of another community."),
                details={"attendees": [_("A resident of another community.")]},
            )
        meeting.minutes, meeting.held = minutes, True
        meeting.save(update_fields=["minutes", "held"])
        known = {p.resident_id: p for p in meeting.people.all()}
        for r in attendees:
            person = known.get(r.pk) or MeetingPerson(meeting=meeting, resident=r, name=r.name)
            person.attended = True
            person.save()
            points_award(
                source="decide.meeting",
                key=f"{meeting.pk}:{r.pk}",
                kind=RuleKind.MEETING_ATTENDED,
                resident=r,
                actor=actor,
                note=meeting.title,
            )
        Topic.objects.filter(meetings=meeting, state=TopicState.OPEN).update(
            state=TopicState.DISCUSSED
        )
        audit_record(
            actor=actor,
            action="decide.meeting_record",
            obj=meeting,
            changes={"attended": len(attendees)},
        )
    return meeting


def resolution_add(
    *, actor, topic_id, text: str, owner: str, deadline, meeting_id=None
) -> Resolution:
    topic = _scoped(Topic, actor, perms.RUN, topic_id)
    errors: dict[str, list[str]] = {}
    text = clean_text(text, 2000, "text", errors, required=True)
    owner = clean_text(owner, 50, "owner", errors, required=True)
    if isinstance(deadline, str):
        deadline = dates.parse_day(deadline, "deadline", code="invalid")
    if deadline is None:
        errors["deadline"] = [_("This field is required.")]
    meeting = None
    if meeting_id:
        meeting = Meeting.objects.filter(pk=parse_id(meeting_id), topics=topic).first()
        if meeting is None:
            errors["meeting"] = [_("The topic was not on this meeting's agenda.")]
    raise_if(errors)
    with transaction.atomic():
        res = Resolution.objects.create(
            org_code=topic.org_code,
            topic=topic,
            meeting=meeting,
            text=text,
            owner=owner,
            deadline=deadline,
        )
        if topic.state == TopicState.OPEN:
            topic.state = TopicState.DISCUSSED
            topic.save(update_fields=["state"])
        audit_record(actor=actor, action="decide.resolution_add", obj=res)
    return res


def resolution_progress(
    *, actor, resolution_id, percent, note: str, done: bool = False
) -> Resolution:
    """A progress entry; `done` with it is the only way a resolution is done (and its
    topic resolved when every resolution of it is)."""
    errors: dict[str, list[str]] = {}
    note = clean_text(note, MAX_NOTE, "note", errors, required=True)
    try:
        percent = 100 if done else int(percent)
    except (TypeError, ValueError):
        percent = -1
    if not 0 <= percent <= 100:
        errors["percent"] = [_("A percentage from 0 to 100.")]
    raise_if(errors)
    with transaction.atomic():
        res = _scoped(Resolution, actor, perms.RUN, resolution_id, lock=True)
        if res.state == ResolutionState.DONE:
            raise Conflict(_("The resolution is already done."))
        entry = ResolutionProgress.objects.create(
            resolution=res, percent=percent, note=note, done=done, actor=actor
        )
        res.progress = percent
        if done:
            res.state, res.done_entry, res.done_at = ResolutionState.DONE, entry, entry.at
        res.save(update_fields=["progress", "state", "done_entry", "done_at"])
        if done and not res.topic.resolutions.exclude(state=ResolutionState.DONE).exists():
            Topic.objects.filter(pk=res.topic_id).update(state=TopicState.RESOLVED)
        audit_record(
            actor=actor,
            action="decide.resolution_progress",
            obj=res,
            changes={"percent": percent, "done": done},
        )
    return res


def resolution_follow_up(
    *, actor, resolution_id, person: str, satisfied: bool, note: str = ""
) -> FollowUp:
    """回访: the people who raised it asked whether it is solved."""
    res = _scoped(Resolution, actor, perms.RUN, resolution_id)
    errors: dict[str, list[str]] = {}
    person = clean_text(person, 50, "person", errors, required=True)
    note = clean_text(note, MAX_NOTE, "note", errors)
    raise_if(errors)
    if res.state != ResolutionState.DONE:
        raise Conflict(_("Follow up once the resolution is done."))
    with transaction.atomic():
        f = FollowUp.objects.create(
            resolution=res, person=person, satisfied=bool(satisfied), note=note, actor=actor
        )
        audit_record(actor=actor, action="decide.follow_up", obj=res)
    return f


def resolution_to_case(*, actor, resolution_id, category_id) -> Resolution:
    """A resolution that needs the case loop becomes a case (intake), linked to it."""
    with transaction.atomic():
        res = _scoped(Resolution, actor, perms.RUN, resolution_id, lock=True)
        if res.case_id:
            raise Conflict(_("The resolution already has a case."))
        grid = OrgUnit.objects.filter(code=res.org_code).first()
        building = res.topic.building
        case, _created = case_services.case_report(
            actor=actor,
            category_id=category_id,
            title=res.topic.title[:50],
            description=res.text,
            grid_id=getattr(grid, "pk", None) if grid and len(grid.code) > 12 else None,
            building_id=getattr(building, "pk", None),
        )
        res.case = case
        res.save(update_fields=["case"])
        audit_record(
            actor=actor, action="decide.resolution_case", obj=res, changes={"case": case.number}
        )
    return res


# -- surveys -----------------------------------------------------------------------------


def survey_create(
    *,
    actor,
    unit_id,
    title: str,
    mode: str,
    questions: list[dict],
    intro: str = "",
    public_results: bool = False,
) -> Survey:
    """questions: [{"kind", "text", "options": [..], "rows": [..], "required",
    "satisfied": [option indexes], "show_if": [question index, option index],
    "satisfaction": bool}]."""
    unit = _unit(actor, perms.MANAGE, unit_id)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    intro = clean_text(intro, 2000, "intro", errors)
    if mode not in SurveyMode.values:
        errors["mode"] = [_("Anonymous with tokens, or by verified phone.")]
    if not questions or len(questions) > 100:
        errors["questions"] = [_("Give 1 to 100 questions.")]
    for i, q in enumerate(questions or []):
        text = (q.get("text") or "").strip()
        opts = [o for o in q.get("options") or [] if str(o).strip()]
        if q.get("kind") not in QuestionKind.values or not text or len(text) > 200:
            errors[f"questions.{i}"] = [_("Each question needs a kind and a text.")]
        elif q["kind"] in ("single", "multiple", "matrix") and not 2 <= len(opts) <= MAX_OPTIONS:
            errors[f"questions.{i}"] = [_("Give 2 to 30 options or candidates.")]
        elif q["kind"] == "matrix" and not q.get("rows"):
            errors[f"questions.{i}"] = [_("A matrix question needs rows.")]
        cond = q.get("show_if")
        if cond and not (
            isinstance(cond, list | tuple) and len(cond) == 2 and 0 <= int(cond[0]) < i
        ):
            errors[f"questions.{i}"] = [_("A condition names an earlier question's option.")]
    raise_if(errors)
    with transaction.atomic():
        survey = Survey.objects.create(
            org_code=unit.code,
            title=title,
            intro=intro,
            mode=mode,
            public_results=bool(public_results),
        )
        made: list[tuple[Question, list[Option]]] = []
        for i, q in enumerate(questions):
            cond = q.get("show_if")
            show_if = made[int(cond[0])][1][int(cond[1])] if cond else None
            question = Question.objects.create(
                survey=survey,
                sort=i,
                kind=q["kind"],
                text=q["text"].strip(),
                required=q.get("required", True),
                rows=[str(r)[:100] for r in q.get("rows") or []],
                show_if=show_if,
            )
            satisfied = set(q.get("satisfied") or [])
            options = Option.objects.bulk_create(
                Option(question=question, label=str(o)[:100], sort=j, satisfied=j in satisfied)
                for j, o in enumerate(o for o in q.get("options") or [] if str(o).strip())
            )
            made.append((question, options))
            if q.get("satisfaction"):
                survey.satisfaction_question = question
        survey.save(update_fields=["satisfaction_question"])
        audit_record(actor=actor, action="decide.survey_create", obj=survey)
    return survey


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_tokens(*, actor, survey_id, n: int) -> list[str]:
    """n one-time tokens of an anonymous survey (shown once; stored as SHA-256)."""
    survey = _scoped(Survey, actor, perms.MANAGE, survey_id)
    if not 1 <= int(n) <= 5000:
        raise Invalid(_("1 to 5000 tokens."), details={"n": [_("1 to 5000 tokens.")]})
    tokens = [secrets.token_urlsafe(12) for _i in range(int(n))]
    with transaction.atomic():
        SurveyToken.objects.bulk_create(
            SurveyToken(survey=survey, token_hash=token_hash(t)) for t in tokens
        )
        audit_record(
            actor=actor, action="decide.survey_tokens", obj=survey, changes={"n": len(tokens)}
        )
    return tokens


def _answers(survey: Survey, given: dict) -> list[Answer]:
    """The answers, validated: options of the question, a rating 1–5, display conditions
    (a question whose condition is not met is skipped, its answer ignored)."""
    given = {str(k): v for k, v in (given or {}).items()}
    chosen: set[int] = set()
    out, errors = [], {}
    for q in survey.questions.prefetch_related("options"):
        if q.show_if_id and q.show_if_id not in chosen:
            continue
        value, key = given.get(str(q.pk)), f"q{q.pk}"
        opts = {o.pk for o in q.options.all()}
        if value in (None, "", []):
            if q.required:
                errors[key] = [_("Please answer this question.")]
            continue
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            ids = value if isinstance(value, list) else [value]
            ids = [parse_id(v) for v in ids]
            if None in ids or not set(ids) <= opts or (q.kind == "single" and len(ids) != 1):
                errors[key] = [_("Choose among the question's options.")]
                continue
            chosen |= set(ids)
            out += [Answer(question=q, option_id=pk) for pk in set(ids)]
        elif q.kind == QuestionKind.RATING:
            v = parse_id(value)
            if v is None or v > 5:
                errors[key] = [_("A rating from 1 to 5.")]
                continue
            out.append(Answer(question=q, value=v))
        elif q.kind == QuestionKind.TEXT:
            text = str(value).strip()
            if len(text) > 1000:
                errors[key] = [_("At most %(n)d characters.") % {"n": 1000}]
                continue
            out.append(Answer(question=q, text=text))
        else:  # matrix: {row index: option id}
            if not isinstance(value, dict):
                errors[key] = [_("Answer each row.")]
                continue
            for row, pk in value.items():
                r, pk = parse_id(int(row) + 1 if str(row).isdigit() else None), parse_id(pk)
                if r is None or r > len(q.rows) or pk not in opts:
                    errors[key] = [_("Answer each row.")]
                    break
                out.append(Answer(question=q, row=r - 1, option_id=pk))
    raise_if(errors)
    return out


def survey_submit(
    *, survey_id, answers: dict, submission_id, token: str = "", held: dict | None = None
) -> tuple[Response, bool]:
    """One response per token or per phone. The same submission sent again (a poor
    connection's retry) returns the stored response: (response, False)."""
    survey = Survey.objects.filter(pk=parse_id(survey_id)).first()
    if survey is None:
        raise NotFound(_("Not found."))
    submission_id = clean_client_id(submission_id)
    if survey.mode == SurveyMode.VERIFIED:
        if held is None:
            raise PermissionDenied(_("Verify your phone first."), code="phone_required")
        respondent = f"p:{held['hash']}"
    else:
        if (
            not token
            or not SurveyToken.objects.filter(survey=survey, token_hash=token_hash(token)).exists()
        ):
            raise PermissionDenied(_("This survey link is not valid."), code="bad_token")
        respondent = f"t:{token_hash(token)}"
    earlier = Response.objects.filter(survey=survey, submission_id=submission_id).first()
    if earlier is not None:
        if earlier.respondent != respondent:
            raise Conflict(
                _("This submission id was used by another answer."), code="submission_conflict"
            )
        return earlier, False
    if not survey.is_open:
        raise Conflict(_("The survey is closed."), code="survey_closed")
    rows = _answers(survey, answers)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey, respondent=respondent, submission_id=submission_id
            )
            for a in rows:
                a.response = response
            Answer.objects.bulk_create(rows)
            if held is not None:
                r = (
                    Resident.objects.filter(phone_hash=held["hash"], is_active=True)
                    .order_by("pk")
                    .first()
                )
                if r is not None:
                    points_award(
                        source="decide.survey",
                        key=str(response.pk),
                        kind=RuleKind.SURVEY_COMPLETED,
                        resident=r,
                        note=survey.title,
                    )
    except IntegrityError:
        earlier = Response.objects.filter(survey=survey, submission_id=submission_id).first()
        if earlier is not None and earlier.respondent == respondent:
            return earlier, False
        raise Conflict(
            _("This survey has already been answered with this link or phone."),
            code="already_answered",
        ) from None
    return response, True


def survey_close(*, actor, survey_id) -> Survey:
    with transaction.atomic():
        survey = _scoped(Survey, actor, perms.MANAGE, survey_id, lock=True)
        survey.is_open = False
        survey.save(update_fields=["is_open"])
        audit_record(actor=actor, action="decide.survey_close", obj=survey)
    return survey


# -- suggestion box ----------------------------------------------------------------------


def call_open(*, actor, unit_id, title: str, deadline, description: str = "") -> SuggestionCall:
    unit = _unit(actor, perms.MANAGE, unit_id)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    description = clean_text(description, 2000, "description", errors)
    if isinstance(deadline, str):
        deadline = dates.parse_day(deadline, "deadline", code="invalid")
    raise_if(errors)
    with transaction.atomic():
        call = SuggestionCall.objects.create(
            org_code=unit.code, title=title, description=description, deadline=deadline
        )
        audit_record(actor=actor, action="decide.call_open", obj=call)
    return call


def suggestion_submit(
    *,
    call_id,
    text: str,
    submission_id,
    actor=None,
    held: dict | None = None,
    channel: str = SuggestionChannel.WEB,
    name: str = "",
    phone: str = "",
    public_name: bool = False,
) -> tuple[Suggestion, bool]:
    """A suggestion by a resident (held phone, online) or entered by staff (hotline,
    paper). Named or not to the public, always traceable by staff. Idempotent."""
    call = SuggestionCall.objects.filter(pk=parse_id(call_id)).first()
    if call is None or (actor is not None and not _touches(actor, perms.RUN, call.org_code)):
        raise NotFound(_("Not found."))
    submission_id = clean_client_id(submission_id)
    earlier = call.suggestions.filter(submission_id=submission_id).first()
    if earlier is not None:
        return earlier, False
    errors: dict[str, list[str]] = {}
    text = clean_text(text, 2000, "text", errors, required=True)
    name = clean_text(name, 50, "name", errors)
    if channel not in SuggestionChannel.values or (actor is None and channel != "web"):
        errors["channel"] = [_("Unknown channel.")]
    if call.deadline < timezone.localdate():
        raise Conflict(_("The call for suggestions has ended."), code="call_ended")
    if held is not None:
        sealed = {
            "phone_enc": held["enc"],
            "phone_hash": held["hash"],
            "phone_masked": held["masked"],
        }
    elif actor is not None:
        try:
            sealed = pii.seal_phone(clean_phone(phone)) if phone else {}
        except Invalid:
            errors["phone"] = [_("Enter a valid phone number.")]
    else:
        raise PermissionDenied(_("Verify your phone first."), code="phone_required")
    raise_if(errors)
    try:
        with transaction.atomic():
            s = Suggestion.objects.create(
                call=call,
                channel=channel,
                text=text,
                name=name,
                public_name=bool(public_name),
                submission_id=submission_id,
                entered_by=actor,
                **sealed,
            )
            audit_record(actor=actor, action="decide.suggestion", obj=call)
    except IntegrityError:
        return call.suggestions.get(submission_id=submission_id), False
    return s, True


def suggestion_reply(*, actor, suggestion_id, reply: str) -> Suggestion:
    s = Suggestion.objects.select_related("call").filter(pk=parse_id(suggestion_id)).first()
    if s is None or not can(actor, perms.VIEW, s.call):
        raise NotFound(_("Not found, or outside your area."))
    _may(actor, perms.MANAGE, s.call)
    errors: dict[str, list[str]] = {}
    reply = clean_text(reply, 2000, "reply", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        s.reply, s.replied_at, s.replied_by = reply, timezone.now(), actor
        s.save(update_fields=["reply", "replied_at", "replied_by"])
        audit_record(actor=actor, action="decide.suggestion_reply", obj=s.call)
    return s


# -- red/black board ---------------------------------------------------------------------


def board_propose(
    *,
    actor,
    unit_id,
    color: str,
    title: str,
    text: str,
    basis: str,
    place: str = "",
    identifies_person: bool = False,
    consent: str = "",
    basis_case_id=None,
) -> BoardEntry:
    """Propose an entry. A black entry that identifies a person (name, ID, face — or a
    phone or ID number in its text) needs the consent recorded, else it is refused."""
    unit = _unit(actor, perms.PROPOSE, unit_id)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    text = clean_text(text, 2000, "text", errors, required=True)
    basis = clean_text(basis, 200, "basis", errors, required=True)
    place = clean_text(place, 100, "place", errors)
    consent = clean_text(consent, 200, "consent", errors)
    if color not in BoardColor.values:
        errors["color"] = [_("Red or black board.")]
    identifies = bool(identifies_person) or has_personal_numbers(f"{title} {text}")
    if color == BoardColor.BLACK and identifies and not consent:
        errors["consent"] = [
            _(
                "A black-board entry may not name or show a person (name, ID, face, phone) "
                "unless their consent is recorded."
            )
        ]
    raise_if(errors)
    with transaction.atomic():
        entry = BoardEntry.objects.create(
            org_code=community_code(unit.code),
            color=color,
            title=title,
            text=text,
            place=place,
            basis=basis,
            basis_case_id=parse_id(basis_case_id),
            identifies_person=identifies,
            consent=consent,
            proposed_by=actor,
        )
        audit_record(actor=actor, action="decide.board_propose", obj=entry)
    return entry


def board_approve(*, actor, entry_id, publish_from, publish_until) -> BoardEntry:
    with transaction.atomic():
        entry = _scoped(BoardEntry, actor, perms.MANAGE, entry_id, lock=True)
        if entry.state != BoardState.PROPOSED:
            raise Conflict(_("Only a proposed entry can be approved."))
        start = (
            dates.parse_day(publish_from, "publish_from", code="invalid")
            if isinstance(publish_from, str)
            else publish_from
        )
        end = (
            dates.parse_day(publish_until, "publish_until", code="invalid")
            if isinstance(publish_until, str)
            else publish_until
        )
        if end < start or (end - start).days > 366:
            raise Invalid(
                _("The publication period is at most a year."),
                details={"publish_until": [_("The publication period is at most a year.")]},
            )
        entry.state, entry.approved_by = BoardState.PUBLISHED, actor
        entry.publish_from, entry.publish_until = start, end
        entry.save(update_fields=["state", "approved_by", "publish_from", "publish_until"])
        audit_record(actor=actor, action="decide.board_approve", obj=entry)
    return entry


def board_appeal(*, entry_id, text: str) -> BoardEntry:
    """Anyone may appeal a published entry (the public board's form)."""
    errors: dict[str, list[str]] = {}
    text = clean_text(text, 1000, "appeal", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        entry = (
            BoardEntry.objects.select_for_update()
            .filter(pk=parse_id(entry_id), state=BoardState.PUBLISHED)
            .first()
        )
        if entry is None:
            raise NotFound(_("Not found."))
        entry.appeal = f"{entry.appeal}\n{text}".strip()[:5000]
        entry.save(update_fields=["appeal"])
        audit_record(actor=None, action="decide.board_appeal", obj=entry)
    return entry


def board_appeal_decide(*, actor, entry_id, withdraw: bool, decision: str) -> BoardEntry:
    errors: dict[str, list[str]] = {}
    decision = clean_text(decision, 200, "decision", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        entry = _scoped(BoardEntry, actor, perms.MANAGE, entry_id, lock=True)
        entry.appeal_decision = decision
        if withdraw:
            entry.state = BoardState.WITHDRAWN
        entry.save(update_fields=["appeal_decision", "state"])
        audit_record(
            actor=actor,
            action="decide.board_appeal_decide",
            obj=entry,
            changes={"withdrawn": bool(withdraw)},
        )
    return entry


# -- notices and outreach ----------------------------------------------------------------

MAX_SMS = 2000


def notice_publish(
    *, actor, title: str, body: str, unit_id=None, building_id=None, sms: bool = False
) -> Notice:
    """A notice to a unit's residents or one building's; with `sms`, a text message to
    each of their registered mobiles (at most 2,000) once the notice is committed."""
    errors: dict[str, list[str]] = {}
    title = clean_text(title, 100, "title", errors, required=True)
    body = clean_text(body, 2000, "body", errors, required=True)
    raise_if(errors)
    building, code = _place(actor, perms.MANAGE, building_id=building_id, unit_id=unit_id)
    residents = Resident.objects.filter(is_active=True).exclude(phone_enc="")
    residents = (
        residents.filter(household__building=building)
        if building
        else residents.filter(org_code__within=code)
    )
    with transaction.atomic():
        notice = Notice.objects.create(
            org_code=code,
            building=building,
            title=title,
            body=body,
            sms=bool(sms),
            created_by=actor,
        )
        if sms:
            phones = {pii.open_phone(r) for r in residents.order_by("pk")[:MAX_SMS]}
            phones = sorted(p for p in phones if p.startswith("1"))
            notice.sms_sent = len(phones)
            notice.save(update_fields=["sms_sent"])
            transaction.on_commit(lambda: _send_sms(phones, f"{title}：{body}"[:300]))
        audit_record(
            actor=actor, action="decide.notice", obj=notice, changes={"sms": notice.sms_sent}
        )
    return notice


def _send_sms(phones: list[str], text: str) -> None:
    from gongzhi.core.pii_text import mask_personal_text
    from gongzhi.notifications import sms

    backend = sms.get_backend()
    for phone in phones:
        backend.send(phone=phone, text="【共治】" + mask_personal_text(text))


def notice_read(*, held: dict, notice_id) -> Notice:
    """A resident opened a notice of their area: counted once per phone."""
    notice = Notice.objects.filter(pk=parse_id(notice_id)).first()
    codes = Resident.objects.filter(phone_hash=held["hash"], is_active=True).values_list(
        "org_code", flat=True
    )
    if notice is None or not any(c.startswith(notice.org_code[:12]) for c in codes):
        raise NotFound(_("Not found."))
    NoticeRead.objects.get_or_create(notice=notice, phone_hash=held["hash"])
    return notice


def outreach_record(
    *, actor, unit_id, kind: str, topic: str, held_on, attendance, place: str = ""
) -> Outreach:
    unit = _unit(actor, perms.RUN, unit_id)
    errors: dict[str, list[str]] = {}
    topic = clean_text(topic, 100, "topic", errors, required=True)
    place = clean_text(place, 100, "place", errors)
    if kind not in OutreachKind.values:
        errors["kind"] = [_("Choose the kind of outreach.")]
    if isinstance(held_on, str):
        held_on = dates.parse_day(held_on, "held_on", code="invalid")
    if held_on is None or held_on > timezone.localdate():
        errors["held_on"] = [_("The date cannot be in the future.")]
    try:
        attendance = int(attendance)
    except (TypeError, ValueError):
        attendance = -1
    if not 0 <= attendance <= 100000:
        errors["attendance"] = [_("Attendance from 0 to 100,000.")]
    raise_if(errors)
    with transaction.atomic():
        row = Outreach.objects.create(
            org_code=unit.code,
            kind=kind,
            topic=topic,
            held_on=held_on,
            place=place,
            attendance=attendance,
            recorded_by=actor,
        )
        audit_record(actor=actor, action="decide.outreach", obj=row)
    return row
