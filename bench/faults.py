"""Faults and retries (issue 14): reports under concurrent writers, killed workers, database
restarts and retrying clients, counted end to end: sent / acknowledged / lost / duplicated.

    .venv/bin/python bench/faults.py                          # SQLite and PostgreSQL, everything
    .venv/bin/python bench/faults.py --db sqlite --only load --seconds 30
    make bench ONLY=faults                                    # the same, through bench/run.py

Each database is made fresh for the run: SQLite in var/bench/faults/sqlite/; PostgreSQL as
a private, throwaway cluster (initdb and pg_ctl of the Debian packages under
/usr/lib/postgresql/*/bin, run as the `postgres` user when this runs as root) in a temp
directory on a free port, so that stopping it disturbs no other server. `manage.py
migrate` and `manage.py demo --small` fill it; then, in the app's own process, every grid
worker of the demo gets an API token and 64 residents a session holding a verified phone
(as the SMS-code step leaves it).

Three ways to report, all with an `Idempotency-Key`:
- api:      a grid worker's `POST /api/v1/cases` (Bearer token, JSON) in their grid;
- open311:  `POST /open311/v2/requests.json` (the worker's token as api_key, a point in
            their grid, the key in the `Idempotency-Key` header);
- resident: `POST /my/report/` (the resident's session, the form's idempotency_key, a
            point in a grid); the answer is a redirect to /my/reports/<id>/.
Every report carries a marker of its own in its description (〔fx-…〕), so what was stored
is counted from the database afterwards, whatever the server answered.

Scenarios:
- load      64 clients at once (--load-clients), no retries: reports through the API and
            by residents (30 % and 20 %) mixed with reads (50 %: a worker's list and queues,
            a resident's reports, the public Open311 list), for --seconds, through the
            server `make demo` runs (runserver, threaded, DEBUG on, the job consumer in the
            process) and through gunicorn (2 gthread workers × 32 threads: 64 requests in
            the server at once). Judged on 5xx answers: there must be none.
- kill      32 clients reporting with retries while a random gunicorn worker (4 sync
            workers) is killed with SIGKILL every 2–5 s.
- restart   the same while the database goes away: PostgreSQL is stopped in immediate
            mode (a crash: recovery on start) and started again 3 s later, every 15 s;
            SQLite, which lives in the app's processes, has the whole server killed with
            SIGKILL and started again, and once another process holds the write lock for
            25 s, past the 20 s busy timeout.
- retry     clients sending every report again with the same key: at once from a second
            connection (a race), then once more after the answer; every fifth report is
            then sent with the same key and a changed description, which must be refused
            (422 idempotency_conflict) and not stored.

A retrying client resends the same request (same key, same body) on a connection error,
a timeout (--timeout) or a 5xx, after the answer's Retry-After (else 0.2 s doubling to
2 s), for up to 120 s; a 4xx is final. Counts: sent = reports begun; acknowledged = a
report with a 2xx answer (the resident's: the redirect to the case); lost = acknowledged
and not stored; duplicated = stored more than once; unanswered = never acknowledged
(given up or the time ran out), and how many of those were stored all the same (a 5xx or
a lost answer does not mean "not stored"); disagreeing = a report whose answers named
different cases. Exit status 1 when anything was lost or duplicated, a load run had a
5xx, answers disagreed, or a changed body was stored; 0 otherwise.
"""

import argparse
import base64
import contextlib
import glob
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from httpload import _answers, free_port, percentile, start_gunicorn, stop_server  # noqa: E402

