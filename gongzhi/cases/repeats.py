"""Repeat problems (重复诉求): on intake, the same problem reported again recently.

A new case repeats an earlier one when, within the look-back window (30 days), in the
same category, it comes from the same reporter phone (keyed hash), or is about the same
building, or lies within 50 m, and its text is similar (rapidfuzz). The repeat links to
the first case of the chain; when the chain reaches the threshold (3 repeats), the case
goes to a leader, who must record an on-site visit (领导到现场) before it can close.
All numbers are settings (GONGZHI_REPEAT_*).
"""

import math
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rapidfuzz import fuzz

from gongzhi.cases.models import Case, CaseEvent, State, Supervision
from gongzhi.cases.recipients import leaders_over, notify_case
from gongzhi.orgs.geo import EARTH_RADIUS_M, distance_m


def _setting(name, default):
    return getattr(settings, f"GONGZHI_REPEAT_{name}", default)


def similarity(a: str, b: str) -> float:
    """0–100: how alike two descriptions are. Character-based (Chinese has no spaces):
    partial_ratio finds a short report inside a longer one."""
    a, b = (a or "").strip(), (b or "").strip()
    if not a or not b:
        return 0.0
    return fuzz.partial_ratio(a, b)


def _text(case: Case) -> str:
    return f"{case.title} {case.description}".strip()


CANDIDATE_FIELDS = (
    "id", "number", "title", "description", "lng", "lat", "reporter_phone_hash",
    "building_id", "repeat_of_id", "reported_at", "state",
)  # fmt: skip


def window() -> timedelta:
    """How far back an earlier report counts (GONGZHI_REPEAT_DAYS)."""
    return timedelta(days=_setting("DAYS", 30))


def candidates(case: Case, *, rows: bool = False):
    """Earlier live cases that may be the same problem (before the text comparison), oldest
    first: Case instances, or (`rows`) dicts of CANDIDATE_FIELDS, which cost a fraction
    of an instance each (intake compares up to 200 of them).

    One indexed read per way of being near — the same phone (its hash index), the same
    building (building, reported_at), the 50 m box (category, lat) — joined by UNION: a
    single OR over them would read every case of the category in the window, which at a
    million cases a year is tens of thousands of rows for each new case."""
    radius = _setting("RADIUS_M", 50)
    recent = (
        Case.objects.filter(
            category_id=case.category_id,
            reported_at__gte=case.reported_at - window(),
            reported_at__lt=case.reported_at,
        )
        .exclude(state__in=[State.REJECTED, State.MERGED])
        .order_by()  # the parts of a UNION are not ordered (SQLite refuses it)
    )
    if case.pk is not None:
        recent = recent.exclude(pk=case.pk)
    # What same_problem compares, and what count_repeat follows.
    recent = recent.values(*CANDIDATE_FIELDS) if rows else recent.only(*CANDIDATE_FIELDS)
    near = []
    if case.reporter_phone_hash:
        near.append(recent.filter(reporter_phone_hash=case.reporter_phone_hash))
    if case.building_id:
        near.append(recent.filter(building_id=case.building_id))
    if case.lng is not None and case.lat is not None:
        dlat = radius / 111_320
        dlng = radius / (111_320 * max(math.cos(math.radians(case.lat)), 0.01))
        near.append(
            recent.filter(
                lat__range=(case.lat - dlat, case.lat + dlat),
                lng__range=(case.lng - dlng, case.lng + dlng),
            )
        )
    if not near:
        return Case.objects.none()
    found = near[0].union(*near[1:]) if len(near) > 1 else near[0]
    return found.order_by("reported_at", "id")[:200]


def _earlier(case: Case):
    """The earliest candidate that is the same problem, as a row (attributes of
    CANDIDATE_FIELDS), or None."""
    for row in candidates(case, rows=True):
        other = SimpleNamespace(**row)
        if same_problem(case, other):
            return other
    return None


def find_earlier(case: Case) -> Case | None:
    """The earliest earlier case this one repeats, or None (its CANDIDATE_FIELDS only)."""
    row = _earlier(case)
    return None if row is None else Case(**{f: getattr(row, f) for f in CANDIDATE_FIELDS})


