"""City-scale data generator: a district, its grids with boundaries, and a year of cases.

    .venv/bin/python bench/generate.py --cases 100000                 # SQLite, var/bench/
    .venv/bin/python bench/generate.py --cases 1000000 --db postgres  # gongzhi_bench_1m
    .venv/bin/python bench/generate.py --cases 100000 --residents 200000

Builds, in a database of its own (never var/gongzhi.sqlite3, never a test database):

- one district (990101) of 10 subdistricts, 100 communities and 2,000 grids, every
  grid with a GeoJSON boundary and bbox (the jittered lattice of bench/locator.py,
  cut into compact blocks of 20 grids a community, 200 a subdistrict; communities and
  subdistricts get the union of their grids), 20 departments, staff with positions
  (district and subdistrict operators, a leader, community and grid workers, two
  handlers a department) and a superuser;
- the reference data (categories and deadline policies, cases.policies);
- --cases cases reported over the past year (weekdays busier than weekends, office
  hours busier than the night), each with its whole timeline as the services write it:
  report (or self_handle), repeat, register, contact, dispatch, accept, suspend, handle,
  verify_fail + handle again, verify_pass, callback, or reject / merge. Categories
  follow cases.demo.content's group weights, channels its channel mix (plus Open311 and
  other); 12345 cases are mostly of kind "hotline_order" with their work order row.
  Times follow each other (reported < registered < dispatched < accepted < handled <
  closed < callback); deadlines come from the stored policies, working days taken as
  7/5 calendar days; closed_on_time = closed_at <= due_at. Some cases stall at a step
  for good (2 % of the old ones, 8 % of the last month: overdue open cases), so old
  cases are ~96 % closed and the last weeks hold cases in every open state; ~1 %
  rejected, ~0.5 % merged into an earlier case of their grid, ~5 % repeats, 3 % sent
  back once at verification, a department for ~70 % of the dispatched cases, a
  callback on ~60 % of the closed ones (satisfied / basically / unsatisfied 80/12/8).
  Simplification: an unsatisfied callback does not escalate and reopen the case here.
- with --residents N, N registry residents with sealed 身份证号 and phones (every row
  sealed: the 身份证号 hash is unique).

Rows are written through the bulk paths, not Django model instances: on SQLite one
executemany per table and chunk with synchronous=OFF and no journal, on PostgreSQL COPY
(psycopg 3) with the foreign-key triggers off for the session; the case and timeline
indexes are dropped before and rebuilt after the load. Then ANALYZE (VACUUM ANALYZE on
PostgreSQL, so index-only scans work) and, when gongzhi.cases.rollups has rebuild(),
the rollups are rebuilt and timed.

Seeded and deterministic for a given --seed, --cases and moment (times are relative to
now, rounded to the hour). Prints rows/s for every step and the total time.
"""

import argparse
import datetime as dt
import itertools
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DISTRICT = "990101"
SUBDISTRICTS, COMMUNITIES_PER, GRIDS_PER = 10, 10, 20
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DAY, HOUR, MINUTE = 86400, 3600, 60
TZ_OFFSET = 8 * HOUR  # Asia/Shanghai, no daylight saving
CHUNK = 100_000

# (channel, weight, share with a reporter to contact)
CHANNELS = [
    ("grid_worker", 40, 0.5),
    ("hotline", 18, 1.0),
    ("patrol", 12, 0.0),
    ("resident", 10, 1.0),
    ("visit", 8, 0.7),
    ("phone", 7, 1.0),
    ("walk_in", 3, 1.0),
    ("open311", 1.5, 1.0),
    ("other", 0.5, 0.5),
]
BY_OPERATOR = {"hotline", "phone", "walk_in", "other"}
DEPARTMENTS = [  # (suffix, name, groups it handles)
    ("CG", "城市管理局", "01 02 03 04"),
    ("HB", "生态环境分局", "01 03"),
    ("ZJ", "住房和城乡建设局", "03 05 07"),
    ("SJ", "市场监督管理局", "04 07"),
    ("GA", "公安分局", "04 09"),
    ("WY", "物业服务中心", "06 07 08"),
    ("SW", "水务局", "05 08"),
    ("GD", "供电公司", "08"),
    ("RQ", "燃气公司", "05 07"),
    ("JT", "交通运输局", "04 05"),
    ("WJ", "卫生健康委员会", "08"),
    ("MZ", "民政局", "06 08"),
    ("JY", "教育局", "08"),
    ("RS", "人力资源和社会保障局", "06 08"),
    ("YJ", "应急管理局", "05 07"),
    ("YL", "园林绿化局", "01"),
    ("XF", "消防救援大队", "05 07"),
    ("SF", "司法局", "06"),
    ("WL", "文化和旅游局", "02"),
    ("ZR", "自然资源局", "03"),
]
REJECT_REASONS = [
    "经现场核实，反映问题不存在。",
    "不属于网格化管理事项，已告知反映人向相关部门咨询。",
    "反映内容不具体，无法核实。",
]
RATINGS = [("satisfied", 0.80), ("basically", 0.12), ("unsatisfied", 0.08)]


# -- the database ------------------------------------------------------------------------


