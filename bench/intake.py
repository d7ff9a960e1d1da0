"""Intake over HTTP: cases created through the API under gunicorn on PostgreSQL, against
two baselines measured in the same run.

    .venv/bin/python bench/intake.py --data 100k --seconds 60            # table
    .venv/bin/python bench/intake.py --data 1m --seconds 60 --json       # + a JSON line

Three paths, one after another, each alone on the machine, each for --seconds after a
5 s warmup with --clients closed-loop clients (each sends its next request as soon as
its answer is in):

1. bare: the rows one intake writes, by plain SQL through psycopg 3, one transaction
   per case, one connection per client thread, into gongzhi_bench_bare (a copy of the
   generated database). The database's own limit for this write set.
2. gongzhi: `gongzhi.wsgi:application` under gunicorn (sync workers, one per core) in
   production mode (DEBUG off) on gongzhi_bench_intake (a copy), every client a grid
   worker with its own API token POSTing /api/v1/cases (CaseIn) with an
   Idempotency-Key: a category that exists, Chinese title and description, mostly a
   point inside the worker's grid (found with the app's locator), else the grid or an
   address; sometimes a resident's phone, sometimes urgent. 201 is success. Afterwards
   the new cases in the database are counted and must equal the 201 answers.
3. helpdesk: django-helpdesk 2.6.1 (a real Django ticketing system) in its own venv,
   bench/.helpdesk-venv, made here from bench/helpdesk/requirements.txt when missing;
   the project bench/helpdesk/ under the same gunicorn settings on a fresh database
   gongzhi_bench_helpdesk on the same server, staff users with DRF tokens POSTing
   /api/tickets/ (queue, Chinese title and description). 201 is success.

The rows of one intake, as `cases.services.case_report` writes them (found by running
it under CaptureQueriesContext; this script does so again at setup and prints the
statements per table, next to the bare path's): in one transaction, the day's
cases_casecounter row (UPDATE … last + 1 RETURNING last), the cases_case row, its "report"
cases_caseevent row, a core_auditlog row ("case.report"), and one INSERT … ON CONFLICT
DO UPDATE of 16 cases_caserollup rows (day and month × all cases and per category ×
district, subdistrict, community and grid, received + 1), in key order. The bare path
writes exactly these, in this order: the counter row first, so intake transactions
queue on it in both paths. It leaves out what the app reads to decide (the token, the
worker's positions, the category, the grid, the repeat candidates, the idempotency
lookup, the timeline it answers with) and the rare extra rows of a repeat (an event
and the first case's counter). After the run, rows per case of both databases are
printed side by side.

The databases are dropped at the end (--keep leaves them); gongzhi_bench_helpdesk is
migrated in about 4 s, so it is re-created every run.

Targets (issue 7): gongzhi >= 3x helpdesk's requests/s and >= 0.5x the bare rate.
Exit 0 whether or not they are met; non-zero on errors (failed requests, a count that
does not match, a server that does not start).
"""

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from httpload import CpuMeter, gunicorn, percentile, run_load  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
INTAKE_DB, BARE_DB, HELPDESK_DB = (
    "gongzhi_bench_intake",
    "gongzhi_bench_bare",
    "gongzhi_bench_helpdesk",
)
HELPDESK_DIR = BENCH / "helpdesk"
HELPDESK_VENV = BENCH / ".helpdesk-venv"
WARMUP = 5.0
TEMPLATE_WAIT = 120.0  # seconds to wait for other sessions to leave the template
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
LEVEL_LENGTHS = (6, 9, 12, 15)  # district, subdistrict, community, grid (orgs.codes)

