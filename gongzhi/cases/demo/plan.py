"""Which cases, where, reported by whom and when, and what will become of each (its
fate): planted cases for every board, repeat chains, duplicates, and the natural mix."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from shapely.geometry import Point

from gongzhi.cases import policies
from gongzhi.cases.demo.content import (
    AGAIN,
    BY_OPERATOR,
    CHANNELS,
    GENERIC,
    GROUP_WEIGHTS,
    TEMPLATES,
)
from gongzhi.cases.demo.world import (
    DAY,
    DAYS,
    FULL_CASES,
    HOUR,
    MINUTE,
    SMALL_CASES,
    Grid,
    Person,
    World,
)
from gongzhi.cases.models import (
    Category,
    Channel,
    Rating,
    Urgency,
)
from gongzhi.cases.services.clock import deadlines_from
from gongzhi.registry.models import Building


@dataclass
class Fate:
    """What will happen to a case (as far as time allows)."""

    stall: str = ""  # the step never taken: the case waits before it
    stall_round: int = 0  # 1: after an escalation
    reject: bool = False
    reopen: bool = False
    merge_into: object = None  # an earlier Item
    self_handle: bool = False
    direct: bool = False  # dispatched straight from the report (registered in the same step)
    returned: bool = False
    rework: bool = False
    suspend: bool = False
    extension: str = ""  # approved, refused, pending
    supervise: int = 0
    late: bool = False
    late_contact: bool = False
    rating: str = ""  # the first callback's rating, else drawn
    rush: bool = False  # every step within hours, whatever the office hours
    leader_visit: bool = True
    register_delay: dt.timedelta | None = None


@dataclass
class Item:
    at: dt.datetime
    grid: Grid
    category: Category
    group: str
    urgency: str
    channel: str
    title: str
    description: str
    building: Building | None
    unit_id: int
    org_code: str
    lng: float | None
    lat: float | None
    address: str
    reported_by: object | None
    resident: tuple | None  # (id, name)
    person: Person | None
    fate: Fate
    life: object = None  # its simulate.Life, once the simulation starts

    @property
    def contactable(self) -> bool:
        return bool(self.person or self.resident)


# -- planning: who reports what, where, when ---------------------------------------


def _point_in(w: World, g: Grid):
    place, prep, poly = w.rnd.choice(g.places)
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(60):
        x, y = w.rnd.uniform(minx, maxx), w.rnd.uniform(miny, maxy)
        if prep.contains(Point(x, y)):
            return place, round(x, 7), round(y, 7)
    c = poly.representative_point()
    return place, round(c.x, 7), round(c.y, 7)


def _category(w: World, group: str | None = None, where: str | None = None):
    groups = [g for g in GROUP_WEIGHTS if w.categories.get(g)] or list(w.categories)
    if group is None or group not in w.categories:
        group = w.pick([(g, GROUP_WEIGHTS.get(g, 1)) for g in groups])
    options = w.categories[group]
    if where:
        fitting = [c for c in options if any(t[0] == where for t in TEMPLATES.get(c.code, []))]
        options = fitting or options
    return w.rnd.choice(options)


def _describe(w: World, g: Grid, category: Category, where: str | None = None):
    """(title, description, location) for a problem of `category` in grid `g`."""
    templates = TEMPLATES.get(category.code) or GENERIC
    if where:
        templates = [t for t in templates if t[0] == where] or templates
    kind, title, text = w.rnd.choice(templates)
    if kind == "p" and not g.premises:
        kind, title, text = GENERIC[1]
    if kind == "s" and not g.places:  # a grid without a boundary: at a building
        kind, title, text = GENERIC[0]
    street = w.rnd.choice(g.streets)
    values = {
        "cat": category.name,
        "street": street,
        "n": w.rnd.randint(1, 300),
        "unit": f"{w.rnd.randint(1, 3)}单元",
        "floor": w.rnd.randint(2, 11),
    }
    loc = {"building": None}
    if kind == "b":
        b = w.rnd.choice(g.buildings)
        values.update(b=b.name, addr=b.address or b.name)
        loc.update(
            building=b,
            unit_id=b.grid_id,
            org_code=b.org_code,
            lng=b.lng,
            lat=b.lat,
            address=b.address or b.name,
        )
    elif kind == "p":
        shop = w.rnd.choice(g.premises)
        values.update(shop=shop.name, paddr=shop.address)
        loc.update(
            unit_id=shop.grid_id,
            org_code=shop.org_code,
            lng=shop.lng,
            lat=shop.lat,
            address=shop.address,
        )
    else:
        place, lng, lat = _point_in(w, g)
        loc.update(
            unit_id=place.pk,
            org_code=place.code,
            lng=lng,
            lat=lat,
            address=f"{street}{values['n']}号附近",
        )
    return title.format(**values)[:100], text.format(**values), loc


def _reporter(w: World, g: Grid, channel: str, building):
    """(entered by, resident, person) for a report through `channel`."""
    rnd = w.rnd
    residents = w.residents.get(building.pk, []) if building is not None else []
    person = rnd.choice(g.persons) if g.persons and rnd.random() < 0.85 else None
    person = person or rnd.choice(w.all_persons)
    worker = g.worker or g.community_worker
    if channel in BY_OPERATOR or worker is None:
        entered = g.operators[0] if rnd.random() < 0.85 else g.operators[-1]
        return entered, None, person
    if channel == Channel.PATROL:
        return worker, None, None
    if channel in (Channel.RESIDENT, Channel.VISIT):
        return (
            worker,
            (rnd.choice(residents) if residents else None),
            (None if residents else person),
        )
    x = rnd.random()  # 网格员上报: often on a resident's behalf
    if x < 0.4 and residents:
        return worker, rnd.choice(residents), None
    if x < 0.7:
        return worker, None, person
    return worker, None, None


def _urgency(w: World, group: str) -> str:
    if group == "05":
        return w.pick([(Urgency.NORMAL, 30), (Urgency.URGENT, 45), (Urgency.EMERGENCY, 25)])
    return w.pick([(Urgency.NORMAL, 90), (Urgency.URGENT, 9), (Urgency.EMERGENCY, 1)])


def _report_time(w: World, channel: str, age_days: float) -> dt.datetime:
    """A moment about `age_days` ago, at an hour people report things."""
    rnd = w.rnd
    for _ in range(20):
        day = (timezone.localtime(w.now, w.tz) - dt.timedelta(days=age_days)).date()
        if channel not in BY_OPERATOR and not w.cal.is_working_day(day) and rnd.random() < 0.4:
            age_days = max(0.0, age_days - 1)
            continue
        if channel in BY_OPERATOR:
            hour = rnd.choices(
                range(24),
                weights=[
                    1,
                    1,
                    1,
                    1,
                    1,
                    2,
                    4,
                    8,
                    12,
                    12,
                    12,
                    10,
                    8,
                    9,
                    11,
                    11,
                    10,
                    9,
                    8,
                    7,
                    6,
                    4,
                    3,
                    2,
                ],
            )[0]
        else:
            hour = rnd.choices(
                range(7, 21), weights=[3, 9, 12, 12, 10, 6, 5, 9, 11, 10, 8, 5, 3, 2]
            )[0]
        at = w.local(day, hour + rnd.random())
        if at < w.now - 5 * MINUTE:
            return at
        age_days += 0.5
    return w.now - HOUR * rnd.uniform(1, 5)


def _item(w: World, g: Grid, at=None, *, category=None, where=None, channel=None, fate=None):
    rnd = w.rnd
    category = category or _category(w)
    channel = channel or w.pick(CHANNELS)
    title, text, loc = _describe(w, g, category, where)
    entered, resident, person = _reporter(w, g, channel, loc["building"])
    if at is None:
        age = rnd.uniform(0, DAYS) if rnd.random() < 0.8 else rnd.uniform(0, 60)
        at = _report_time(w, channel, age)
    return Item(
        at=at,
        grid=g,
        category=category,
        group=category.parent.code,
        urgency=_urgency(w, category.parent.code),
        channel=channel,
        title=title,
        description=text,
        building=loc["building"],
        unit_id=loc["unit_id"],
        org_code=loc["org_code"],
        lng=loc["lng"],
        lat=loc["lat"],
        address=loc["address"],
        reported_by=entered,
        resident=resident,
        person=person,
        fate=fate or Fate(),
    )


def _again(w: World, first: Item, at: dt.datetime, channel=None, same_person=True) -> Item:
    """The same problem reported again: same place, category and (nearly) the same words."""
    g = first.grid
    channel = channel or w.pick(CHANNELS)
    entered, resident, person = _reporter(w, g, channel, first.building)
    if same_person and first.contactable and channel not in (Channel.PATROL,):
        resident, person = first.resident, first.person
    item = Item(**{**first.__dict__, "at": at, "channel": channel, "fate": Fate()})
    item.description = w.rnd.choice(AGAIN) + first.description
    item.reported_by, item.resident, item.person = entered, resident, person
    item.life = None
    return item


def _natural_fate(w: World, item: Item) -> Fate:
    rnd = w.rnd
    f = Fate()
    age = (w.now - item.at) / DAY
    workerish = item.channel in (Channel.GRID_WORKER, Channel.PATROL) and item.grid.worker
    if workerish and item.reported_by == item.grid.worker and rnd.random() < 0.2:
        f.self_handle = True
    elif rnd.random() < 0.045:
        f.reject = True
        f.reopen = rnd.random() < 0.1
    f.direct = rnd.random() < 0.4
    f.returned = rnd.random() < 0.04
    f.rework = rnd.random() < 0.05
    f.suspend = rnd.random() < 0.03
    x = rnd.random()
    f.extension = "approved" if x < 0.04 else "refused" if x < 0.055 else ""
    if rnd.random() < 0.03:
        f.supervise = w.pick([(1, 6), (2, 3), (3, 1)])
    f.late = rnd.random() < 0.09
    f.late_contact = rnd.random() < 0.08
    if rnd.random() < (0.24 if age < 45 else 0.006):
        if f.self_handle:
            f.stall = rnd.choice(["verify", "callback"])
        elif f.reject:
            f.stall = "register" if age < 3 else ""
        else:
            f.stall = w.pick(
                [("dispatch", 12), ("accept", 22), ("handle", 40), ("verify", 13), ("resume", 8)]
            )
            if f.stall == "resume":
                f.suspend = True
            elif f.stall == "handle" and rnd.random() < 0.25:
                f.stall, f.extension = "decide", "pending"
    elif rnd.random() < 0.02:
        f.stall = "callback"  # closed, and nobody has called back yet
    if f.stall == "register":
        f.reject = False  # a fresh report nobody has looked at yet
    return f


def _due_soon_start(w: World, category, urgency) -> dt.datetime | None:
    """A registration moment whose deadline is due soon now (with a margin either side)."""
    limits = policies.limits_for(category, urgency)
    found = []
    t = w.now - 6 * HOUR
    while t > w.now - 20 * DAY and len(found) < 12:
        _, due, soon = deadlines_from(t, limits)
        if soon <= w.now - 20 * MINUTE and due >= w.now + 2 * HOUR:
            found.append(t)
        t -= 30 * MINUTE
    return w.rnd.choice(found) if found else None


def make(w: World, grids: list[Grid]) -> list[Item]:
    rnd = w.rnd
    total = SMALL_CASES if w.small else FULL_CASES
    weighted = [(g, g.weight) for g in grids]
    items: list[Item] = []

    def ago(lo_days, hi_days):
        return w.now - DAY * rnd.uniform(lo_days, hi_days)

    # Planted: every state and board has something to show, however few cases there are.
    planted = [
        (Fate(stall="register", rush=True), 0.05, 0.8),
        (Fate(stall="register", rush=True), 0.1, 1.5),
        (Fate(stall="dispatch", rush=True), 0.5, 2),
        (Fate(stall="accept", rush=True), 0.5, 2),
        (Fate(stall="handle", rush=True), 1, 2.5),
        (Fate(stall="resume", suspend=True, rush=True), 2, 6),
        (Fate(stall="verify", rush=True), 1, 3),
        (Fate(stall="decide", extension="pending", rush=True), 2, 4),
        (Fate(stall="callback", rush=True), 12, 20),
        (Fate(stall="verify", self_handle=True, rush=True), 0.1, 0.5),
        (Fate(reject=True, rush=True), 5, 60),
        (Fate(rework=True, rush=True), 20, 60),
        (Fate(rating=Rating.UNSATISFIED, stall="dispatch", stall_round=1, rush=True), 20, 30),
        (Fate(stall="accept", supervise=1, rush=True), 15, 40),
        (Fate(stall="handle", rush=True), 15, 60),
        (Fate(stall="verify", rush=True), 15, 40),
        (Fate(stall="handle", supervise=3, rush=True), 20, 50),
        (Fate(extension="approved", rush=True), 20, 90),
        (Fate(returned=True, late_contact=True, rush=True), 20, 90),
        (Fate(late=True, rush=True), 20, 90),
    ]
    for fate, lo, hi in planted:
        g = w.pick(weighted)
        if fate.self_handle and g.worker:
            channel = Channel.GRID_WORKER
        elif fate.stall == "callback" or fate.rating:
            channel = Channel.HOTLINE  # someone to call back
        else:
            channel = w.pick(CHANNELS)
        if fate.self_handle and not g.worker:
            fate.self_handle, fate.stall = False, "handle"
        items.append(_item(w, g, ago(lo, hi), channel=channel, fate=fate))
    # Due soon: registered so that most of the time allowed is used up by now.
    for stall in ("handle", "accept"):
        g = w.pick(weighted)
        category = _category(w, "01")
        start = _due_soon_start(w, category, Urgency.NORMAL)
        if start is None:
            continue
        fate = Fate(stall=stall, rush=True, register_delay=20 * MINUTE)
        item = _item(
            w, g, start - 20 * MINUTE, category=category, channel=Channel.HOTLINE, fate=fate
        )
        item.urgency = Urgency.NORMAL
        items.append(item)

    # Repeat chains: the same problem at the same building, 2–4 times within a month.
    chains = 3 if w.small else 70
    for k in range(chains):
        g = w.pick(weighted)
        length = 4 if k < 2 else w.pick([(2, 3), (3, 3), (4, 4)])
        category = _category(w, rnd.choice(["01", "08", "07", "06", "04"]), "b")
        recent = k == 0 or rnd.random() < 0.25
        start = ago(9, 12) if k == 0 else ago(5, 25) if recent else ago(30, DAYS - 5)
        first = _item(w, g, start, category=category, where="b")
        first.fate = Fate(rush=k < 2)
        chain = [first]
        at = start
        for _ in range(length - 1):
            at += DAY * (rnd.uniform(1, 2.5) if k == 0 else rnd.uniform(1, 8))
            if at > w.now - 2 * HOUR:
                break
            again = _again(w, first, at, same_person=rnd.random() < 0.6)
            again.fate = Fate(rush=k < 2, leader_visit=not (recent and rnd.random() < 0.6))
            chain.append(again)
        if k == 0:
            chain[-1].fate.stall, chain[-1].fate.leader_visit = "handle", False
        items += chain

    # Duplicates merged into the case they repeat.
    merges = 2 if w.small else 60
    for _ in range(merges):
        g = w.pick(weighted)
        category = _category(w, None, "b")
        target = _item(w, g, ago(3, DAYS - 3), category=category, where="b", fate=Fate(rush=True))
        dup = _again(w, target, target.at + HOUR * rnd.uniform(0.3, 20), same_person=False)
        dup.fate = Fate(merge_into=target, rush=True)
        items += [target, dup]

    while len(items) < total:
        g = w.pick(weighted)
        item = _item(w, g)
        item.fate = _natural_fate(w, item)
        items.append(item)
    items.sort(key=lambda it: it.at)
    return items
