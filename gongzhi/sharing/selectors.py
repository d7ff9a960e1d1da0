"""Every read of sharing, scoped: staff by `sharing.view` over the row's `org_code`
(missing and not yours: the same 404), a hut's keepers their hut, residents only their
own (by the verified phone's keyed hash)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.permissions import scope_for
from gongzhi.sharing import hours, perms
from gongzhi.sharing.models import (
    HOLDING,
    OPEN_LOAN,
    BookerKind,
    Booking,
    BookingState,
    Condition,
    Hut,
    Item,
    Loan,
    LoanState,
    Room,
)
from gongzhi.sharing.services.rooms import MAX_SPAN


def rooms_visible(user):
    return Room.objects.filter(scope_for(user, perms.VIEW).q("org_code"), is_active=True)


def room_for(user, pk) -> Room:
    room = rooms_visible(user).filter(pk=pk).first()
    if room is None:
        raise NotFound(_("Not found."))
    return room


def bookings_visible(user):
    return Booking.objects.filter(scope_for(user, perms.VIEW).q("org_code"))


def booking_for(user, pk) -> Booking:
    booking = bookings_visible(user).select_related("room", "series").filter(pk=pk).first()
    if booking is None:
        raise NotFound(_("Not found."))
    return booking


def huts_visible(user):
    q = scope_for(user, perms.VIEW).q("org_code")
    if getattr(user, "is_authenticated", False):
        q |= Q(keepers=user)
    return Hut.objects.filter(q).distinct()


def hut_for(user, pk) -> Hut:
    hut = huts_visible(user).filter(pk=pk).first()
    if hut is None:
        raise NotFound(_("Not found."))
    return hut


def loans_visible(user):
    q = scope_for(user, perms.VIEW).q("org_code")
    if getattr(user, "is_authenticated", False):
        q |= Q(hut__keepers=user)
    return Loan.objects.filter(q)


# -- availability ------------------------------------------------------------------------


@dataclass(slots=True)
class Slot:
    """A booking as the calendars show it (read without building a model instance)."""

    pk: int
    room_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    blocked_until: dt.datetime
    title: str
    state: str
    booker_kind: str
    series_id: int | None

    @property
    def id(self) -> int:
        return self.pk

    def get_state_display(self) -> str:
        return str(BookingState(self.state).label)


@dataclass
class Day:
    day: dt.date
    opening: tuple[dt.datetime, dt.datetime] | None
    bookings: list = field(default_factory=list)

    @property
    def free(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """The free stretches of the day's opening (buffers counted as taken)."""
        if self.opening is None:
            return []
        out, cursor = [], self.opening[0]
        for b in self.bookings:
            if b.starts_at > cursor:
                out.append((cursor, min(b.starts_at, self.opening[1])))
            cursor = max(cursor, b.blocked_until)
        if cursor < self.opening[1]:
            out.append((cursor, self.opening[1]))
        return [(a, b) for a, b in out if b > a]


def availability(rooms, start: dt.date, days: int) -> dict[int, list[Day]]:
    """Per room, per day from `start`: the opening and the bookings that hold the room —
    one query for all the rooms' bookings in the window."""
    rooms = list(rooms)
    tz = timezone.get_current_timezone()
    a = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    b = a + dt.timedelta(days=days)
    out = {
        r.pk: [
            Day(start + dt.timedelta(days=i), hours.opening(r, start + dt.timedelta(days=i)))
            for i in range(days)
        ]
        for r in rooms
    }
    if not rooms:  # `room_id IN ()` is no SQL the raw cursor can run (EmptyResultSet)
        return out
    fields = ("id", "room_id", "starts_at", "ends_at", "blocked_until", "title", "state",
              "booker_kind", "series_id")  # fmt: skip
    query = (
        Booking.objects.filter(
            room_id__in=[r.pk for r in rooms],
            state__in=HOLDING,
            starts_at__gte=a - MAX_SPAN,  # a bounded range of the (room, starts_at) index
            starts_at__lt=b,
            blocked_until__gt=a,
        )
        .order_by("room_id", "starts_at")
        .values_list(*fields)
    )
    rows = _raw_rows(query, moments=(2, 3, 4))
    first = start.toordinal()
    for row in rows:
        slot = Slot(*row)
        index = slot.starts_at.astimezone(tz).date().toordinal() - first
        if 0 <= index < days:
            out[slot.room_id][index].bookings.append(slot)
    return out