def setup(db: str, name: str, path: str | None) -> str:
    """Point Django at a fresh database of our own (dropped and recreated) and migrate it.
    Returns a description of where it is."""
    var_dir = Path(path).resolve() if path else ROOT / "var" / "bench" / name
    default_db = (ROOT / "var" / "gongzhi.sqlite3").resolve()
    if name in ("test", "postgres", "gongzhi") or name.startswith("test"):
        raise SystemExit(f"refusing to use the database name {name!r}")
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir)
    os.environ["DEBUG"] = "0"  # no query log kept in memory
    os.environ["HUEY_IMMEDIATE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    if db == "sqlite":
        file = var_dir / "gongzhi.sqlite3"
        if file.resolve() == default_db:
            raise SystemExit("refusing to overwrite the demo database var/gongzhi.sqlite3")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{file}"
        where = str(file)
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
        where = os.environ["DATABASE_URL"]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return where


def vendor() -> str:
    from django.db import connection

    return connection.vendor


class Writer:
    """Bulk rows into a table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self):
        from django.db import connection

        connection.ensure_connection()
        self.raw = connection.connection
        self.pg = connection.vendor == "postgresql"
        if self.pg:
            self.raw.execute("SET session_replication_role = replica")  # no FK triggers
            self.raw.execute("SET maintenance_work_mem = '512MB'")
            self.raw.execute("SET TIME ZONE 'UTC'")
            self.raw.commit()
        else:
            for pragma in (
                "foreign_keys=OFF",
                "journal_mode=OFF",
                "synchronous=OFF",
                "cache_size=-400000",
                "temp_store=MEMORY",
            ):
                self.raw.execute(f"PRAGMA {pragma}")

    def write(self, table: str, columns: list[str], rows) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.pg:
            with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row(row)
            self.raw.commit()
        else:
            marks = ", ".join("?" * len(columns))
            self.raw.execute("BEGIN")
            self.raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
            self.raw.execute("COMMIT")

    def drop_indexes(self, tables: list[str]) -> list[str]:
        """Drop the secondary indexes (not primary keys or unique constraints) of the tables;
        returns the statements that make them again."""
        if self.pg:
            rows = self.raw.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [tables],
            ).fetchall()
        else:
            marks = ", ".join("?" * len(tables))
            rows = self.raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})",
                tables,
            ).fetchall()
        for index, _sql in rows:
            self.raw.execute(f'DROP INDEX "{index}"')
        if self.pg:
            self.raw.commit()
        return [sql for _index, sql in rows]

    def run(self, statements) -> None:
        for sql in statements:
            self.raw.execute(sql)
        if self.pg:
            self.raw.commit()

    def finish(self) -> None:
        if self.pg:
            self.raw.execute("SET session_replication_role = DEFAULT")
            self.raw.commit()
        else:
            self.raw.execute("PRAGMA journal_mode=WAL")
            self.raw.execute("PRAGMA foreign_keys=ON")

    def reset_sequence(self, table: str) -> None:
        if self.pg:
            self.raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )
            self.raw.commit()


def model_columns(model, values: dict) -> tuple[list[str], list]:
    """Every concrete column of `model`, with `values[column]` (a list, or a constant) or
    the field's default: a column added to the model later still gets a value."""
    columns, data = [], []
    for f in model._meta.concrete_fields:
        if f.column in values:
            value = values[f.column]
        elif f.primary_key:
            continue  # the sequence numbers it
        else:
            value = f.get_default()
            if isinstance(value, dict | list):
                value = json.dumps(value)
            elif value is None and not f.null:
                raise SystemExit(f"no value for {model.__name__}.{f.column}")
        columns.append(f.column)
        data.append(value if isinstance(value, list) else itertools.repeat(value))
    return columns, data


def rows_of(data: list):
    return zip(*data)  # noqa: B905 - the lists bound the length; constants repeat


# -- the world: units, departments, staff ------------------------------------------------


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """UTC 'YYYY-MM-DD HH:MM:SS' strings, as Django stores datetimes on SQLite (and as
    PostgreSQL reads them in a UTC session)."""
    s = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    s.view(np.uint32).reshape(len(s), -1)[:, 10] = ord(" ")
    return s


def stamp(at: int) -> str:
    return str(timestamps(np.array([at], dtype=np.int64))[0])


def build_world(rnd: random.Random, fake, writer: Writer, now: int) -> dict:
    import shapely
    from django.contrib.auth.hashers import make_password
    from locator import make_grids

    from gongzhi.accounts.models import Position, User
    from gongzhi.cases import policies
    from gongzhi.cases.models import Category
    from gongzhi.core.roles import Level, Role
    from gongzhi.orgs import geo
    from gongzhi.orgs.models import Department, OrgUnit

    policies.ensure_reference_data()
    n_grids = SUBDISTRICTS * COMMUNITIES_PER * GRIDS_PER
    cells = make_grids(n_grids, seed=rnd.randrange(1 << 30))
    cols = math.ceil(math.sqrt(n_grids))
    # Compact blocks: bands of 4 lattice rows, walked left to right, 5 columns at a time.
    order = sorted(
        range(n_grids), key=lambda k: ((k // cols) // 4, (k % cols) // 5, k // cols, k % cols)
    )
    geoms = [cells[k][1] for k in order]
    created = dt.datetime.fromtimestamp(now - 400 * DAY, dt.UTC)

    def unique_names(n, make):
        names: list[str] = []
        while len(names) < n:
            name = make()
            if name not in names:
                names.append(name)
        return names

    district = OrgUnit.objects.create(code=DISTRICT, name="青禾区", level=Level.DISTRICT)
    sub_names = unique_names(SUBDISTRICTS, lambda: f"{fake.street_name()}街道")
    grid_rows, units = [], {"district": district, "subdistricts": [], "communities": []}
    grid_codes, grid_geoms, grid_community = [], [], []
    for s in range(SUBDISTRICTS):
        block = geoms[s * 200 : (s + 1) * 200]
        union = shapely.union_all(block)
        sub = OrgUnit.objects.create(
            code=f"{DISTRICT}{s + 1:03d}",
            name=sub_names[s],
            level=Level.SUBDISTRICT,
            parent=district,
            boundary=geo.to_geojson(union),
            boundary_bbox=geo.bbox(union),
        )
        units["subdistricts"].append(sub)
        com_names = unique_names(COMMUNITIES_PER, lambda: f"{fake.street_name()[:-1]}社区")
        for c in range(COMMUNITIES_PER):
            cblock = block[c * GRIDS_PER : (c + 1) * GRIDS_PER]
            cu = shapely.union_all(cblock)
            com = OrgUnit.objects.create(
                code=f"{sub.code}{c + 1:03d}",
                name=com_names[c],
                level=Level.COMMUNITY,
                parent=sub,
                boundary=geo.to_geojson(cu),
                boundary_bbox=geo.bbox(cu),
            )
            units["communities"].append(com)
            for g, poly in enumerate(cblock, 1):
                code = f"{com.code}{g:03d}"
                grid_rows.append(
                    OrgUnit(
                        code=code,
                        name=f"{com.name}第{g}网格",
                        level=Level.GRID,
                        parent=com,
                        boundary=geo.to_geojson(poly),
                        boundary_bbox=geo.bbox(poly),
                        boundary_updated_at=created,
                    )
                )
                grid_codes.append(code)
                grid_geoms.append(poly)
                grid_community.append(len(units["communities"]) - 1)
    OrgUnit.objects.bulk_create(grid_rows, batch_size=500)
    grid_ids = dict(OrgUnit.objects.filter(level=Level.GRID).values_list("code", "id"))

    departments = Department.objects.bulk_create(
        [
            Department(
                code=f"{DISTRICT}-{suffix}",
                name=f"青禾区{name}",
                district=district,
                phone=f"0379-6{rnd.randrange(10**6):06d}",
            )
            for suffix, name, _groups in DEPARTMENTS
        ]
    )
    departments = list(Department.objects.filter(district=district).order_by("id"))
    by_suffix = {d.code.rsplit("-", 1)[1]: d for d in departments}

    # Staff: one hash for every account (nobody signs in to the bench database but the
    # superuser, whose password is set below).
    password = make_password(None)
    staff: list[tuple[str, str, str, object]] = []  # (username, name, role, where)
    staff += [(f"op_d{i}", fake.name(), Role.OPERATOR, district) for i in range(1, 4)]
    staff.append(("leader_d", fake.name(), Role.LEADER, district))
    staff += [
        (f"op_s{i + 1}", fake.name(), Role.OPERATOR, u) for i, u in enumerate(units["subdistricts"])
    ]
    staff += [(f"cw_{u.code}", fake.name(), Role.COMMUNITY_WORKER, u) for u in units["communities"]]
    staff += [(f"gw_{code}", fake.name(), Role.GRID_WORKER, code) for code in grid_codes]
    staff += [
        (f"dh_{d.code[-2:].lower()}{k}", fake.name(), Role.DEPARTMENT_HANDLER, d)
        for d in departments
        for k in (1, 2)
    ]
    User.objects.bulk_create(
        [User(username=u, name=n, password=password) for u, n, _r, _w in staff], batch_size=1000
    )
    ids = dict(User.objects.values_list("username", "id"))
    positions = []
    for username, _name, role, where in staff:
        p = Position(user_id=ids[username], role=role)
        if isinstance(where, Department):
            p.department = where
        elif isinstance(where, str):
            p.org_unit_id, p.org_code = grid_ids[where], where
        else:
            p.org_unit, p.org_code = where, where.code
        positions.append(p)
    Position.objects.bulk_create(positions, batch_size=1000)
    admin = User.objects.create_superuser(
        "bench_admin", password="bench-admin-password", name="基准管理员"
    )
    Position.objects.create(user=admin, role=Role.ADMIN, org_unit=district, org_code=district.code)
    names = dict(User.objects.values_list("id", "name"))

    categories = list(
        Category.objects.filter(parent__isnull=False, is_active=True)
        .select_related("parent")
        .order_by("code")
    )
    limits = {
        (c.pk, u): policies.limits_for(c, u)
        for c in categories
        for u in ("normal", "urgent", "emergency")
    }
    return {
        "district": district,
        "subdistricts": units["subdistricts"],
        "communities": units["communities"],
        "grid_codes": grid_codes,
        "grid_ids": [grid_ids[c] for c in grid_codes],
        "grid_geoms": grid_geoms,
        "grid_community": np.array(grid_community),
        "departments": departments,
        "by_suffix": by_suffix,
        "user_ids": ids,
        "user_names": names,
        "categories": categories,
        "limits": limits,
        "admin": admin,
    }


# -- the cases ---------------------------------------------------------------------------


def text_pools(rnd: random.Random, fake, categories) -> dict:
    """Titles, descriptions and addresses: a pool per category filled from the demo's
    templates (cases.demo.content, or a generic one), so text costs one lookup a case."""
    from gongzhi.cases.demo import content as demo

    streets = [fake.street_name() for _ in range(300)]
    pools = []
    for c in categories:
        templates = demo.TEMPLATES.get(c.code) or demo.GENERIC
        variants = []
        for _ in range(40):
            _where, title, text = rnd.choice(templates)
            street = rnd.choice(streets)
            values = {
                "cat": c.name,
                "street": street,
                "n": rnd.randint(1, 300),
                "unit": f"{rnd.randint(1, 3)}单元",
                "floor": rnd.randint(2, 11),
                "b": f"{fake.street_name()[:-1]}小区{rnd.randint(1, 30)}号楼",
                "shop": fake.company_prefix() + rnd.choice(["超市", "餐馆", "便利店", "理发店"]),
            }
            values["addr"] = f"{street}{values['n']}号{values['b']}"
            values["paddr"] = f"{street}{rnd.randint(1, 300)}号"
            variants.append(
                (
                    title.format(**values)[:100],
                    text.format(**values),
                    f"{street}{values['n']}号附近"[:200],
                )
            )
        pools.append(variants)
    results = {group: texts for group, texts in demo.RESULTS.items()}
    return {"texts": pools, "results": results}


def plan_cases(n: int, world: dict, rng: np.random.Generator, now: int) -> dict:
    """Every per-case quantity as numpy arrays (times in epoch seconds, -1 = never)."""
    cats = world["categories"]
    n_grids = len(world["grid_codes"])
    start = now - 365 * DAY

    # When: a local day (weekends at 70 %, a slow growth over the year), then an hour.
    first_local_day = (start + TZ_OFFSET) // DAY + 1
    days = np.arange(365) + first_local_day
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    w_day = np.where(weekday >= 5, 0.7, 1.0) * np.linspace(0.85, 1.15, 365)
    w_hour = np.array(
        [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 12, 10, 8, 9, 11, 11, 10, 9, 8, 7, 6, 4, 3, 2], float
    )
    p_day, p_hour = w_day / w_day.sum(), w_hour / w_hour.sum()

    def moments(k):
        day = rng.choice(days, size=k, p=p_day)
        hour = rng.choice(24, size=k, p=p_hour)
        return day * DAY - TZ_OFFSET + hour * HOUR + rng.integers(0, HOUR, k)

    reported = moments(n)
    # The last local day runs past now: draw again what fell after it (or before the year).
    while True:
        bad = np.flatnonzero((reported > now - 5 * MINUTE) | (reported < start))
        if not len(bad):
            break
        reported[bad] = moments(len(bad))
    reported.sort()

    # Where: grids of unequal load.
    grid_weight = rng.gamma(2.0, 1.0, n_grids)
    grid = rng.choice(n_grids, size=n, p=grid_weight / grid_weight.sum())

    # What: groups by cases.demo.content's weights, categories evenly within a group.
    from gongzhi.cases.demo.content import GROUP_WEIGHTS

    groups = [c.parent.code for c in cats]
    per_group = {g: groups.count(g) for g in set(groups)}
    w_cat = np.array([GROUP_WEIGHTS.get(g, 1) / per_group[g] for g in groups], float)
    category = rng.choice(len(cats), size=n, p=w_cat / w_cat.sum())
    group = np.array([int(g) for g in groups])[category]

    ch_names = [c for c, _w, _p in CHANNELS]
    w_ch = np.array([w for _c, w, _p in CHANNELS], float)
    channel = rng.choice(len(CHANNELS), size=n, p=w_ch / w_ch.sum())
    contact_share = np.array([p for _c, _w, p in CHANNELS])[channel]
    contactable = rng.random(n) < contact_share
    hotline = channel == ch_names.index("hotline")
    hotline_order = hotline & (rng.random(n) < 0.8)

    urgent_mix = rng.random(n)
    urgency = np.where(
        group == 5,
        np.where(urgent_mix < 0.30, 0, np.where(urgent_mix < 0.75, 1, 2)),
        np.where(urgent_mix < 0.90, 0, np.where(urgent_mix < 0.99, 1, 2)),
    )
    urg_names = ("normal", "urgent", "emergency")
    resp_h = np.zeros((len(cats), 3))
    limit_s = np.zeros((len(cats), 3))
    share = np.zeros((len(cats), 3))
    for i, c in enumerate(cats):
        for u, name in enumerate(urg_names):
            lim = world["limits"][(c.pk, name)]
            resp_h[i, u] = lim.response_hours
            limit_s[i, u] = (
                lim.handling_hours * HOUR
                if lim.handling_hours
                else lim.handling_working_days * DAY * 7 / 5
            )
            share[i, u] = lim.due_soon_share

    # Fate.
    age = (now - reported) / DAY
    u = rng.random(n)
    grid_worker = channel == ch_names.index("grid_worker")
    self_handle = grid_worker & (rng.random(n) < 0.12)
    merged = ~self_handle & (u < 0.005)
    rejected = ~self_handle & (u >= 0.005) & (u < 0.015)
    normal = ~(self_handle | merged | rejected)
    stall_p = np.where(age < 30, 0.08, 0.02)
    stall = np.where(
        rng.random(n) < stall_p,
        rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.12, 0.2, 0.4, 0.13, 0.08, 0.07]),
        0,
    )  # 1 dispatch, 2 accept, 3 handle, 4 verify, 5 suspended, 6 callback
    stall[merged | rejected] = 0
    stall[self_handle & (stall > 0)] = np.where(
        rng.random(int((self_handle & (stall > 0)).sum())) < 0.6, 4, 6
    )
    rework = normal & (rng.random(n) < 0.03)
    late = rng.random(n) < 0.09
    late_contact = rng.random(n) < 0.08
    is_repeat = rng.random(n) < 0.05
    NEVER = np.int64(-1)

    def span(lo, hi):
        return rng.uniform(lo, hi, n).astype(np.int64)

    limit = limit_s[category, urgency]
    t_reg = np.where(self_handle, reported, reported + span(5 * MINUTE, 3 * HOUR))
    t_reg = np.where(merged | rejected, NEVER, t_reg)
    t_reject = np.where(rejected, reported + span(10 * MINUTE, 4 * HOUR), NEVER)
    t_merge = np.where(merged, reported + span(10 * MINUTE, 3 * HOUR), NEVER)
    due = np.where(t_reg >= 0, t_reg + limit.astype(np.int64), NEVER)
    due_soon = np.where(
        t_reg >= 0, t_reg + (limit * share[category, urgency]).astype(np.int64), NEVER
    )
    respond_by = np.where(
        t_reg >= 0, t_reg + (resp_h[category, urgency] * HOUR).astype(np.int64), NEVER
    )
    t_disp = np.where(
        normal & ((stall == 0) | (stall > 1)), t_reg + span(10 * MINUTE, 4 * HOUR), NEVER
    )
    t_acc = np.where(
        (t_disp >= 0) & ((stall == 0) | (stall > 2)), t_disp + span(10 * MINUTE, 6 * HOUR), NEVER
    )
    t_susp = np.where((t_acc >= 0) & (stall == 5), t_acc + span(2 * HOUR, DAY), NEVER)
    handle_share = np.where(late, rng.uniform(1.05, 2.2, n), rng.beta(2, 3, n) * 0.85 + 0.05)
    t_h1 = np.where(
        (t_acc >= 0) & ((stall == 0) | (stall == 4) | (stall == 6)),
        np.maximum(t_reg + (limit * handle_share).astype(np.int64), t_acc + 20 * MINUTE),
        NEVER,
    )
    t_h1 = np.where(self_handle, reported, t_h1)
    t_vf = np.where(rework & (t_h1 >= 0) & (stall != 4), t_h1 + span(20 * MINUTE, 10 * HOUR), NEVER)
    t_h2 = np.where(t_vf >= 0, t_vf + span(4 * HOUR, 2 * DAY), NEVER)
    last_handle = np.where(t_h2 >= 0, t_h2, t_h1)
    t_vp = np.where(
        (last_handle >= 0) & (stall != 4), last_handle + span(20 * MINUTE, 10 * HOUR), NEVER
    )
    callback = contactable & (rng.random(n) < 0.92) & (stall != 6)
    t_cb = np.where((t_vp >= 0) & callback, t_vp + span(2 * HOUR, 3 * DAY), NEVER)
    # The first contact with the reporter: before the case is handled.
    contact_delay = np.where(
        late_contact, span(65 * MINUTE, 20 * HOUR), span(4 * MINUTE, 50 * MINUTE)
    )
    t_contact = np.where(contactable & (t_reg >= 0) & ~self_handle, t_reg + contact_delay, NEVER)
    cap = np.where(t_h1 >= 0, t_reg + (t_h1 - t_reg) // 2, np.iinfo(np.int64).max)
    t_contact = np.where(t_contact >= 0, np.minimum(t_contact, cap), NEVER)

    # Nothing happens after now.
    def by_now(t):
        return np.where((t >= 0) & (t <= now), t, NEVER)

    T = {
        k: by_now(v)
        for k, v in dict(
            reg=t_reg, reject=t_reject, merge=t_merge, disp=t_disp, acc=t_acc, susp=t_susp,
            h1=t_h1, vf=t_vf, h2=t_h2, vp=t_vp, cb=t_cb, contact=t_contact,
        ).items()
    }  # fmt: skip
    for k in ("reg", "h1"):
        T[k] = np.where(self_handle, reported, T[k])  # self-handled: all at the report

    state = np.full(n, "reported", dtype=object)
    state[T["reg"] >= 0] = "registered"
    state[T["disp"] >= 0] = "dispatched"
    state[T["acc"] >= 0] = "in_progress"
    state[T["susp"] >= 0] = "suspended"
    state[T["h1"] >= 0] = "handled"
    state[T["vf"] >= 0] = "in_progress"
    state[T["h2"] >= 0] = "handled"
    state[T["vp"] >= 0] = "closed"
    state[T["reject"] >= 0] = "rejected"
    state[T["merge"] >= 0] = "merged"

    # Who handles: a department for ~70 % of the dispatched cases (one that handles the
    # group), else the community (2/3) or the grid itself.
    n_dept = len(world["departments"])
    dept_idx = np.full(n, -1)
    to_dept = rng.random(n) < 0.7
    suffixes = [s for s, _n, _g in DEPARTMENTS]
    dept_pos = {d.code.rsplit("-", 1)[1]: i for i, d in enumerate(world["departments"])}
    for g in np.unique(group):
        options = [dept_pos[s] for s, _n, gs in DEPARTMENTS if f"{g:02d}" in gs.split()]
        options = options or [dept_pos[suffixes[0]]]
        m = to_dept & (group == g)
        dept_idx[m] = rng.choice(options, size=int(m.sum()))
    assert n_dept == len(DEPARTMENTS)
    to_grid = ~to_dept & (rng.random(n) < 1 / 3)

    # Repeats point at the previous case of the grid; merges into it.
    by_grid = np.lexsort((np.arange(n), grid))
    prev = np.full(n, -1)
    same = grid[by_grid[1:]] == grid[by_grid[:-1]]
    prev[by_grid[1:][same]] = by_grid[:-1][same]
    is_repeat &= prev >= 0
    merged_into = np.where(merged & (prev >= 0), prev, -1)
    # A merge needs an earlier case: without one the case is rejected instead.
    lonely = merged & (prev < 0)
    if lonely.any():
        T["reject"][lonely] = T["merge"][lonely]
        T["merge"][lonely] = NEVER
        state[lonely & (T["reject"] >= 0)] = "rejected"
        merged &= ~lonely
        rejected |= lonely

    rating = rng.choice(3, size=n, p=[p for _r, p in RATINGS])
    solved = np.where(rating == 0, True, rng.random(n) < np.where(rating == 1, 0.9, 0.3))
    return dict(
        n=n, reported=reported, grid=grid, category=category, group=group, channel=channel,
        contactable=contactable, hotline_order=hotline_order, urgency=urgency,
        self_handle=self_handle, merged=merged, rejected=rejected, rework=rework,
        is_repeat=is_repeat, prev=prev, merged_into=merged_into, due=due, due_soon=due_soon,
        respond_by=respond_by, T=T, state=state, dept_idx=dept_idx, to_dept=to_dept,
        to_grid=to_grid, rating=rating, solved=solved, ch_names=ch_names,
        urg_names=urg_names, rng_seed=int(rng.integers(1 << 31)),
    )  # fmt: skip


def numbers_of(reported: np.ndarray) -> tuple[np.ndarray, dict]:
    """SJ + local date + a 6-digit sequence of the day (services.next_number's form), and
    each day's last sequence for CaseCounter."""
    local_day = (reported + TZ_OFFSET) // DAY
    first = np.searchsorted(local_day, local_day, side="left")
    seq = np.arange(len(reported)) - first + 1
    dates = np.datetime_as_string(local_day.astype("datetime64[D]"), unit="D")
    numbers = np.array(
        [
            f"SJ{d[:4]}{d[5:7]}{d[8:]}{s:06d}"
            for d, s in zip(dates.tolist(), seq.tolist(), strict=True)
        ],
        dtype=object,
    )
    days, counts = np.unique(local_day, return_counts=True)
    last = {str(np.datetime64(int(d), "D")): int(c) for d, c in zip(days, counts, strict=True)}
    return numbers, last


def positions_in_grid(
    plan: dict, world: dict, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A point inside the case's grid polygon for every case (rejection sampling in the
    grid's bbox, the centroid after 8 misses)."""
    import shapely

    n, grid = plan["n"], plan["grid"]
    lng, lat = np.zeros(n), np.zeros(n)
    order = np.argsort(grid, kind="stable")
    bounds = np.searchsorted(grid[order], np.arange(len(world["grid_geoms"]) + 1))
    for g, poly in enumerate(world["grid_geoms"]):
        idx = order[bounds[g] : bounds[g + 1]]
        if not len(idx):
            continue
        shapely.prepare(poly)
        minx, miny, maxx, maxy = poly.bounds
        todo = idx
        for _ in range(8):
            x = rng.uniform(minx, maxx, len(todo))
            y = rng.uniform(miny, maxy, len(todo))
            inside = shapely.contains_xy(poly, x, y)
            lng[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
            todo = todo[~inside]
            if not len(todo):
                break
        if len(todo):
            c = poly.representative_point()
            lng[todo], lat[todo] = c.x, c.y
    return np.round(lng, 7), np.round(lat, 7)


def write_cases(writer: Writer, plan: dict, world: dict, pools: dict, now: int, progress) -> dict:
    """Cases, their work orders and timelines, in chunks of CHUNK cases. Returns row counts."""
    from gongzhi.cases.models import Case, CaseCounter, CaseEvent
    from gongzhi.hotline.models import HotlineOrder
    from gongzhi.registry import pii

    pg = writer.pg
    rng = np.random.default_rng(plan["rng_seed"])
    rnd = random.Random(plan["rng_seed"])
    n = plan["n"]
    T = plan["T"]
    numbers, counters = numbers_of(plan["reported"])
    lng, lat = positions_in_grid(plan, world, rng)

    ids = world["user_ids"]
    names = world["user_names"]
    grid_codes = np.array(world["grid_codes"], dtype=object)
    grid_ids = np.array(world["grid_ids"])
    communities = world["communities"]
    community_codes = np.array([c.code for c in communities], dtype=object)
    grid_worker = np.array([ids[f"gw_{c}"] for c in world["grid_codes"]])
    community_worker = np.array([ids[f"cw_{c.code}"] for c in communities])
    sub_operator = np.array([ids[f"op_s{s + 1}"] for s in range(SUBDISTRICTS)])
    district_ops = np.array([ids[f"op_d{i}"] for i in (1, 2, 3)])
    depts = world["departments"]
    dept_ids = np.array([d.pk for d in depts])
    dept_names = np.array([d.name for d in depts], dtype=object)
    dept_handlers = np.array([[ids[f"dh_{d.code[-2:].lower()}{k}"] for k in (1, 2)] for d in depts])
    cats = world["categories"]
    cat_ids = np.array([c.pk for c in cats])
    cat_names = [c.name for c in cats]
    texts = pools["texts"]
    results_by_group = pools["results"]
    system_name = "系统"

    # Reporters: 2,000 names and 1,000 sealed phones, reused.
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(plan["rng_seed"])
    person_names = np.array([fake.name() for _ in range(2000)], dtype=object)
    sealed = [
        pii.seal_phone(f"1{rnd.choice('3578')}{rnd.randrange(10**9):09d}") for _ in range(1000)
    ]
    phone_enc = np.array([s["phone_enc"] for s in sealed], dtype=object)
    phone_hash = np.array([s["phone_hash"] for s in sealed], dtype=object)
    phone_masked = np.array([s["phone_masked"] for s in sealed], dtype=object)

    # Per case: people.
    grid = plan["grid"]
    community = world["grid_community"][grid]
    sub = community // COMMUNITIES_PER
    operator = np.where(
        rng.random(n) < 0.85, sub_operator[sub], district_ops[rng.integers(0, 3, n)]
    )
    ch = np.array(plan["ch_names"], dtype=object)[plan["channel"]]
    by_operator = np.isin(ch, list(BY_OPERATOR))
    reported_by = np.where(by_operator, operator, grid_worker[grid])
    reported_by = np.where(np.isin(ch, ["resident", "open311"]), -1, reported_by)
    dept_idx = plan["dept_idx"]
    has_dept = plan["to_dept"] & (T["disp"] >= 0)
    unit_code = np.where(plan["to_grid"], grid_codes[grid], community_codes[community])
    assignee = np.where(
        plan["self_handle"], grid_codes[grid], np.where(~has_dept & (T["disp"] >= 0), unit_code, "")
    )
    handler_pick = rng.integers(0, 2, n)
    handler = np.where(
        has_dept,
        dept_handlers[np.maximum(dept_idx, 0), handler_pick],
        np.where(plan["to_grid"], grid_worker[grid], community_worker[community]),
    )
    handler = np.where(plan["self_handle"], grid_worker[grid], handler)
    person = rng.integers(0, 2000, n)
    phone = rng.integers(0, 1000, n)
    variant = rng.integers(0, 40, n)
    result_pick = rng.integers(0, 1 << 30, n)
    case_ids = np.arange(1, n + 1)

    counts = {"cases": 0, "events": 0, "work orders": 0}
    event_id = 1
    case_cols = None
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        sl = slice(lo, hi)
        k = hi - lo
        t0 = time.perf_counter()
        # -- cases ------------------------------------------------------------------
        rep = plan["reported"][sl]
        Tc = {key: v[sl] for key, v in T.items()}
        st = plan["state"][sl]
        cat = plan["category"][sl]
        grp = plan["group"][sl]
        title_desc = [texts[c][v] for c, v in zip(cat.tolist(), variant[sl].tolist(), strict=True)]
        contact_ok = plan["contactable"][sl]
        self_h = plan["self_handle"][sl]

        def opt(values, mask):
            """A list with None where mask is false."""
            out = np.array(values, dtype=object)
            out[~mask] = None
            return out.tolist()

        def when(t):
            mask = t >= 0
            return opt(timestamps(np.where(mask, t, 0)), mask)

        def flag(b):
            return b.tolist() if pg else b.astype(int).tolist()

        def oflag(b, mask):
            return opt(b if pg else b.astype(int), mask)

        handled_at = np.where(Tc["h1"] >= 0, Tc["h1"], -1)
        closed = Tc["vp"] >= 0
        on_time = Tc["vp"] <= plan["due"][sl]
        cb = Tc["cb"] >= 0
        rating_names = np.array([r for r, _p in RATINGS], dtype=object)[plan["rating"][sl]]
        result = np.array(
            [
                pick[r % len(pick)] if h >= 0 else ""
                for pick, r, h in zip(
                    (
                        results_by_group.get(f"{g:02d}", results_by_group["01"])
                        for g in grp.tolist()
                    ),
                    result_pick[sl].tolist(),
                    handled_at.tolist(),
                    strict=True,
                )
            ],
            dtype=object,
        )
        transitions = ((Tc["reg"] >= 0) & ~self_h).astype(int) + sum(
            (Tc[key] >= 0).astype(int)
            for key in ("reject", "merge", "disp", "acc", "susp", "vf", "vp", "cb", "contact")
        )
        transitions += ((Tc["h1"] >= 0) & ~self_h).astype(int) + (Tc["h2"] >= 0).astype(int)
        last_at = np.max(np.stack([rep, *Tc.values()]), axis=0)
        dispatched = Tc["disp"] >= 0
        accepted = (Tc["acc"] >= 0) | self_h
        registered = Tc["reg"] >= 0
        repeat_of = np.where(plan["is_repeat"][sl], plan["prev"][sl] + 1, -1)
        merged_into = np.where(plan["merged_into"][sl] >= 0, plan["merged_into"][sl] + 1, -1)
        values = {
            "id": case_ids[sl].tolist(),
            "number": numbers[sl].tolist(),
            "kind": np.where(plan["hotline_order"][sl], "hotline_order", "general").tolist(),
            "channel": ch[sl].tolist(),
            "category_id": cat_ids[cat].tolist(),
            "urgency": np.array(plan["urg_names"], dtype=object)[plan["urgency"][sl]].tolist(),
            "title": [t for t, _d, _a in title_desc],
            "description": [d for _t, d, _a in title_desc],
            "state": st.tolist(),
            "org_code": grid_codes[grid[sl]].tolist(),
            "grid_id": grid_ids[grid[sl]].tolist(),
            "address": [a for _t, _d, a in title_desc],
            "lng": lng[sl].tolist(),
            "lat": lat[sl].tolist(),
            "reporter_name": np.where(contact_ok, person_names[person[sl]], "").tolist(),
            "reporter_phone_enc": np.where(contact_ok, phone_enc[phone[sl]], "").tolist(),
            "reporter_phone_hash": np.where(contact_ok, phone_hash[phone[sl]], "").tolist(),
            "reporter_phone_masked": np.where(contact_ok, phone_masked[phone[sl]], "").tolist(),
            "reported_by_id": opt(reported_by[sl], reported_by[sl] >= 0),
            "reported_at": timestamps(rep).tolist(),
            "department_id": opt(dept_ids[np.maximum(dept_idx[sl], 0)], has_dept[sl]),
            "assignee_code": np.where(dispatched | self_h, assignee[sl], "").tolist(),
            "handler_id": opt(handler[sl], accepted),
            "result": result.tolist(),
            "registered_at": when(Tc["reg"]),
            "respond_by": when(np.where(registered, plan["respond_by"][sl], -1)),
            "responded_at": when(np.where(self_h, rep, Tc["contact"])),
            "dispatched_at": when(Tc["disp"]),
            "accepted_at": when(np.where(self_h, rep, Tc["acc"])),
            "handled_at": when(handled_at),
            "closed_at": when(Tc["vp"]),
            "closed_on_time": oflag(on_time, closed),
            "due_at": when(np.where(registered, plan["due"][sl], -1)),
            "due_soon_at": when(np.where(registered, plan["due_soon"][sl], -1)),
            "suspended_at": when(np.where(st == "suspended", Tc["susp"], -1)),
            "self_handled": flag(self_h),
            "rework_count": (Tc["vf"] >= 0).astype(int).tolist(),
            "is_repeat": flag(plan["is_repeat"][sl]),
            "repeat_of_id": opt(repeat_of, repeat_of > 0),
            "merged_into_id": opt(merged_into, merged_into > 0),
            "callback_at": when(Tc["cb"]),
            "callback_solved": oflag(plan["solved"][sl], cb),
            "callback_rating": np.where(cb, rating_names, "").tolist(),
            "version": (1 + transitions).tolist(),
            "updated_at": timestamps(last_at).tolist(),
        }
        case_cols, data = model_columns(Case, values)
        writer.write(Case._meta.db_table, case_cols, rows_of(data))
        counts["cases"] += k

        # -- 12345 work orders ----------------------------------------------------------
        ho = np.flatnonzero(plan["hotline_order"][sl])
        if len(ho):
            cols, data = model_columns(
                HotlineOrder,
                {
                    "case_id": case_ids[sl][ho].tolist(),
                    "order_no": ["GD" + s[2:] for s in numbers[sl][ho].tolist()],
                    "hotline_deadline": when(np.where(registered[ho], plan["due"][sl][ho], -1)),
                    "hotline_category": [cat_names[c] for c in cat[ho].tolist()],
                    "payload": "{}",
                    "source": "webhook",
                    "received_at": timestamps(rep[ho]).tolist(),
                },
            )
            writer.write(HotlineOrder._meta.db_table, cols, rows_of(data))
            counts["work orders"] += len(ho)

        # -- timelines ------------------------------------------------------------------
        parts = []
        channel_data = np.array([f'{{"channel": "{c}"}}' for c in plan["ch_names"]], dtype=object)
        ops = operator[sl]

        def add(mask, at, action, frm, to, actor, note="", data="{}", parts=parts, k=k):
            i = np.flatnonzero(mask[:k])
            if not len(i):
                return
            parts.append(
                (
                    i,
                    at[i],
                    action,
                    frm if isinstance(frm, str) else frm[i],
                    to if isinstance(to, str) else to[i],
                    actor[i] if isinstance(actor, np.ndarray) else np.full(len(i), actor),
                    note if isinstance(note, str) else note[i],
                    data if isinstance(data, str) else data[i],
                )
            )

        rb = reported_by[sl]
        handlers = handler[sl]
        ch_data = channel_data[plan["channel"][sl]]
        add(~self_h, rep, "report", "", "reported", rb, "", ch_data)
        add(self_h, rep, "self_handle", "", "handled", rb, result, ch_data)
        rep_state = np.where(self_h, "handled", "reported").astype(object)
        firsts = np.array(
            [numbers[p] if p >= 0 else "" for p in plan["prev"][sl].tolist()], dtype=object
        )
        repeat_data = np.array(
            [f'{{"first": "{f}", "count": 1}}' for f in firsts.tolist()], dtype=object
        )
        add(plan["is_repeat"][sl], rep + 1, "repeat", rep_state, rep_state, -1,
            "重复反映", repeat_data)  # fmt: skip
        add(Tc["reject"] >= 0, Tc["reject"], "reject", "reported", "rejected", ops,
            np.array(REJECT_REASONS, dtype=object)[result_pick[sl] % 3])  # fmt: skip
        merge_data = np.array(
            [
                f'{{"into": "{numbers[m]}"}}' if m >= 0 else "{}"
                for m in plan["merged_into"][sl].tolist()
            ],
            dtype=object,
        )
        add(Tc["merge"] >= 0, Tc["merge"], "merge", "reported", "merged", ops,
            "同一问题重复上报，并案办理。", merge_data)  # fmt: skip
        due_iso = (
            np.array(
                [
                    dt.datetime.fromtimestamp(int(d), dt.UTC).isoformat() if d >= 0 else ""
                    for d in plan["due"][sl].tolist()
                ],
                dtype=object,
            )
            if k
            else np.array([], dtype=object)
        )
        reg_data = np.array([f'{{"due_at": "{d}"}}' for d in due_iso.tolist()], dtype=object)
        add(
            (Tc["reg"] >= 0) & ~self_h,
            Tc["reg"],
            "register",
            "reported",
            "registered",
            ops,
            "",
            reg_data,
        )
        # The first contact: a side event, in the state the case was in then.
        c_at = Tc["contact"]
        c_state = np.where(
            (Tc["susp"] >= 0) & (c_at >= Tc["susp"]),
            "suspended",
            np.where(
                (Tc["acc"] >= 0) & (c_at >= Tc["acc"]),
                "in_progress",
                np.where((Tc["disp"] >= 0) & (c_at >= Tc["disp"]), "dispatched", "registered"),
            ),
        ).astype(object)
        c_on_time = c_at <= np.where(registered, plan["respond_by"][sl], 0)
        c_data = np.where(
            c_on_time, '{"first": true, "on_time": true}', '{"first": true, "on_time": false}'
        ).astype(object)
        add(
            c_at >= 0,
            c_at,
            "contact",
            c_state,
            c_state,
            ops,
            "已电话联系反映人，了解详细情况。",
            c_data,
        )
        unit_of = np.where(has_dept[sl], "", unit_code[sl])
        disp_data = np.array(
            [
                f'{{"department": "{dept_names[d] if d >= 0 and h else ""}", "unit": "{u}"}}'
                for d, h, u in zip(
                    dept_idx[sl].tolist(), has_dept[sl].tolist(), unit_of.tolist(), strict=True
                )
            ],
            dtype=object,
        )
        add(Tc["disp"] >= 0, Tc["disp"], "dispatch", "registered", "dispatched", ops, "", disp_data)
        add(Tc["acc"] >= 0, Tc["acc"], "accept", "dispatched", "in_progress", handlers)
        add(Tc["susp"] >= 0, Tc["susp"], "suspend", "in_progress", "suspended", ops,
            "当事人外出，待其返回后继续调解。")  # fmt: skip
        add(
            (Tc["h1"] >= 0) & ~self_h,
            Tc["h1"],
            "handle",
            "in_progress",
            "handled",
            handlers,
            result,
        )
        add(Tc["vf"] >= 0, Tc["vf"], "verify_fail", "handled", "in_progress", ops,
            "现场复核问题仍存在，请继续处置。", '{"rework": 1}')  # fmt: skip
        add(Tc["h2"] >= 0, Tc["h2"], "handle", "in_progress", "handled", handlers, result)
        vp_data = np.where(on_time, '{"on_time": true}', '{"on_time": false}').astype(object)
        add(closed, Tc["vp"], "verify_pass", "handled", "closed", ops, "", vp_data)
        cb_data = np.array(
            [
                f'{{"solved": {"true" if s else "false"}, "rating": "{r}"}}'
                for s, r in zip(plan["solved"][sl].tolist(), rating_names.tolist(), strict=True)
            ],
            dtype=object,
        )
        add(
            cb,
            Tc["cb"],
            "callback",
            "closed",
            "closed",
            ops,
            "回访反映人，对处置结果满意。",
            cb_data,
        )

        ev_case = np.concatenate([p[0] for p in parts])
        ev_at = np.concatenate([p[1] for p in parts])
        order = np.lexsort((ev_case, ev_at))
        m = len(order)

        def col(j, parts=parts, order=order):
            arrays = []
            for p in parts:
                v = p[j]
                if isinstance(v, str):
                    v = np.full(len(p[0]), v, dtype=object)
                arrays.append(
                    np.asarray(v, dtype=object)
                    if not isinstance(v, np.ndarray) or v.dtype != object
                    else v
                )
            return np.concatenate(arrays)[order]

        actor = np.concatenate([p[5] for p in parts])[order]
        actor_names = np.array(
            [names.get(a, system_name) if a >= 0 else system_name for a in actor.tolist()],
            dtype=object,
        )
        ev_values = {
            "id": list(range(event_id, event_id + m)),
            "case_id": (ev_case[order] + lo + 1).tolist(),
            "at": timestamps(ev_at[order]).tolist(),
            "actor_id": opt(actor, actor >= 0),
            "actor_name": actor_names.tolist(),
            "action": np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts])[
                order
            ].tolist(),
            "from_state": col(3).tolist(),
            "to_state": col(4).tolist(),
            "note": col(6).tolist(),
            "data": col(7).tolist(),
        }
        cols, data = model_columns(CaseEvent, ev_values)
        writer.write(CaseEvent._meta.db_table, cols, rows_of(data))
        event_id += m
        counts["events"] += m
        progress(hi, counts, time.perf_counter() - t0)

    # Repeat counts on the cases repeated; the day counters continue after the bench data.
    firsts = plan["prev"][plan["is_repeat"]]
    if len(firsts):
        uniq, cnt = np.unique(firsts, return_counts=True)
        from django.db import connection

        with connection.cursor() as c:
            c.executemany(
                f"UPDATE {Case._meta.db_table} SET repeat_count = %s WHERE id = %s",
                list(zip(cnt.tolist(), (uniq + 1).tolist(), strict=True)),
            )
    CaseCounter.objects.bulk_create(
        [CaseCounter(day=dt.date.fromisoformat(d), last=c) for d, c in counters.items()],
        batch_size=1000,
    )
    for model in (Case, CaseEvent, HotlineOrder):
        writer.reset_sequence(model._meta.db_table)
    return counts


def write_residents(writer: Writer, world: dict, n: int, seed: int) -> int:
    """n registry residents spread over the grids, every row sealed (the 身份证号 hash is
    unique)."""
    from faker import Faker
    from stdnum.cn import ric

    from gongzhi.registry import pii
    from gongzhi.registry.models import Resident

    rnd = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = [fake.name() for _ in range(5000)]
    now_s = stamp(int(time.time()))
    start = dt.date(1930, 1, 1)
    done = 0
    grid_codes, grid_ids = world["grid_codes"], world["grid_ids"]
    for lo in range(0, n, 50_000):
        hi = min(n, lo + 50_000)
        rows: dict[str, list] = {
            k: []
            for k in [
                "grid_id",
                "org_code",
                "name",
                "gender",
                "birth_date",
                "id_number_enc",
                "id_number_hash",
                "id_number_masked",
                "phone_enc",
                "phone_hash",
                "phone_masked",
                "phone_last4",
                "residence_type",
                "relationship",
            ]
        }
        for i in range(lo, hi):
            g = rnd.randrange(len(grid_codes))
            birth = start + dt.timedelta(days=(i // 1000) * 7 % 30000)
            body = f"410311{birth:%Y%m%d}{i % 1000:03d}"
            number = body + ric.calc_check_digit(body + "0")
            sid = pii.seal_id_number(number)
            phone = f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}" if rnd.random() < 0.9 else ""
            sp = pii.seal_phone(phone)
            rows["grid_id"].append(grid_ids[g])
            rows["org_code"].append(grid_codes[g])
            rows["name"].append(rnd.choice(names))
            rows["gender"].append(rnd.choice("MF"))
            rows["birth_date"].append(birth.isoformat())
            for key in ("id_number_enc", "id_number_hash", "id_number_masked"):
                rows[key].append(sid[key])
            for key in ("phone_enc", "phone_hash", "phone_masked"):
                rows[key].append(sp[key])
            rows["phone_last4"].append(phone[-4:])
            rows["residence_type"].append(
                rnd.choice(("registered", "registered", "resident", "floating"))
            )
            rows["relationship"].append("")
        rows["created_at"] = rows["updated_at"] = now_s  # type: ignore[assignment]
        cols, data = model_columns(Resident, rows)
        writer.write(Resident._meta.db_table, cols, rows_of(data))
        done = hi
    writer.reset_sequence(Resident._meta.db_table)
    return done


# -- driver --------------------------------------------------------------------------------


def label(n: int) -> str:
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def run(cases: int, *, residents: int = 0, db: str = "sqlite", name: str | None = None,
        path: str | None = None, seed: int = 7, rollups: bool = True) -> dict:  # fmt: skip
    """Generate the database; returns the timings (seconds) and row counts."""
    name = name or f"gongzhi_bench_{label(cases)}"
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    t = time.perf_counter()
    where = setup(db, name, path)
    # Written when everything below is done: bench/run.py generates a data set again
    # when its marker is missing (a run that was stopped half-way).
    marker = Path(os.environ["GONGZHI_VAR_DIR"]) / f"generated-{db}.json"
    marker.unlink(missing_ok=True)
    timings["migrate"] = time.perf_counter() - t
    print(f"database: {where} (migrated in {timings['migrate']:.1f} s)", flush=True)

    from faker import Faker

    rnd = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    now = (int(time.time()) // HOUR) * HOUR
    writer = Writer()
    t = time.perf_counter()
    world = build_world(rnd, fake, writer, now)
    pools = text_pools(rnd, fake, world["categories"])
    timings["world"] = time.perf_counter() - t
    print(f"world: 2,000 grids, {len(world['departments'])} departments, staff in "
          f"{timings['world']:.1f} s", flush=True)  # fmt: skip

    t = time.perf_counter()
    plan = plan_cases(cases, world, np.random.default_rng(seed), now)
    timings["plan"] = time.perf_counter() - t
    print(f"plan: {cases:,} cases in {timings['plan']:.1f} s", flush=True)

    from gongzhi.cases.models import Case, CaseEvent

    tables = [Case._meta.db_table, CaseEvent._meta.db_table]
    indexes = writer.drop_indexes(tables)
    t = time.perf_counter()

    def progress(done, counts, seconds):
        elapsed = time.perf_counter() - t
        print(f"  {done:>9,} cases, {counts['events']:>10,} events  "
              f"({(done + counts['events']) / elapsed:,.0f} rows/s)", flush=True)  # fmt: skip

    counts = write_cases(writer, plan, world, pools, now, progress)
    timings["load"] = time.perf_counter() - t
    t = time.perf_counter()
    writer.run(indexes)
    timings["indexes"] = time.perf_counter() - t
    if residents:
        t = time.perf_counter()
        counts["residents"] = write_residents(writer, world, residents, seed)
        timings["residents"] = time.perf_counter() - t
    writer.finish()
    t = time.perf_counter()
    from django.db import connection

    if writer.pg:
        writer.raw.execute("VACUUM ANALYZE")  # Django's connection is in autocommit
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - t

    rows = counts["cases"] + counts["events"] + counts["work orders"]
    analyze = f"{'VACUUM ' if writer.pg else ''}ANALYZE"
    print(
        f"load: {counts['cases']:,} cases, {counts['events']:,} events, "
        f"{counts['work orders']:,} work orders in {timings['load']:.1f} s "
        f"({rows / timings['load']:,.0f} rows/s); indexes {timings['indexes']:.1f} s; "
        f"{analyze} {timings['analyze']:.1f} s",
        flush=True,
    )
    if residents:
        rate = counts["residents"] / timings["residents"]
        print(
            f"residents: {counts['residents']:,} in {timings['residents']:.1f} s "
            f"({rate:,.0f} rows/s)",
            flush=True,
        )
    timings["generate"] = time.perf_counter() - t_all
    if rollups:
        try:
            from gongzhi.cases import rollups as rollup_module
        except ImportError:
            rollup_module = None
        if rollup_module is None or not hasattr(rollup_module, "rebuild"):
            print("rollups: gongzhi.cases.rollups.rebuild() does not exist yet; skipped")
        else:
            t = time.perf_counter()
            made = rollup_module.rebuild()
            timings["rollups"] = time.perf_counter() - t
            counts["rollup rows"] = made
            print(
                f"rollups: rebuild() wrote {made:,} rows in {timings['rollups']:.1f} s", flush=True
            )
    timings["total"] = time.perf_counter() - t_all
    print(f"total: {timings['total']:.1f} s (generation without rollups "
          f"{timings['generate']:.1f} s)", flush=True)  # fmt: skip
    result = {"where": where, "db": db, "name": name, "timings": timings, "counts": counts,
              "seed": seed, "rollups": "rollup rows" in counts}  # fmt: skip
    marker.write_text(json.dumps(result, indent=1))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=0)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--name", help="database name (PostgreSQL) / directory under var/bench (SQLite); "
        "default gongzhi_bench_<cases>, e.g. gongzhi_bench_100k",
    )  # fmt: skip
    parser.add_argument("--path", help="SQLite: the directory (GONGZHI_VAR_DIR) to use")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-rollups", action="store_true", help="skip rollups.rebuild()")
    args = parser.parse_args(argv)
    run(
        args.cases,
        residents=args.residents,
        db=args.db,
        name=args.name,
        path=args.path,
        seed=args.seed,
        rollups=not args.no_rollups,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