GIVE_UP_SECONDS = 120.0
MARKER = re.compile(r"〔(fx-[a-z0-9-]+)〕")
MY_CASE = re.compile(r"/my/reports/(\d+)/")
TEXTS = [
    ("井盖缺失", "人行道上的井盖缺失，夜间行人容易踩空"),
    ("路灯不亮", "路灯连续几个晚上不亮，居民出行不便"),
    ("垃圾堆积", "垃圾桶满溢，周边散落生活垃圾"),
    ("占道经营", "有摊贩在人行道上摆摊经营"),
    ("楼道堆物", "楼道内堆放杂物和电动车"),
    ("路面破损", "道路出现坑洼，雨后积水"),
]
PASSWORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# -- databases -----------------------------------------------------------------------------


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL's programs refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Sqlite:
    kind = "sqlite"

    def __init__(self, var: Path):
        self.path = var / "gongzhi.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def descriptions(self) -> list[str]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=60)) as conn:
            rows = conn.execute(
                "SELECT description FROM cases_case WHERE description LIKE '%〔fx-%'"
            )
            return [r[0] for r in rows]


class PrivatePostgres:
    """A throwaway cluster: initdb in a temp directory, pg_ctl on a free port."""

    kind = "postgres"

    def __init__(self):
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
        if not versions:
            raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(versions[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="gz_faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/gz_faults"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / program), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.dir,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.dir / "log"),
                  "-o", options)  # fmt: skip
        import psycopg

        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'gz_faults'").fetchone():
                conn.execute("CREATE DATABASE gz_faults")

    def crash(self) -> None:
        """Stop at once, as a crash does: no checkpoint, recovery from the WAL on start."""
        self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def descriptions(self) -> list[str]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "SELECT description FROM cases_case WHERE description LIKE %s", ("%〔fx-%",)
            )
            return [r[0] for r in rows]


def _version(path: str) -> tuple:
    return tuple(int(p) for p in re.findall(r"/(\d+)(?:\.(\d+))?/bin/", path)[0] if p)


# -- the app: environment, set-up, servers --------------------------------------------------


def app_env(db, var: Path, keys: dict, *, production: bool) -> dict:
    """The app's environment: one set of keys for the set-up and every server (the demo's
    personal data is sealed with them); production mode for gunicorn, development (as
    `make demo`) for runserver. The residents' rate limits are raised: every resident
    comes from this one address (the limits are still counted on every report)."""
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "GONGZHI_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "gongzhi.settings",
        "SELFSERVICE_PER_IP_HOUR": "1000000",
        "SELFSERVICE_REPORTS_PER_PHONE_HOUR": "1000000",
        "LOG_LEVEL": "ERROR",
        **keys,
    }
    if production:
        # DEBUG off and persistent connections as in production; not GONGZHI_ENV=production,
        # whose static files need a collectstatic manifest (as bench/soak.py).
        env.update(GONGZHI_ENV="development", DEBUG="0")
    else:
        env.update(GONGZHI_ENV="development", DEBUG="1", GONGZHI_INPROCESS_JOBS="1")
    return env


def new_keys() -> dict:
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATA_KEYS": f"1:{key()}",
        "HASH_KEY": key(),
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def setup_world(residents: int) -> dict:
    """In the app's process (--setup): a token for every grid worker of the demo with
    points inside their grid, `residents` sessions holding a verified phone, the public
    categories (id, Open311 service_code). Printed as JSON."""
    import django

    django.setup()
    from importlib import import_module

    import shapely
    from django.conf import settings

    from gongzhi.accounts.models import Position
    from gongzhi.accounts.services import api_token_create
    from gongzhi.cases.models import Category
    from gongzhi.core.roles import Role
    from gongzhi.orgs import geo, locator
    from gongzhi.registry import pii
    from gongzhi.selfservice import services as selfservice

    rng = random.Random(14)
    workers = []
    positions = (
        Position.objects.filter(role=Role.GRID_WORKER, is_active=True)
        .select_related("user", "org_unit")
        .order_by("user__username")
    )
    for position in positions:
        grid = position.org_unit
        if grid is None or not grid.boundary:
            continue
        shape = geo.from_geojson(grid.boundary)
        west, south, east, north = shape.bounds
        points = []
        while len(points) < 8:
            lng, lat = rng.uniform(west, east), rng.uniform(south, north)
            code = locator.locate(lng, lat)
            if shape.contains(shapely.Point(lng, lat)) and code and code.startswith(grid.code):
                points.append([round(lng, 7), round(lat, 7)])
        token = api_token_create(actor=None, user=position.user, name="faults bench")[1]
        workers.append({"token": token, "grid_id": grid.pk, "points": points})
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for i in range(residents):
        session = store()
        selfservice.remember(session, pii.seal_phone(f"1391400{i:04d}"))
        session.save()
        sessions.append(session.session_key)
    public = Category.objects.filter(
        is_active=True, is_public=True, parent__isnull=False, parent__is_active=True
    ).order_by("id")
    return {
        "workers": workers,
        "residents": sessions,
        "categories": [[c.pk, c.code] for c in public],
    }