def _raw_rows(query, *, moments: tuple[int, ...]) -> list[tuple]:
    """The rows of a values_list query straight from the cursor, its moments (the columns
    at `moments`) made aware in UTC as stored: the calendars read thousands of
    bookings, and Django's SQLite converters (a regex a value) cost more than the query.
    PostgreSQL hands back aware datetimes already."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor != "sqlite":
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i in moments:
            value = row[i]
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            row[i] = value.replace(tzinfo=dt.UTC)
        out.append(row)
    return out


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# -- the hut's catalogue ------------------------------------------------------------------


@dataclass(slots=True)
class CatalogueItem:
    """An item as the catalogue shows it (read without building model instances)."""

    pk: int
    number: str
    name: str
    condition: str
    serial: str
    safety_notes: str
    in_repair: bool
    category_id: int
    category_name: str
    deposit_yuan: int
    needs_training: bool
    open_loans: bool

    def get_condition_display(self) -> str:
        return str(Condition(self.condition).label)


CATALOGUE_FIELDS = ("id", "number", "name", "condition", "serial", "safety_notes", "in_repair",
                    "category_id", "category__name", "category__deposit_yuan",
                    "category__needs_training", "open_loans")  # fmt: skip


def catalogue(hut_ids, *, query: str = "", category_id=None, limit=200) -> list[CatalogueItem]:
    """Items with whether each is lent or held now: one query, an EXISTS over the partial
    unique index of open loans (not a join of every past loan)."""
    items = Item.objects.filter(hut_id__in=list(hut_ids), is_active=True)
    if query:
        items = items.filter(name__contains=query[:50])
    if category_id:
        items = items.filter(category_id=category_id)
    taken = Loan.objects.filter(item=OuterRef("pk"), state__in=OPEN_LOAN)
    rows = (
        items.annotate(open_loans=Exists(taken))
        .order_by("category_id", "number")
        .values_list(*CATALOGUE_FIELDS)[:limit]
    )
    return [CatalogueItem(*row) for row in rows]


def huts_for_resident(phone_hash: str):
    """The huts of the communities of the residents registered with this phone."""
    from gongzhi.registry.models import Resident

    codes = {
        c[:12]
        for c in Resident.objects.filter(phone_hash=phone_hash, is_active=True).values_list(
            "org_code", flat=True
        )
    }
    return list(Hut.objects.filter(org_code__in=codes)) if codes else list(Hut.objects.all()[:5])


def my_loans(phone_hash: str):
    return list(
        Loan.objects.filter(phone_hash=phone_hash)
        .exclude(state=LoanState.CANCELLED)
        .select_related("item", "hut")
        .order_by("-created_at")[:50]
    )


def my_bookings(phone_hash: str):
    return list(
        Booking.objects.filter(phone_hash=phone_hash, booker_kind=BookerKind.RESIDENT)
        .select_related("room")
        .order_by("-starts_at")[:50]
    )


def rooms_for_resident(phone_hash: str):
    from gongzhi.registry.models import Resident

    codes = {
        c[:12]
        for c in Resident.objects.filter(phone_hash=phone_hash, is_active=True).values_list(
            "org_code", flat=True
        )
    }
    rooms = Room.objects.filter(is_active=True, residents_may_book=True)
    return list(rooms.filter(org_code__in=codes) if codes else rooms[:20])


# -- figures ------------------------------------------------------------------------------


@dataclass
class Figures:
    bookings: int = 0
    bookings_held: int = 0  # confirmed, checked in or no-show (not cancelled or denied)
    checked_in: int = 0
    no_shows: int = 0
    cancelled: int = 0
    loans: int = 0
    returned: int = 0
    returned_late: int = 0
    overdue_now: int = 0
    items: int = 0
    in_repair: int = 0


def figures(code: str, start: dt.date, end: dt.date) -> Figures:
    """The unit's bookings (by their date) and loans (by their check-out) in the period,
    counted from the records; overdue and in repair now."""
    tz = timezone.get_current_timezone()
    a = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    b = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    f = Figures()
    bk = (
        Booking.objects.filter(org_code__within=code, starts_at__gte=a, starts_at__lt=b)
        .exclude(booker_kind=BookerKind.CLOSURE)
        .aggregate(
            n=Count("pk"),
            held=Count(
                "pk",
                filter=Q(
                    state__in=(
                        BookingState.CONFIRMED,
                        BookingState.CHECKED_IN,
                        BookingState.NO_SHOW,
                    )
                ),
            ),
            checked=Count("pk", filter=Q(state=BookingState.CHECKED_IN)),
            no=Count("pk", filter=Q(state=BookingState.NO_SHOW)),
            cancelled=Count("pk", filter=Q(state=BookingState.CANCELLED)),
        )
    )
    f.bookings, f.bookings_held, f.checked_in = bk["n"], bk["held"], bk["checked"]
    f.no_shows, f.cancelled = bk["no"], bk["cancelled"]
    now = timezone.now()
    period, late_now = Q(out_at__gte=a, out_at__lt=b), Q(state=LoanState.OUT, due_at__lt=now)
    ln = (
        Loan.objects.filter(org_code__within=code)
        .filter(period | late_now)
        .aggregate(
            n=Count("pk", filter=period),
            ret=Count("pk", filter=period & Q(state=LoanState.RETURNED)),
            late=Count(
                "pk", filter=period & Q(state=LoanState.RETURNED, returned_at__gt=F("due_at"))
            ),
            overdue=Count("pk", filter=late_now),
        )
    )
    f.loans, f.returned, f.returned_late = ln["n"], ln["ret"], ln["late"]
    f.overdue_now = ln["overdue"]
    it = Item.objects.filter(org_code__within=code, is_active=True).aggregate(
        n=Count("pk"), repair=Count("pk", filter=Q(in_repair=True))
    )
    f.items, f.in_repair = it["n"], it["repair"]
    return f


def loans_per_item_month(hut: Hut, year: int):
    """Loans per item and month of `year` (the statistics page and its workbook)."""
    from django.db.models.functions import ExtractMonth

    rows = (
        Loan.objects.filter(hut=hut, out_at__year=year)
        .annotate(month=ExtractMonth("out_at", tzinfo=timezone.get_current_timezone()))
        .values("item_id", "item__number", "item__name", "month")
        .annotate(n=Count("pk"))
        .order_by("item__number", "month")
    )
    table: dict[int, dict] = {}
    for r in rows:
        entry = table.setdefault(
            r["item_id"],
            {"number": r["item__number"], "name": r["item__name"], "months": [0] * 12, "total": 0},
        )
        entry["months"][r["month"] - 1] += r["n"]
        entry["total"] += r["n"]
    return list(table.values())


def most_wanted(hut: Hut, since: dt.datetime, limit=10):
    """Items by loans and holds since `since`."""
    return list(
        Item.objects.filter(hut=hut)
        .annotate(n=Count("loans", filter=Q(loans__created_at__gte=since)))
        .filter(n__gt=0)
        .order_by("-n", "number")[:limit]
    )


def overdue(hut: Hut):
    return list(
        Loan.objects.filter(hut=hut, state=LoanState.OUT, due_at__lt=timezone.now())
        .select_related("item", "resident")
        .order_by("due_at")
    )


# -- workbench ----------------------------------------------------------------------------


def workbench(user) -> dict | None:
    scope = scope_for(user, perms.BOOK)
    keeps = Hut.objects.filter(keepers=user).exists() if user.is_authenticated else False
    if scope.is_empty and not keeps and scope_for(user, perms.KEEP).is_empty:
        return None
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    a = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    day = dict(starts_at__gte=a, starts_at__lt=a + dt.timedelta(days=1), state__in=HOLDING)
    b = bookings_visible(user).aggregate(
        today=Count("pk", filter=Q(**day)),
        to_approve=Count("pk", filter=Q(state=BookingState.REQUESTED)),
    )
    held = (LoanState.REQUESTED, LoanState.HELD)
    late = Q(state=LoanState.OUT, due_at__lt=timezone.now())
    n = (
        loans_visible(user)
        .filter(Q(state__in=held) | late)
        .aggregate(holds=Count("pk", filter=Q(state__in=held)), overdue=Count("pk", filter=late))
    )
    return {**b, **n}


# -- what staff set up (sharing.manage) -------------------------------------------------


def communities_managed(user):
    """The communities the user may open a room or hut in."""
    from gongzhi.orgs.models import Level, OrgUnit

    scope = scope_for(user, perms.MANAGE)
    return OrgUnit.objects.filter(scope.q("code"), level=Level.COMMUNITY, is_active=True)


def rooms_closed(user):
    """Closed rooms (off every other page) for those who may open them again."""
    return Room.objects.filter(scope_for(user, perms.MANAGE).q("org_code"), is_active=False)


def room_to_manage(user, pk) -> Room:
    return perms.managed(user, Room.objects.filter(pk=pk).first())


def hut_to_manage(user, pk) -> Hut:
    return perms.managed(user, Hut.objects.filter(pk=pk).first())


def item_to_manage(user, pk) -> Item:
    item = Item.objects.select_related("hut", "category").filter(pk=pk, is_active=True)
    return perms.managed(user, item.first())


def catalogue_item(user, pk) -> Item:
    """An item of a hut the user sees or keeps."""
    item = Item.objects.filter(pk=pk, is_active=True, hut__in=huts_visible(user)).first()
    if item is None:
        raise NotFound(_("Not found."))
    return item