PROBLEMS = [
    ("井盖缺失", "人行道上的井盖缺失，夜间行人容易踩空，需尽快补装。"),
    ("路灯不亮", "路灯连续几个晚上不亮，居民夜间出行不便。"),
    ("垃圾堆积", "垃圾桶满溢，周边散落生活垃圾，气味较大。"),
    ("占道经营", "有摊贩在人行道上摆摊经营，影响行人通行。"),
    ("违规停车", "车辆长期停放在消防通道上，堵塞通道。"),
    ("墙面小广告", "楼道墙面张贴大量小广告，影响市容。"),
    ("路面破损", "道路出现坑洼，雨后积水，车辆通行困难。"),
    ("噪音扰民", "夜间施工噪音较大，影响周边居民休息。"),
    ("绿化损坏", "绿化带树木被折断，草坪被踩踏。"),
    ("楼道堆物", "楼道内堆放杂物和电动车，存在消防隐患。"),
    ("下水道堵塞", "下水道堵塞，污水外溢到路面。"),
    ("邻里纠纷", "楼上楼下因漏水问题发生纠纷，需协调处理。"),
    ("飞线充电", "有居民从楼上拉线给电动车充电，存在安全隐患。"),
    ("共享单车乱停", "共享单车大量堆放在出入口，阻碍通行。"),
    ("路边积水", "路口低洼处积水严重，行人无法通过。"),
    ("违章搭建", "小区内有住户在楼顶私自搭建棚屋。"),
]
PLACES = ["东门", "西门", "南门口", "北侧路口", "3号楼旁", "7号楼楼下", "菜市场门口", "学校附近",
          "公交站旁", "停车场入口", "小广场", "幼儿园对面"]  # fmt: skip
DETAILS = ["已持续三天。", "居民多次反映。", "早晚高峰尤为严重。", "已拍照留存。",
           "请相关部门尽快处理。", "现场已设置临时警示。", ""]  # fmt: skip


# -- databases ------------------------------------------------------------------------