@dataclass
class Runserver:
    """`manage.py runserver` as `make demo` runs it (threaded; --noreload keeps it one
    process)."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start_runserver(env: dict) -> Runserver:
    port = free_port()
    log = Path(env["GONGZHI_VAR_DIR"]) / "runserver.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = Runserver(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while not _answers(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"runserver did not start:\n{server.log_tail()}")
        time.sleep(0.3)
    return server


def gunicorn_server(env: dict, **options):
    log = Path(env["GONGZHI_VAR_DIR"]) / "gunicorn.log"
    return start_gunicorn("gongzhi.wsgi:application", python=sys.executable, env=env,
                          cwd=str(ROOT), log=log, **options)  # fmt: skip


# -- requests --------------------------------------------------------------------------------


@dataclass
class Request:
    way: str  # api, open311, resident, read
    method: str
    path: str
    headers: dict
    body: bytes | None
    marker: str = ""


@dataclass
class Answer:
    status: int | None  # None: no answer (a connection error or a timeout)
    ref: str | None = None  # the case it names (id or number), on success
    code: str = ""  # the error body's code, when there is one
    retry_after: float | None = None
    error: str = ""


class World:
    def __init__(self, data: dict):
        self.workers = data["workers"]
        self.residents = data["residents"]
        self.categories = data["categories"]

    def text(self, rng, marker: str) -> tuple[str, str]:
        title, text = rng.choice(TEXTS)
        return title, f"{text}。〔{marker}〕"

    def report(self, way: str, client: int, rng, marker: str, key: str) -> Request:
        category_id, code = rng.choice(self.categories)
        title, description = self.text(rng, marker)
        if way == "resident":
            session = self.residents[client % len(self.residents)]
            worker = self.workers[rng.randrange(len(self.workers))]
            lng, lat = rng.choice(worker["points"])
            csrf = "".join(rng.choice(PASSWORD_CHARS) for _ in range(32))
            fields = {"csrfmiddlewaretoken": csrf, "category_id": category_id,
                      "description": description, "lng": lng, "lat": lat, "crs": "wgs84",
                      "idempotency_key": key}  # fmt: skip
            headers = {
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = urllib.parse.urlencode(fields).encode()
            return Request(way, "POST", "/my/report/", headers, body, marker)
        worker = self.workers[client % len(self.workers)]
        if way == "open311":
            lng, lat = rng.choice(worker["points"])
            fields = {"api_key": worker["token"], "service_code": code, "lat": lat, "long": lng,
                      "description": description}  # fmt: skip
            headers = {
                "Idempotency-Key": key,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = urllib.parse.urlencode(fields).encode()
            return Request(way, "POST", "/open311/v2/requests.json", headers, body, marker)
        payload = {"category_id": category_id, "title": title, "description": description,
                   "grid_id": worker["grid_id"]}  # fmt: skip
        headers = {
            "Authorization": f"Bearer {worker['token']}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        return Request(way, "POST", "/api/v1/cases", headers, body, marker)

    def read(self, client: int, rng) -> Request:
        worker = self.workers[client % len(self.workers)]
        bearer = {"Authorization": f"Bearer {worker['token']}"}
        session = self.residents[client % len(self.residents)]
        path, headers = rng.choice(
            [
                ("/api/v1/cases?queue=mine&limit=20", bearer),
                ("/api/v1/cases?queue=all&limit=20", bearer),
                ("/api/v1/cases/queues", bearer),
                ("/my/reports/", {"Cookie": f"sessionid={session}"}),
                ("/open311/v2/requests.json", {}),
            ]
        )
        return Request("read", "GET", path, headers, None)


def changed(request: Request) -> Request:
    """The same report with a different description (and the same key)."""
    more = "，又补充了一句。〔"
    if request.headers.get("Content-Type", "").startswith("application/json"):
        payload = json.loads(request.body)
        payload["description"] = payload["description"].replace("。〔", more)
        body = json.dumps(payload, ensure_ascii=False).encode()
    else:
        fields = urllib.parse.parse_qsl(request.body.decode())
        fields = [(k, v.replace("。〔", more) if k == "description" else v) for k, v in fields]
        body = urllib.parse.urlencode(fields).encode()
    return Request(request.way, request.method, request.path, request.headers, body,
                   request.marker)  # fmt: skip


_local = threading.local()


def send(base: str, request: Request, timeout: float) -> Answer:
    """One attempt, on the thread's kept-alive connection to `base` (a new one when the
    server closed it: a request that finds a kept connection closed is sent again on a
    fresh one, as browsers do)."""
    parts = urllib.parse.urlsplit(base)
    conns = _local.__dict__.setdefault("conns", {})
    while True:
        conn = conns.pop(base, None)
        reused = conn is not None
        if conn is None:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(request.method, request.path, body=request.body,
                         headers=request.headers)  # fmt: skip
            response = conn.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            if reused:
                continue
            return Answer(None, error=type(exc).__name__)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return Answer(None, error=type(exc).__name__)
        if response.will_close:
            conn.close()
        else:
            conns[base] = conn
        break
    answer = Answer(response.status)
    with contextlib.suppress(TypeError, ValueError):
        answer.retry_after = float(response.getheader("Retry-After"))
    ok = False
    if request.way == "resident":
        match = MY_CASE.search(response.getheader("Location") or "")
        ok = response.status == 302 and match is not None
        answer.ref = match.group(1) if ok else None
    elif 200 <= response.status < 300:
        ok = True
        with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
            body = json.loads(data)
            if request.way == "api":
                answer.ref = str(body["id"])
            elif request.way == "open311":
                answer.ref = body[0]["service_request_id"]
    if not ok and response.status >= 400:
        # The error's code: the API's "code"; Open311's errors carry it at the start of the
        # description ("idempotency_conflict: …"); the resident's form page answers 422
        # for nothing else.
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError, AttributeError):
            body = json.loads(data)
            if isinstance(body, list):
                answer.code = str(body[0]["description"]).split(":", 1)[0]
            else:
                answer.code = str(body.get("code") or "")
        if request.way == "resident" and response.status == 422:
            answer.code = "idempotency_conflict"
    if not ok and response.status < 400 and request.way == "resident":
        answer.status = response.status  # a redirect elsewhere: the form was refused
        answer.code = "not_redirected_to_case"
    return answer


def succeeded(answer: Answer) -> bool:
    return answer.ref is not None or (
        answer.status is not None and 200 <= answer.status < 300 and answer.code == ""
    )


# -- tallies ---------------------------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: Counter = field(default_factory=Counter)  # way -> reports begun
    acked: dict = field(default_factory=dict)  # marker -> set of refs answered
    unanswered: set = field(default_factory=set)  # markers never acknowledged
    attempts: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)  # final 4xx by code
    conflicts_sent: set = field(default_factory=set)  # markers sent again with a changed body
    conflicts_refused: int = 0
    conflict_answers: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    by_way: dict = field(default_factory=dict)  # way -> latencies (ms)
    events: Counter = field(default_factory=Counter)  # kills, restarts …
    reads: int = 0

    def attempt(self, way: str, answer: Answer, seconds: float) -> None:
        with self.lock:
            self.attempts += 1
            self.latencies.append(seconds * 1000)
            self.by_way.setdefault(way, []).append(seconds * 1000)
            if answer.status is None:
                self.errors[answer.error] += 1
            else:
                self.statuses[answer.status] += 1


def deliver(base, request: Request, tally: Tally, *, retry: bool, timeout: float) -> Answer:
    """Send until acknowledged (2xx), refused (4xx) or, with `retry`, GIVE_UP_SECONDS
    are over; retries wait Retry-After when given, else 0.2 s doubling to 2 s."""
    give_up = time.monotonic() + GIVE_UP_SECONDS
    delay = 0.2
    while True:
        t0 = time.monotonic()
        answer = send(base, request, timeout)
        tally.attempt(request.way, answer, time.monotonic() - t0)
        if succeeded(answer) or (answer.status is not None and answer.status < 500):
            return answer
        if not retry or time.monotonic() > give_up:
            return answer
        time.sleep(answer.retry_after if answer.retry_after is not None else delay)
        delay = min(delay * 2, 2.0)


def record(tally: Tally, request: Request, answers: list[Answer]) -> None:
    with tally.lock:
        refs = {a.ref for a in answers if succeeded(a)}
        if refs:
            tally.acked.setdefault(request.marker, set()).update(refs)
        else:
            tally.unanswered.add(request.marker)
            for a in answers:
                if a.status is not None and a.status < 500:
                    tally.refused[f"{a.status} {a.code}".strip()] += 1


# -- scenarios -------------------------------------------------------------------------------


def clients_run(base_of, world: World, tally: Tally, *, scenario: str, clients: int,
                seconds: float, mix: dict, retry: bool, timeout: float,
                same_key: bool = False) -> None:  # fmt: skip
    """`clients` threads, each sending the next request when the last is done, until
    `seconds` are over. `mix`: way -> share (reads included). `base_of()` is the server's
    URL now (a restarted server keeps its port)."""
    stop_at = time.monotonic() + seconds
    ways, weights = zip(*mix.items(), strict=True)

    def client(index: int) -> None:
        rng = random.Random(f"{scenario}-{index}")
        seq = 0
        while time.monotonic() < stop_at:
            way = rng.choices(ways, weights)[0]
            if way == "read":
                answer = deliver(base_of(), world.read(index, rng), tally, retry=False,
                                 timeout=timeout)  # fmt: skip
                with tally.lock:
                    tally.reads += 1
                    if answer.status is not None and answer.status >= 400:
                        tally.refused[f"read {answer.status}"] += 1
                continue
            seq += 1
            marker = f"fx-{scenario}-{index:02d}-{seq:05d}"
            key = f"{marker}-{rng.getrandbits(48):012x}"
            request = world.report(way, index, rng, marker, key)
            with tally.lock:
                tally.sent[way] += 1
            if not same_key:
                record(tally, request, [deliver(base_of(), request, tally, retry=retry,
                                                timeout=timeout)])  # fmt: skip
                continue
            # The same report twice at once (two connections), then once more.
            answers: list[Answer] = []
            twin = threading.Thread(
                target=lambda out, req: out.append(
                    deliver(base_of(), req, tally, retry=True, timeout=timeout)
                ),
                args=(answers, request),
            )
            twin.start()
            answers.append(deliver(base_of(), request, tally, retry=True, timeout=timeout))
            twin.join()
            answers.append(deliver(base_of(), request, tally, retry=True, timeout=timeout))
            record(tally, request, answers)
            if seq % 5 == 0 and any(succeeded(a) for a in answers):
                other = deliver(base_of(), changed(request), tally, retry=True, timeout=timeout)
                with tally.lock:
                    tally.conflicts_sent.add(marker)
                    tally.conflict_answers[f"{other.status} {other.code}".strip()] += 1
                    if other.status == 422 and other.code == "idempotency_conflict":
                        tally.conflicts_refused += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        # Clients arrive over about two seconds, not in the same millisecond: runserver
        # accepts connections from a queue of 10 and resets what overflows it.
        t.start()
        time.sleep(2.0 / clients)
    for t in threads:
        t.join()


def count_stored(db, tally: Tally) -> dict:
    """What the database holds of the reports sent, by marker, against the answers."""
    stored: Counter = Counter()
    changed_stored = 0
    for description in db.descriptions():
        match = MARKER.search(description or "")
        if match:
            stored[match.group(1)] += 1
            if "又补充了一句" in description:
                changed_stored += 1
    acked = tally.acked
    lat = sorted(tally.latencies)
    return {
        "sent": sum(tally.sent.values()),
        "sent_by_way": dict(tally.sent),
        "acknowledged": len(acked),
        "lost": sum(1 for m in acked if stored[m] == 0),
        "duplicated": sum(1 for m in set(acked) | tally.unanswered if stored[m] > 1),
        "unanswered": len(tally.unanswered),
        "unanswered_but_stored": sum(1 for m in tally.unanswered if stored[m] > 0),
        "disagreeing": sum(1 for refs in acked.values() if len(refs) > 1),
        "attempts": tally.attempts,
        "reads": tally.reads,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "http_5xx": sum(v for k, v in tally.statuses.items() if k >= 500),
        "connection_errors": dict(tally.errors),
        "refused": dict(tally.refused),
        "conflicts_sent": len(tally.conflicts_sent),
        "conflicts_refused_422": tally.conflicts_refused,
        "conflict_answers": dict(tally.conflict_answers),
        "changed_body_stored": changed_stored,
        "events": dict(tally.events),
        "latency_by_way_ms": {
            way: {q: round(percentile(sorted(v), n), 1) for q, n in (("p50", 50), ("p95", 95))}
            for way, v in sorted(tally.by_way.items())
        },
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "max_ms": round(lat[-1], 1) if lat else 0.0,
    }


def repeat_every(stop: threading.Event, first: float, every: tuple[float, float], rng, action):
    """Call `action()` after `first` seconds, then every U(every) seconds, until `stop`."""
    if stop.wait(first):
        return
    while True:
        action()
        if stop.wait(rng.uniform(*every)):
            return


@contextlib.contextmanager
def disrupting(target):
    """Run `target(stop_event)` on a thread for the block's length."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