def same_problem(case: Case, other: Case) -> bool:
    """Does `case` report the problem of `other`, a candidate (same category, in the
    window, live)? Near it (the same phone, the same building or within the radius) and
    told in similar words. In memory: the demo asks it of its own candidates."""
    radius = _setting("RADIUS_M", 50)
    close = (
        (case.reporter_phone_hash and other.reporter_phone_hash == case.reporter_phone_hash)
        or (case.building_id and other.building_id == case.building_id)
        or (
            None not in (case.lng, case.lat, other.lng, other.lat)
            # No nearer than the latitudes are apart (a cheap exact bound first).
            and EARTH_RADIUS_M * math.radians(abs(case.lat - other.lat)) <= radius
            and distance_m(case.lng, case.lat, other.lng, other.lat) <= radius
        )
    )
    return bool(close) and similarity(_text(case), _text(other)) >= _setting("SIMILARITY", 60)


def earlier_of(case: Case):
    """Intake, before the new case's transaction: the earliest earlier case it repeats,
    as a row (attributes of CANDIDATE_FIELDS), or None. The candidates are read and the
    texts compared here, outside the database's write lock (SQLite has one for the whole
    database); two reports of one problem made at the same moment may therefore not see
    each other, as two transactions never could on PostgreSQL."""
    return _earlier(case)


def count_repeat(case: Case, earlier) -> tuple[Case, CaseEvent] | None:
    """Intake, before the new case is saved, inside its transaction, with what
    `earlier_of` found: if it repeats an earlier case, the first case of the chain counts
    it (one UPDATE … RETURNING, which takes that row's lock) and `mark()` sets the new
    case's repeat fields, so its INSERT carries them. Returns (the first case as far as
    known, the unsaved "repeat" row) for `tell()` after the save, or None."""
    if earlier is None:
        return None
    first_pk = earlier.repeat_of_id or earlier.id
    quote = connection.ops.quote_name
    table, count, updated, pk, number = map(
        quote, (Case._meta.db_table, "repeat_count", "updated_at", "id", "number")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {count} = {count} + 1, {updated} = %s WHERE {pk} = %s "
            f"RETURNING {count}, {number}",
            [connection.ops.adapt_datetimefield_value(timezone.now()), first_pk],
        )
        repeat_count, first_number = cursor.fetchone()
    # The first case as the database now has it, for mark()'s count (it adds the one).
    first = Case(pk=first_pk, number=first_number, repeat_count=repeat_count - 1)
    event = mark(case, first)
    case.repeat_of_id = first_pk
    case._state.fields_cache.pop("repeat_of", None)  # not the stand-in: read it if asked
    return first, event


def tell(case: Case, found: tuple[Case, CaseEvent] | None) -> None:
    """After the new case is saved: its "repeat" timeline row and, at the threshold, the
    leaders over its grid."""
    if found is None:
        return
    first, event = found
    event.case = case
    event.save(force_insert=True)
    _tell(case, first)


def mark(case: Case, first: Case) -> CaseEvent:
    """In memory: `case` repeats `first`, the first case of its chain, whose count goes
    up; at the threshold, `case` needs a leader on site. Returns its "repeat" timeline
    row, not saved."""
    from django.utils.translation import gettext as _

    first.repeat_count += 1
    case.is_repeat = True
    case.repeat_of = first
    if first.repeat_count >= _setting("LEADER_AT", 3):
        case.needs_leader_visit = True
        case.supervision_level = max(case.supervision_level, Supervision.RAISED)
    return CaseEvent(
        case=case,
        at=case.reported_at,
        actor=None,
        actor_name=_("System"),
        action="repeat",
        from_state=case.state,
        to_state=case.state,
        note=_("Repeat of %(n)s (repeat no. %(k)d)") % {"n": first.number, "k": first.repeat_count},
        data={"first": first.number, "count": first.repeat_count},
    )


def _tell(case: Case, first: Case) -> None:
    from django.utils.translation import gettext as _

    if case.needs_leader_visit:
        notify_case(
            case,
            leaders_over(case.org_code),
            "case.repeat_leader",
            _("Reported again and again: case %(n)s needs a leader on site") % {"n": case.number},
        )