def admin_execute(sql: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def drop_database(name: str) -> None:
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(name: str, template: str) -> None:
    """A fresh copy of `template`; waits while another session is connected to it."""
    drop_database(name)
    deadline = time.monotonic() + TEMPLATE_WAIT
    while True:
        try:
            admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            print(f"  {template} is in use by another session; waiting…", flush=True)
            time.sleep(5)


def db_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def scalar(url: str, sql: str):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


@contextlib.contextmanager
def backend_pids(name: str):
    """A callable listing the server processes (backends) connected to database `name`."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        sql = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
        yield lambda: [row[0] for row in conn.execute(sql, (name,))]


def load_through_gunicorn(app: str, make_request, args, *, python, env, cwd, database) -> dict:
    """`args.clients` clients for `args.seconds` against `app` under gunicorn: the load's
    summary with the server-side CPU per answered request of the whole run (warmup
    included) in the app's workers and in its database's backends."""
    with (
        gunicorn(app, python=python, env=env, cwd=cwd, workers=args.workers) as server,
        backend_pids(database) as pids,
        CpuMeter(server.worker_pids) as app_cpu,
        CpuMeter(pids) as db_cpu,
    ):
        result = run_load(
            make_request,
            base_url=server.url,
            clients=args.clients,
            seconds=args.seconds,
            warmup=WARMUP,
        )
    out = result.summary()
    answered = sum(result.all_statuses.values()) or 1
    out["app_cpu_ms_per_req"] = round(app_cpu.seconds * 1000 / answered, 2)
    out["db_cpu_ms_per_req"] = round(db_cpu.seconds * 1000 / answered, 2)
    out["created_201"] = result.all_statuses.get(201, 0)
    return out


def case_rows(url: str) -> dict:
    """Counts of the rows intake writes, to compare before and after."""
    with psycopg.connect(url) as conn:
        return {
            "cases": conn.execute("SELECT count(*) FROM cases_case").fetchone()[0],
            "events": conn.execute("SELECT count(*) FROM cases_caseevent").fetchone()[0],
            "audit": conn.execute("SELECT count(*) FROM core_auditlog").fetchone()[0],
            "rollup_received": conn.execute(
                "SELECT coalesce(sum(received), 0) FROM cases_caserollup"
            ).fetchone()[0],
        }


# -- the gongzhi world: workers, tokens, points --------------------------------------


@dataclass
class Worker:
    user_id: int
    username: str
    display_name: str
    grid_id: int
    grid_code: str
    token: str = ""
    points: list = field(default_factory=list)


@dataclass
class World:
    workers: list
    categories: list  # leaf category ids
    writes: dict  # table -> statements one intake runs, from the captured queries
    queries_per_request: int


def setup_gongzhi(clients: int, seed: int) -> World:
    """In the intake copy, through the app: `clients` grid workers spread over the
    district with an API token each and points inside their grids; then one intake under
    CaptureQueriesContext (the statements it writes) and one over the test client (the
    queries of a whole request, the token's second: its first use also marks it used).
    Adds three cases, made before the count is taken."""
    os.environ.update(DATABASE_URL=db_url(INTAKE_DB), DJANGO_SETTINGS_MODULE="gongzhi.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import shapely
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gongzhi.accounts.models import User
    from gongzhi.accounts.services import api_token_create
    from gongzhi.cases import services
    from gongzhi.cases.models import Category
    from gongzhi.orgs import locator
    from gongzhi.orgs.models import OrgUnit

    rng = random.Random(seed)
    users = list(User.objects.filter(username__startswith="gw_", is_active=True).order_by("id"))
    step = max(1, len(users) // clients)
    chosen = users[::step][:clients]
    grids = {g.code: g for g in OrgUnit.objects.filter(code__in=[u.username[3:] for u in chosen])}
    workers = []
    for user in chosen:
        grid = grids[user.username[3:]]
        worker = Worker(user.pk, user.username, user.get_display_name(), grid.pk, grid.code)
        worker.token = api_token_create(actor=None, user=user, name="bench intake")[1]
        shape = shapely.geometry.shape(grid.boundary)
        x0, y0, x1, y1 = shape.bounds
        while len(worker.points) < 20:
            lng, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if locator.locate(lng, lat) == grid.code:
                worker.points.append((round(lng, 7), round(lat, 7)))
        workers.append(worker)
    categories = list(
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )

    first = workers[0]
    actor = User.objects.get(pk=first.user_id)
    with CaptureQueriesContext(connection) as ctx:
        services.case_report(
            actor=actor,
            category_id=categories[0],
            title="设置检查",
            description="基准测试前的一次上报，用于记录写入的行。",
            grid_id=first.grid_id,
            idempotency_key=secrets.token_hex(8),
        )
    writes: dict[str, int] = {}
    for q in ctx.captured_queries:
        words = q["sql"].split()
        if words[0] in ("INSERT", "UPDATE"):
            table = words[2 if words[0] == "INSERT" else 1].strip('"')
            writes[f"{words[0]} {table}"] = writes.get(f"{words[0]} {table}", 0) + 1
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = Client().post(
                "/api/v1/cases",
                gongzhi_payload(first, categories, rng),
                content_type="application/json",
                headers={
                    "Authorization": f"Bearer {first.token}",
                    "Idempotency-Key": secrets.token_hex(8),
                },
            )
        assert response.status_code == 201, response.content
    connection.close()
    return World(workers, categories, writes, len(ctx.captured_queries))


def gongzhi_payload(worker: Worker, categories: list, rng) -> bytes:
    """A grid worker's report, varied: JSON bytes of CaseIn."""
    title, text = rng.choice(PROBLEMS)
    place = rng.choice(PLACES)
    fields = {
        "category_id": rng.choice(categories),
        "title": f"{place}{title}",
        "description": f"{place}{text}{rng.choice(DETAILS)}",
        "channel": "grid_worker" if rng.random() < 0.85 else "patrol",
        "urgency": "urgent" if rng.random() < 0.1 else "normal",
    }
    where = rng.random()
    if where < 0.7:
        fields["lng"], fields["lat"] = rng.choice(worker.points)
    elif where < 0.9:
        fields["grid_id"] = worker.grid_id
    else:
        fields["grid_id"] = worker.grid_id
        fields["address"] = f"{place}{rng.randint(1, 200)}号"
    if rng.random() < 0.3:
        fields["reporter_name"] = rng.choice(["王女士", "李先生", "张阿姨", "刘师傅"])
        fields["reporter_phone"] = f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
    return json.dumps(fields, ensure_ascii=False).encode()


def gongzhi_env(var_dir: str) -> dict:
    """Production mode on the intake copy, plain HTTP on 127.0.0.1 (no TLS redirect)."""

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {
        **os.environ,
        "GONGZHI_ENV": "production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATA_KEYS": f"1:{key()}",
        "HASH_KEY": key(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": db_url(INTAKE_DB),
        "GONGZHI_VAR_DIR": var_dir,
        "LOG_LEVEL": "WARNING",
    }


def run_gongzhi(world: World, args) -> dict:
    before = case_rows(db_url(INTAKE_DB))
    workers = world.workers

    def make_request(index: int, rng):
        worker = workers[index % len(workers)]
        headers = {
            "Authorization": f"Bearer {worker.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{index}-{rng.getrandbits(64):016x}",
        }
        body = gongzhi_payload(worker, world.categories, rng)
        return "POST", "/api/v1/cases", headers, body, {201}

    var_dir = tempfile.mkdtemp(prefix="gongzhi-intake-var-")
    try:
        out = load_through_gunicorn(
            "gongzhi.wsgi:application",
            make_request,
            args,
            python=sys.executable,
            env=gongzhi_env(var_dir),
            cwd=str(ROOT),
            database=INTAKE_DB,
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    after = case_rows(db_url(INTAKE_DB))
    out["created_in_db"] = after["cases"] - before["cases"]
    out["rows_per_case"] = per_case(before, after)
    return out


def per_case(before: dict, after: dict) -> dict:
    n = after["cases"] - before["cases"]
    return {k: round((after[k] - before[k]) / n, 3) if n else None for k in before}


# -- bare: the same rows through psycopg ----------------------------------------------

CASE_COLUMNS = (
    "number", "kind", "channel", "category_id", "urgency", "title", "description", "state",
    "org_code", "grid_id", "building_id", "address", "lng", "lat", "reporter_resident_id",
    "reporter_name", "reporter_phone_enc", "reporter_phone_hash", "reporter_phone_masked",
    "reported_by_id", "reported_at", "idempotency_key", "department_id", "assignee_code",
    "handler_id", "result", "extended_days", "self_handled", "rework_count",
    "escalation_level", "supervision_level", "supervision_note", "is_repeat",
    "repeat_count", "needs_leader_visit", "callback_rating", "version", "updated_at",
)  # fmt: skip
ROLLUP_KEY = ("grain", "dims", "unit_code", "day", "category_id", "kind", "channel",
              "department_id")  # fmt: skip
ROLLUP_COUNTS = ("received", "rejected", "merged", "handled", "closed", "closed_on_time",
                 "repeats", "response_set", "responded_on_time", "callbacks", "solved",
                 "satisfied", "verified", "reworked")  # fmt: skip
SQL_CASE = (
    f"INSERT INTO cases_case ({', '.join(CASE_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(CASE_COLUMNS))}) RETURNING id"
)
SQL_EVENT = (
    "INSERT INTO cases_caseevent (case_id, at, actor_id, actor_name, action, from_state, "
    "to_state, note, data) VALUES (%s, %s, %s, %s, 'report', '', 'reported', '', %s)"
)
SQL_AUDIT = (
    "INSERT INTO core_auditlog (at, actor_id, actor_name, action, object_type, object_id, "
    "object_repr, changes, ip) VALUES (%s, %s, %s, 'case.report', 'cases.case', %s, %s, "
    "'{\"state\": \"reported\"}', '127.0.0.1')"
)
_ROLLUP_ROW = "(" + ", ".join(["%s"] * (len(ROLLUP_KEY) + len(ROLLUP_COUNTS))) + ")"
SQL_ROLLUP = (
    f"INSERT INTO cases_caserollup ({', '.join(ROLLUP_KEY + ROLLUP_COUNTS)}) VALUES "
    + ", ".join([_ROLLUP_ROW] * (len(LEVEL_LENGTHS) * 4))
    + f" ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = cases_caserollup.{c} + excluded.{c}" for c in ROLLUP_COUNTS)
)
BARE_WRITES = {
    "UPDATE cases_casecounter": 1,
    "INSERT cases_case": 1,
    "INSERT cases_caseevent": 1,
    "INSERT core_auditlog": 1,
    "INSERT cases_caserollup": 1,
}


def bare_case(cur, worker: Worker, payload: dict, key: str) -> None:
    """One intake's rows in the caller's transaction (see the module docstring) for a
    CaseIn `payload` and idempotency `key`."""
    now = dt.datetime.now(dt.UTC)
    day = now.astimezone(TZ).date()
    bump = "UPDATE cases_casecounter SET last = last + 1 WHERE day = %s RETURNING last"
    row = cur.execute(bump, (day,)).fetchone()
    if row is None:
        cur.execute(
            "INSERT INTO cases_casecounter (day, last) VALUES (%s, 0) ON CONFLICT DO NOTHING",
            (day,),
        )
        row = cur.execute(bump, (day,)).fetchone()
    last = row[0]
    number = f"SJ{day:%Y%m%d}{last:06d}"
    category_id = payload["category_id"]
    lng, lat = payload.get("lng"), payload.get("lat")
    values = {
        "number": number, "kind": "general", "channel": payload["channel"],
        "category_id": category_id, "urgency": payload["urgency"], "title": payload["title"],
        "description": payload["description"], "state": "reported",
        "org_code": worker.grid_code, "grid_id": worker.grid_id, "building_id": None,
        "address": payload.get("address", ""), "lng": lng, "lat": lat,
        "reporter_resident_id": None, "reporter_name": payload.get("reporter_name", ""),
        "reporter_phone_enc": "", "reporter_phone_hash": "", "reporter_phone_masked": "",
        "reported_by_id": worker.user_id, "reported_at": now,
        "idempotency_key": key, "department_id": None,
        "assignee_code": "", "handler_id": None, "result": "", "extended_days": 0,
        "self_handled": False, "rework_count": 0, "escalation_level": 0,
        "supervision_level": 0, "supervision_note": "", "is_repeat": False,
        "repeat_count": 0, "needs_leader_visit": False, "callback_rating": "",
        "version": 1, "updated_at": now,
    }  # fmt: skip
    if payload.get("reporter_phone"):
        phone = payload["reporter_phone"]
        values["reporter_phone_enc"] = secrets.token_urlsafe(48)  # stands for the sealed value
        values["reporter_phone_hash"] = secrets.token_hex(32)
        values["reporter_phone_masked"] = f"{phone[:3]}****{phone[-4:]}"
    case_id = cur.execute(SQL_CASE, [values[c] for c in CASE_COLUMNS]).fetchone()[0]
    channel = json.dumps({"channel": payload["channel"]})
    cur.execute(SQL_EVENT, (case_id, now, worker.user_id, worker.display_name, channel))
    cur.execute(
        SQL_AUDIT,
        (now, worker.user_id, worker.display_name, str(case_id), f"{number} {payload['title']}"),
    )
    rows = []
    counts = (1,) + (0,) * (len(ROLLUP_COUNTS) - 1)
    for length in LEVEL_LENGTHS:
        unit = worker.grid_code[:length]
        for grain, period in (("d", day), ("m", day.replace(day=1))):
            rows.append((grain, 0, unit, period, 0, "", "", 0, *counts))
            rows.append((grain, 1, unit, period, category_id, "general", payload["channel"], 0,
                         *counts))  # fmt: skip
    rows.sort(key=lambda r: r[:8])
    cur.execute(SQL_ROLLUP, [v for row in rows for v in row])


def run_bare(world: World, args) -> dict:
    """--clients threads, one connection and one transaction per case each, for the
    same warmup and time as the HTTP paths."""
    url = db_url(BARE_DB)
    before = case_rows(url)
    started = time.perf_counter()
    measure_from, stop_at = started + WARMUP, started + WARMUP + args.seconds
    latencies: list[float] = []
    errors: list[str] = []
    committed = [0]
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(index)
        worker = world.workers[index % len(world.workers)]
        mine, done = [], 0
        with psycopg.connect(url) as conn:
            while True:
                payload = json.loads(gongzhi_payload(worker, world.categories, rng))
                key = f"{index}-{rng.getrandbits(64):016x}"
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    break
                try:
                    with conn.transaction(), conn.cursor() as cur:
                        bare_case(cur, worker, payload, key)
                except psycopg.Error as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                t1 = time.perf_counter()
                done += 1
                if t0 >= measure_from and t1 <= stop_at:
                    mine.append((t1 - t0) * 1000)
        with lock:
            latencies.extend(mine)
            committed[0] += done

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    with backend_pids(BARE_DB) as pids, CpuMeter(pids) as db:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    latencies.sort()
    after = case_rows(url)
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "count": len(latencies),
        "rps": round(len(latencies) / args.seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else 0.0,
        "errors": len(errors),
        "error_examples": errors[:3],
        "rows_per_case": per_case(before, after),
        "db_cpu_ms_per_req": round(db.seconds * 1000 / (committed[0] or 1), 2),
    }


# -- helpdesk -------------------------------------------------------------------------


def helpdesk_python() -> str:
    """bench/.helpdesk-venv's python, the venv made from the pinned requirements first
    if it is missing."""
    python = HELPDESK_VENV / "bin" / "python"
    if not python.exists():
        print(f"  creating {HELPDESK_VENV.relative_to(ROOT)} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(HELPDESK_VENV)], check=True)
        requirements = HELPDESK_DIR / "requirements.txt"
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True
        )
    return str(python)


HELPDESK_SETUP = """
import json, sys
from django.contrib.auth import get_user_model
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token
queue = Queue.objects.create(title="网格事件", slug="grid", allow_public_submission=False)
tokens = []
for i in range({clients}):
    user = get_user_model().objects.create_user(
        f"agent{{i}}", f"agent{{i}}@example.com", None, is_staff=True
    )
    tokens.append(Token.objects.create(user=user).key)
sys.stdout.write(json.dumps({{"queue": queue.pk, "tokens": tokens}}))
"""


def run_helpdesk(args) -> dict:
    python = helpdesk_python()
    drop_database(HELPDESK_DB)
    admin_execute(f'CREATE DATABASE "{HELPDESK_DB}"')
    env = {
        **os.environ,
        "DATABASE_URL": db_url(HELPDESK_DB),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_SETTINGS_MODULE": "settings",
    }
    manage = [python, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=HELPDESK_DIR, env=env, check=True)
    setup = subprocess.run(
        [*manage, "shell", "-v0", "-c", HELPDESK_SETUP.format(clients=args.clients)],
        cwd=HELPDESK_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    made = json.loads(setup.stdout.strip().splitlines()[-1])
    before = scalar(db_url(HELPDESK_DB), "SELECT count(*) FROM helpdesk_ticket")

    def make_request(index: int, rng):
        title, text = rng.choice(PROBLEMS)
        place = rng.choice(PLACES)
        body = {
            "queue": made["queue"],
            "title": f"{place}{title}",
            "description": f"{place}{text}{rng.choice(DETAILS)}",
            "priority": 2 if rng.random() < 0.1 else 3,
        }
        headers = {
            "Authorization": f"Token {made['tokens'][index % len(made['tokens'])]}",
            "Content-Type": "application/json",
        }
        return (
            "POST",
            "/api/tickets/",
            headers,
            json.dumps(body, ensure_ascii=False).encode(),
            {201},
        )

    out = load_through_gunicorn(
        "wsgi:application",
        make_request,
        args,
        python=python,
        env=env,
        cwd=str(HELPDESK_DIR),
        database=HELPDESK_DB,
    )
    out["created_in_db"] = scalar(db_url(HELPDESK_DB), "SELECT count(*) FROM helpdesk_ticket")
    out["created_in_db"] -= before
    return out


# -- report ---------------------------------------------------------------------------


def ratio(a: float, b: float | None) -> float | None:
    return round(a / b, 2) if b else None


def report(results: dict) -> dict:
    bare, gz, hd = results.get("bare"), results["gongzhi"], results.get("helpdesk")
    print()
    header = f"{'path':<10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    print(header + f"{'x bare':>8}{'x helpdesk':>12}{'load':>7}{'app cpu':>9}{'db cpu':>8}")
    for name, r in (("bare", bare), ("gongzhi", gz), ("helpdesk", hd)):
        if r is None:
            continue
        xb = ratio(r["rps"], bare and bare["rps"])
        xh = ratio(r["rps"], hd and hd["rps"])
        print(
            f"{name:<10}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r['errors']:>8}{xb or '-':>8}{xh or '-':>12}"
            f"{r['load_before']:>7.1f}{r.get('app_cpu_ms_per_req', '-'):>9}"
            f"{r['db_cpu_ms_per_req']:>8}"
        )
    print("(load: the machine's 1-minute load average when the path started; more than the")
    print(" cores' count means other work shared the machine and the numbers are low;")
    print(" app cpu, db cpu: ms of CPU per request in the app's workers and its database")
    print(" backends)")
    targets = {}
    if hd:
        got = ratio(gz["rps"], hd["rps"])
        targets["x_helpdesk"] = {"want": 3.0, "got": got, "met": got is not None and got >= 3.0}
    if bare:
        got = ratio(gz["rps"], bare["rps"])
        targets["x_bare"] = {"want": 0.5, "got": got, "met": got is not None and got >= 0.5}
    print()
    for name, t in targets.items():
        label = ">= 3x helpdesk" if name == "x_helpdesk" else ">= 0.5x bare"
        print(f"target {label:<16} got {t['got']}x: {'met' if t['met'] else 'NOT met'}")
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="100k", help="the generated data set to copy")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="gunicorn workers (both apps)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print a JSON dict of results last")
    parser.add_argument("--skip-helpdesk", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database copies")
    args = parser.parse_args()
    template = f"gongzhi_bench_{args.data}"
    results: dict = {
        "data": args.data,
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "cores": os.cpu_count(),
    }
    failed = []
    try:
        print(f"copying {template} → {BARE_DB}, {INTAKE_DB}", flush=True)
        copy_database(BARE_DB, template)
        copy_database(INTAKE_DB, template)
        world = setup_gongzhi(args.clients, args.seed)
        print(
            f"  {len(world.workers)} grid workers with tokens; one intake request runs "
            f"{world.queries_per_request} queries",
            flush=True,
        )
        print(f"  one intake writes (app):  {world.writes}")
        print(f"  one intake writes (bare): {BARE_WRITES}")
        results["queries_per_request"] = world.queries_per_request
        results["writes_app"], results["writes_bare"] = world.writes, BARE_WRITES
        if world.writes != BARE_WRITES:
            failed.append("the bare path's statements differ from the app's")

        print(f"bare psycopg, {args.clients} threads, {args.seconds:g} s …", flush=True)
        load = os.getloadavg()[0]
        results["bare"] = run_bare(world, args)
        results["bare"]["load_before"] = load
        if results["bare"]["errors"]:
            failed.append(f"bare: {results['bare']['errors']} failed transactions")
        print(
            f"  {results['bare']['rps']} cases/s; rows per case {results['bare']['rows_per_case']}",
            flush=True,
        )

        print(
            f"gongzhi under gunicorn ({args.workers} workers), {args.clients} clients, "
            f"{args.seconds:g} s …",
            flush=True,
        )
        load = os.getloadavg()[0]
        gz = results["gongzhi"] = run_gongzhi(world, args)
        gz["load_before"] = load
        print(
            f"  {gz['rps']} req/s, client CPU {gz['client_cpu_s']} s; 201 answers in the "
            f"whole run {gz['created_201']}, new cases in the database {gz['created_in_db']}"
            f"; rows per case {gz['rows_per_case']}",
            flush=True,
        )
        if gz["created_201"] != gz["created_in_db"]:
            failed.append("gongzhi: the 201 answers and the new cases differ")
        if gz["errors"]:
            failed.append(f"gongzhi: {gz['errors']} failed requests {gz['error_examples']}")

        if not args.skip_helpdesk:
            print(
                f"django-helpdesk 2.6.1 under gunicorn, {args.clients} clients, "
                f"{args.seconds:g} s …",
                flush=True,
            )
            load = os.getloadavg()[0]
            hd = results["helpdesk"] = run_helpdesk(args)
            hd["load_before"] = load
            print(
                f"  {hd['rps']} req/s, client CPU {hd['client_cpu_s']} s; 201 answers "
                f"{hd['created_201']}, new tickets {hd['created_in_db']}",
                flush=True,
            )
            if hd["errors"]:
                failed.append(f"helpdesk: {hd['errors']} failed requests {hd['error_examples']}")
        results["targets"] = report(results)
    finally:
        if not args.keep:
            for name in (BARE_DB, INTAKE_DB, HELPDESK_DB):
                drop_database(name)
    if failed:
        print("\nERRORS:\n  " + "\n  ".join(failed))
    results["ok"] = not failed
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