MIX_WRITES = {"api": 5, "open311": 2, "resident": 3}
MIX_LOAD = {"api": 3, "resident": 2, "read": 5}


def scenario_load(db, world, env_dev, env_prod, args, server_kind: str) -> dict:
    tally = Tally()
    if server_kind == "runserver":
        server = start_runserver(env_dev)
    else:
        server = gunicorn_server(env_prod, workers=2, worker_class="gthread", threads=32)
    try:
        t0 = time.monotonic()
        clients_run(lambda: server.url, world, tally, scenario=f"load{server_kind[0]}",
                    clients=args.load_clients, seconds=args.seconds, mix=MIX_LOAD, retry=False,
                    timeout=60.0)  # fmt: skip
        elapsed = time.monotonic() - t0
        tail = server.log_tail() if any(k >= 500 for k in tally.statuses) else ""
    finally:
        stop_server(server)
    out = count_stored(db, tally)
    out.update(server=server_kind, clients=args.load_clients,
               requests_per_s=round(tally.attempts / elapsed, 1), server_log_tail=tail)  # fmt: skip
    return out


def scenario_kill(db, world, env_prod, args) -> dict:
    tally = Tally()
    server = gunicorn_server(env_prod, workers=4)
    rng = random.Random(9)

    def kill_workers(stop):
        def kill():
            pids = server.worker_pids()
            if pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    tally.events["workers killed"] += 1

        repeat_every(stop, 2.0, (2.0, 5.0), rng, kill)

    try:
        with disrupting(kill_workers):
            clients_run(lambda: server.url, world, tally, scenario="kill", clients=args.clients,
                        seconds=args.seconds, mix=MIX_WRITES, retry=True,
                        timeout=args.timeout)  # fmt: skip
    finally:
        stop_server(server)
    return count_stored(db, tally) | {"server": "gunicorn, 4 sync workers"}


def scenario_restart(db, world, env_prod, args) -> dict:
    tally = Tally()
    holder = {"server": gunicorn_server(env_prod, workers=4)}
    port = urllib.parse.urlsplit(holder["server"].url).port
    rng = random.Random(11)

    def restart_postgres():
        db.crash()
        tally.events["database crashed"] += 1
        time.sleep(3)
        db.start()

    def restart_sqlite_server():
        # SQLite lives in the app's processes: the whole server dies and starts again.
        server = holder["server"]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        tally.events["server killed (master and workers)"] += 1
        time.sleep(1)
        holder["server"] = gunicorn_server(env_prod, workers=4, port=port)

    def hold_write_lock():
        # Another process (a backup, a long job) holds the write lock past the busy timeout.
        with contextlib.closing(sqlite3.connect(db.path, timeout=60, isolation_level=None)) as c:
            c.execute("BEGIN IMMEDIATE")
            tally.events["write lock held 25 s"] += 1
            time.sleep(25)
            c.execute("ROLLBACK")

    def disrupt(stop):
        if db.kind == "postgres":
            repeat_every(stop, 8.0, (15.0, 15.0), rng, restart_postgres)
            return
        if stop.wait(6.0):
            return
        restart_sqlite_server()
        if stop.wait(4.0):
            return
        hold_write_lock()
        repeat_every(stop, 4.0, (15.0, 15.0), rng, restart_sqlite_server)

    try:
        with disrupting(disrupt):
            # Clients wait longer here (30 s) than the busy timeout (20 s), so that a
            # request stalled behind the held lock is answered (503) rather than timed out.
            clients_run(lambda: holder["server"].url, world, tally, scenario="restart",
                        clients=args.clients, seconds=max(args.seconds, 45), mix=MIX_WRITES,
                        retry=True, timeout=max(args.timeout, 30.0))  # fmt: skip
    finally:
        stop_server(holder["server"])
    kind = (
        "PostgreSQL stopped (immediate) and started"
        if db.kind == "postgres"
        else ("the server killed and started; a write lock held 25 s")
    )
    return count_stored(db, tally) | {"server": "gunicorn, 4 sync workers", "fault": kind}


def scenario_retry(db, world, env_prod, args) -> dict:
    tally = Tally()
    server = gunicorn_server(env_prod, workers=2, worker_class="gthread", threads=8)
    try:
        clients_run(lambda: server.url, world, tally, scenario="retry", clients=args.clients // 2,
                    seconds=args.seconds, mix=MIX_WRITES, retry=True, timeout=args.timeout,
                    same_key=True)  # fmt: skip
    finally:
        stop_server(server)
    return count_stored(db, tally) | {"server": "gunicorn, 2 gthread workers × 8"}


SCENARIOS = ["load", "kill", "restart", "retry"]


def run_database(kind: str, args) -> dict:
    var = ROOT / "var" / "bench" / "faults" / kind
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    db = Sqlite(var) if kind == "sqlite" else PrivatePostgres()
    keys = new_keys()
    env_dev = app_env(db, var, keys, production=False)
    env_prod = app_env(db, var, keys, production=True)
    results: dict = {}
    try:
        db.start()
        t0 = time.monotonic()
        manage(env_dev, "migrate", "--noinput", "-v", "0")
        manage(env_dev, "demo", "--small")
        proc = subprocess.run(
            [sys.executable, __file__, "--setup", "--residents", str(args.load_clients)],
            check=True, capture_output=True, text=True, cwd=ROOT, env=env_dev,
        )  # fmt: skip
        world = World(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"  {kind}: demo and set-up {time.monotonic() - t0:.0f} s", file=sys.stderr)
        for scenario in args.only:
            t0 = time.monotonic()
            if scenario == "load":
                for server_kind in args.servers:
                    r = scenario_load(db, world, env_dev, env_prod, args, server_kind)
                    results[f"load {server_kind}"] = r
                    print(f"  {kind} load {server_kind}: {line(r)}", file=sys.stderr)
                continue
            run = {"kill": scenario_kill, "restart": scenario_restart, "retry": scenario_retry}
            results[scenario] = run[scenario](db, world, env_prod, args)
            print(f"  {kind} {scenario} ({time.monotonic() - t0:.0f} s): "
                  f"{line(results[scenario])}", file=sys.stderr)  # fmt: skip
    finally:
        db.stop()
        if isinstance(db, PrivatePostgres):
            db.remove()
    return results


def line(r: dict) -> str:
    return (f"sent {r['sent']}, acknowledged {r['acknowledged']}, lost {r['lost']}, "
            f"duplicated {r['duplicated']}, 5xx {r['http_5xx']}")  # fmt: skip


# -- report ------------------------------------------------------------------------------------


def failures(results: dict) -> list[str]:
    bad = []
    for db, scenarios in results["databases"].items():
        for name, r in scenarios.items():
            where = f"{db} {name}"
            if r["lost"] or r["duplicated"]:
                bad.append(f"{where}: {r['lost']} lost, {r['duplicated']} duplicated")
            if r["disagreeing"]:
                bad.append(f"{where}: {r['disagreeing']} reports answered with different cases")
            if r["changed_body_stored"]:
                bad.append(f"{where}: {r['changed_body_stored']} changed bodies stored")
            if r["conflicts_sent"] != r["conflicts_refused_422"]:
                bad.append(f"{where}: changed bodies answered {r['conflict_answers']}")
            if name.startswith("load") and r["http_5xx"]:
                bad.append(f"{where}: {r['http_5xx']} answers 5xx")
    return bad


def report(results: dict) -> str:
    head = ("| database | scenario | sent | acknowledged | lost | duplicated | unanswered "
            "(stored) | attempts | 5xx | connection errors | faults |")  # fmt: skip
    out = [head, "|" + "---|" * 11]
    for db, scenarios in results["databases"].items():
        for name, r in scenarios.items():
            errors = sum(r["connection_errors"].values())
            faults = ", ".join(f"{k} {v}" for k, v in r["events"].items()) or "—"
            out.append(
                f"| {db} | {name} | {r['sent']:,} | {r['acknowledged']:,} | {r['lost']} | "
                f"{r['duplicated']} | {r['unanswered']} ({r['unanswered_but_stored']}) | "
                f"{r['attempts']:,} | {r['http_5xx']} | {errors} | {faults} |"
            )
    out.append("")
    for db, scenarios in results["databases"].items():
        for name, r in scenarios.items():
            extra = ""
            if name.startswith("load"):
                extra = (f"{r['requests_per_s']} req/s with {r['clients']} clients, "
                         f"{r['reads']:,} reads; ")  # fmt: skip
            if r["conflicts_sent"]:
                extra += f"changed bodies: {r['conflict_answers']}; "
            out.append(
                f"{db} {name}: {extra}statuses {r['statuses']}; connection errors "
                f"{r['connection_errors'] or 0}; refused {r['refused'] or 0}; latency p50 "
                f"{r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms; by way (p50/p95) "
                + ", ".join(f"{w} {v['p50']}/{v['p95']}" for w, v in r["latency_by_way_ms"].items())
            )
            if r.get("server_log_tail"):
                out.append("  server log tail:\n" + r["server_log_tail"])
    bad = failures(results)
    out.append("")
    out.append("verdict: " + ("FAILED\n  " + "\n  ".join(bad) if bad else "held (nothing lost "
               "or duplicated, no 5xx under load, every changed body refused)"))  # fmt: skip
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=",".join(SCENARIOS))
    parser.add_argument("--servers", default="runserver,gunicorn", help="for the load scenario")
    parser.add_argument("--seconds", type=float, default=40.0, help="per scenario")
    parser.add_argument("--clients", type=int, default=32, help="fault scenarios")
    parser.add_argument("--load-clients", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10.0, help="a retrying client's")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--residents", type=int, default=64, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(setup_world(args.residents)))
        return 0
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    if set(args.only) - set(SCENARIOS) or set(dbs) - {"sqlite", "postgres"}:
        raise SystemExit(f"--only: {SCENARIOS}; --db: sqlite, postgres")
    t0 = time.monotonic()
    results = {"databases": {db: run_database(db, args) for db in dbs}}
    results["minutes"] = round((time.monotonic() - t0) / 60, 1)
    print(report(results))
    print(f"(the run took {results['minutes']} min)")
    if args.json:
        print(json.dumps(results, default=str))
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
