"""The soak's traffic: one closed-loop client a thread, walking cases through the whole
case loop as each role does it, with the reads each role makes in between.

Every client owns its cases (its own grid, its own resident phone), so no two clients
ever act on the same case: every request has one expected status (201 for a report,
200 for an API action, 302 for a form post that redirects to the result page) and any
other answer is an error. Three loops, in turn:

- department (JSON API, Bearer tokens): the grid worker reports (every fourth with a
  photo) → the subdistrict operator dispatches to a department → the department handler
  accepts → the district leader supervises (every third) → the handler reports it
  handled → the operator verifies (every tenth sent back once and handled again) → the
  operator records the callback;
- community (pages, sessions): a resident reports on /my/report/ → the district operator
  dispatches to the community (API) → the community worker accepts and handles on the
  case page (form posts) → the district operator verifies → the resident rates it on
  /my/reports/<id>/rate/ (and adds information while it is open, every third);
- self-handled (API): the grid worker reports and handles on the spot → the community
  worker verifies.

A case that the repeat rule sends to a leader (needs_leader_visit) gets the district
leader's on-site visit before it is verified, as the workflow asks.
"""

import datetime as dt
import http.client
import io
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

API = "/api/v1"
VERSION_FIELD = re.compile(rb'name="version" value="(\d+)"')
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
MY_CASE = re.compile(r"/my/reports/(\d+)/")
CHINA = dt.timezone(dt.timedelta(hours=8))  # the app's local dates (Asia/Shanghai)


class FlowError(Exception):
    """A request answered with a status it was not expected to: the loop is abandoned."""


class Stopped(Exception):
    """The soak's time is up: the client stops before its next request."""


@dataclass
class Persona:
    """Who one client is: the accounts of every role around its own grid."""

    grid_id: int
    grid_code: str
    community_id: int
    department_id: int
    tokens: dict[str, str]  # role -> raw API token
    logins: dict[str, str]  # role -> username, for the pages
    password: str
    resident_session: str  # a session holding the verified phone
    points: list[tuple[float, float]]  # (lng, lat) inside the grid
    categories: list[int]  # active categories
    public_categories: list[int]  # those a resident may choose
    photo: bytes


@dataclass
class Stats:
    """What every client measured: (kind, method, start second, seconds) per request,
    and the errors by kind."""

    t0: float = field(default_factory=time.monotonic)
    stop_at: float = float("inf")
    samples: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)  # kind -> count
    error_examples: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, method: str, start: float, seconds: float) -> None:
        self.samples.append((kind, method, start - self.t0, seconds))

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_examples) < 20:
                self.error_examples.append(f"{kind}: {detail[:300]}")


class Response:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Session:
    """One browser or API client: its cookies, or its bearer token."""

    def __init__(self, base: str, stats: Stats, *, token: str = "", cookies=None):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.stats = stats
        self.token = token
        self.cookies: dict[str, str] = dict(cookies or {})

    def request(self, kind, method, path, *, body=b"", content_type="", expect=200, headers=None):
        head = {"Host": f"{self.host}:{self.port}", "Connection": "close", **(headers or {})}
        if self.token:
            head["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            head["Content-Type"] = content_type
        if method == "POST" and "csrftoken" in self.cookies:
            head["X-CSRFToken"] = self.cookies["csrftoken"]
            head["Referer"] = f"http://{self.host}:{self.port}{path}"
        start = time.monotonic()
        if start >= self.stats.stop_at:
            raise Stopped
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                conn.request(method, path, body=body or None, headers=head)
                resp = conn.getresponse()
                data = resp.read()
                status, msg = resp.status, resp.msg
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.stats.record(kind, method, start, time.monotonic() - start)
            self.stats.error(kind, f"{method} {path}: {exc!r}")
            raise FlowError(kind) from exc
        self.stats.record(kind, method, start, time.monotonic() - start)
        for cookie in msg.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and value != '""':
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if status != expect:
            self.stats.error(kind, f"{method} {path} -> {status}: {data[:200]!r}")
            raise FlowError(kind)
        return Response(status, {k.lower(): v for k, v in msg.items()}, data)

    def get(self, kind, path, expect=200):
        return self.request(kind, "GET", path, expect=expect)

    def post_json(self, kind, path, payload, expect=200, headers=None):
        return self.request(
            kind,
            "POST",
            path,
            body=json.dumps(payload).encode(),
            content_type="application/json",
            expect=expect,
            headers=headers,
        )

    def post_form(self, kind, path, fields, expect=302):
        fields = dict(fields)
        if "csrftoken" in self.cookies:
            fields["csrfmiddlewaretoken"] = self.cookies["csrftoken"]
        return self.request(
            kind,
            "POST",
            path,
            body=urlencode(fields).encode(),
            content_type="application/x-www-form-urlencoded",
            expect=expect,
        )

    def post_multipart(self, kind, path, fields, files=(), expect=200, headers=None):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in fields.items():
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            )
            out.write(f"{value}\r\n".encode())
        for name, filename, data in files:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            )
            out.write(data + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request(
            kind,
            "POST",
            path,
            body=out.getvalue(),
            content_type=f"multipart/form-data; boundary={boundary}",
            expect=expect,
            headers=headers,
        )


def login(base: str, stats: Stats, username: str, password: str) -> Session:
    """Sign in through /login/ as a person does: the form, its CSRF token, the redirect."""
    s = Session(base, stats)
    page = s.get("page.login_form", "/login/")
    match = CSRF_FIELD.search(page.body)
    fields = {"username": username, "password": password}
    if match:
        fields["csrfmiddlewaretoken"] = match.group(1).decode()
    s.request(
        "page.login",
        "POST",
        "/login/",
        body=urlencode(fields).encode(),
        content_type="application/x-www-form-urlencoded",
        expect=302,
    )
    return s


class Client:
    """One closed-loop client: the three loops in turn until `stop_at`."""

    def __init__(self, index: int, base: str, persona: Persona, stats: Stats, seed: int):
        self.base, self.p, self.stats = base, persona, stats
        self.rng = random.Random(seed * 1000 + index)
        self.api = {role: Session(base, stats, token=t) for role, t in persona.tokens.items()}
        self.pages: dict[str, Session] = {}
        self.resident = Session(base, stats, cookies={"sessionid": persona.resident_session})
        self.loops = 0
        self.last_case = 0

    # -- the reads each role makes between its writes ------------------------------------

    def browse(self, role: str) -> None:
        """One read of the role's everyday set, at random."""
        api, page, case = self.api.get(role), self.pages.get(role), self.last_case
        today = dt.datetime.now(CHINA).date()
        start = today - dt.timedelta(days=30)
        period = f"unit={self.p.grid_code[:6]}&start={start}&end={today}"
        sub_period = f"unit={self.p.grid_code[:9]}&start={start}&end={today}"
        menus = {
            "gw": [
                lambda: page.get("page.home", "/"),
                lambda: page.get("page.cases", "/cases/"),
                lambda: page.get("page.case_new", "/cases/new/"),
                lambda: api.get("api.queues", f"{API}/cases/queues"),
                lambda: api.get("api.list", f"{API}/cases?queue=mine&limit=20"),
            ],
            "op_s": [
                lambda: page.get("page.cases", "/cases/"),
                lambda: page.get("page.case", f"/cases/{case}/"),
                lambda: page.get("page.command", "/command/"),
                lambda: api.get("api.queues", f"{API}/cases/queues"),
                lambda: api.get("api.list", f"{API}/cases?queue=new&limit=50"),
                lambda: api.get("api.list", f"{API}/cases?queue=overdue&limit=50"),
                lambda: api.get("api.kpis_by_child", f"{API}/kpis/by-child?{sub_period}"),
            ],
            "cw": [
                lambda: page.get("page.cases", "/cases/"),
                lambda: page.get("page.case", f"/cases/{case}/"),
                lambda: api.get("api.list", f"{API}/cases?queue=to_accept&limit=20"),
            ],
            "dh": [
                lambda: api.get("api.list", f"{API}/cases?queue=handling&limit=20"),
                lambda: api.get("api.detail", f"{API}/cases/{case}"),
                lambda: api.get("api.notifications", f"{API}/notifications?limit=20"),
            ],
            "leader": [
                lambda: page.get("page.command", "/command/"),
                lambda: page.get("page.command_cases", f"/command/cases/?{period}&metric=received"),
                lambda: api.get("api.kpis", f"{API}/kpis?{period}"),
                lambda: api.get("api.list", f"{API}/cases?queue=supervised&limit=20"),
            ],
            "op_d": [
                lambda: api.get("api.queues", f"{API}/cases/queues"),
                lambda: api.get("api.list", f"{API}/cases?queue=to_verify&limit=50"),
            ],
            "admin": [
                lambda: api.get("api.me", f"{API}/me"),
                lambda: api.get("api.list", f"{API}/cases?queue=all&limit=50"),
                lambda: api.get("api.units", f"{API}/orgs/units?limit=50"),
            ],
            "resident": [
                lambda: self.resident.get("page.my_home", "/my/"),
                lambda: self.resident.get("page.my_reports", "/my/reports/"),
            ],
        }
        self.rng.choice(menus[role])()

    def reads(self, *roles: str) -> None:
        for role in roles:
            for _ in range(self.rng.randint(1, 2)):
                self.browse(role)

    # -- helpers --------------------------------------------------------------------------

    def case_text(self) -> dict:
        n = self.rng.randrange(10**6)
        return {
            "title": f"巡查发现问题 {self.p.grid_code[-6:]}-{n}",
            "description": f"网格巡查时发现，编号 {n}，请尽快处理。",
            "address": f"第{self.rng.randint(1, 300)}号附近",
        }

    def act(self, role, case: dict, action: str, payload: dict) -> dict:
        path = f"{API}/cases/{case['id']}/{action}"
        payload = {"version": case["version"], **payload}
        return self.api[role].post_json(f"api.{action}", path, payload).json()

    def leader_visit_if_needed(self, case: dict) -> dict:
        if case["needs_leader_visit"] and not case["leader_visited_at"]:
            case = self.act(
                "leader", case, "leader-visit", {"note": "领导到现场查看，已部署处置。"}
            )
        return case

    def handle(self, case: dict, result: str) -> dict:
        path = f"{API}/cases/{case['id']}/handle"
        fields = {"version": case["version"], "result": result}
        return self.api["dh"].post_multipart("api.handle", path, fields).json()

    # -- the loops --------------------------------------------------------------------------

    def department_loop(self) -> None:
        gw = self.api["gw"]
        report = {
            "category_id": self.rng.choice(self.p.categories),
            "grid_id": self.p.grid_id,
            "urgency": "normal",
            **self.case_text(),
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}
        if self.loops // 3 % 4 == 0:
            photo = [("photos", "scene.jpg", self.p.photo)]
            case = gw.post_multipart(
                "api.report_photo", f"{API}/cases/with-photos", report, photo, 201, key
            ).json()
        else:
            case = gw.post_json("api.report", f"{API}/cases", report, 201, key).json()
        self.last_case = case["id"]
        self.reads("gw")
        if case["events"] and case["events"][0]["attachments"]:
            gw.get("api.photo_thumb", case["events"][0]["attachments"][0]["thumb_url"])
        self.reads("op_s")
        case = self.act(
            "op_s",
            case,
            "dispatch",
            {"department_id": self.p.department_id, "note": "请签收办理。"},
        )
        self.reads("dh")
        case = self.act("dh", case, "accept", {"note": "已签收。"})
        if self.loops // 3 % 3 == 0:
            case = self.act("leader", case, "supervise", {"level": 1, "note": "请加快办理。"})
            self.reads("leader")
        case = self.handle(case, "已到现场处置完毕。")
        self.reads("op_s")
        case = self.leader_visit_if_needed(case)
        if self.loops // 3 % 10 == 0:
            case = self.act("op_s", case, "verify", {"passed": False, "note": "现场仍有问题。"})
            case = self.handle(case, "已返工处置完毕。")
        case = self.act("op_s", case, "verify", {"passed": True, "note": "核查通过。"})
        self.act("op_s", case, "callback", {"solved": True, "rating": "satisfied"})

    def community_loop(self) -> None:
        res = self.resident
        res.get("page.my_report_form", "/my/report/")
        lng, lat = self.rng.choice(self.p.points)
        form = {
            "category_id": self.rng.choice(self.p.public_categories),
            "description": self.case_text()["description"],
            "name": "",
            "lng": f"{lng:.6f}",
            "lat": f"{lat:.6f}",
            "crs": "wgs84",
            "address": self.case_text()["address"],
            "idempotency_key": uuid.uuid4().hex,
        }
        made = res.post_form("page.my_report", "/my/report/", form)
        match = MY_CASE.search(made.headers.get("location", ""))
        if not match:
            self.stats.error("page.my_report", f"no case in {made.headers.get('location')!r}")
            raise FlowError("page.my_report")
        case_id = int(match.group(1))
        self.last_case = case_id
        res.get("page.my_report_detail", f"/my/reports/{case_id}/")
        self.reads("op_d")
        case = self.api["op_d"].get("api.detail", f"{API}/cases/{case_id}").json()
        case = self.act(
            "op_d", case, "dispatch", {"unit_id": self.p.community_id, "note": "请社区办理。"}
        )
        if self.loops // 3 % 3 == 0:
            res.post_form(
                "page.my_add_info", f"/my/reports/{case_id}/info/", {"note": "补充：晚上更明显。"}
            )
        cw = self.pages["cw"]
        for action, fields in (
            ("accept", {"note": "社区已签收。"}),
            ("handle", {"result": "社区已处置。"}),
        ):
            page = cw.get("page.case", f"/cases/{case_id}/")
            version = VERSION_FIELD.search(page.body)
            if not version:
                self.stats.error("page.case", f"no version field on /cases/{case_id}/")
                raise FlowError("page.case")
            fields = {"version": version.group(1).decode(), **fields}
            cw.post_form(f"page.act_{action}", f"/cases/{case_id}/act/{action}/", fields)
        self.reads("cw")
        case = self.api["op_d"].get("api.detail", f"{API}/cases/{case_id}").json()
        case = self.leader_visit_if_needed(case)
        self.act("op_d", case, "verify", {"passed": True, "note": "核查通过。"})
        res.get("page.my_report_detail", f"/my/reports/{case_id}/")
        rating = {"solved": "yes", "rating": self.rng.choice(["satisfied", "basically"])}
        res.post_form("page.my_rate", f"/my/reports/{case_id}/rate/", {**rating, "note": ""})
        self.reads("resident")

    def self_handled_loop(self) -> None:
        report = {
            "category_id": self.rng.choice(self.p.categories),
            "grid_id": self.p.grid_id,
            "self_handle": True,
            "result": "当场劝导，已整改。",
            **self.case_text(),
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}
        case = self.api["gw"].post_json("api.report_self", f"{API}/cases", report, 201, key).json()
        self.last_case = case["id"]
        self.reads("cw", "admin")
        case = self.leader_visit_if_needed(case)
        self.act("cw", case, "verify", {"passed": True, "note": "已核实。"})

    def run(self) -> None:
        """Sign in, then the loops in turn until the stats' stop_at. A failed request is
        counted (in Stats) and ends only the loop it was part of."""
        loops = (self.department_loop, self.community_loop, self.self_handled_loop)
        try:
            for role in ("gw", "cw", "op_s", "leader"):
                self.pages[role] = login(
                    self.base, self.stats, self.p.logins[role], self.p.password
                )
            while True:
                try:
                    loops[self.loops % len(loops)]()
                except FlowError:
                    time.sleep(0.5)
                self.loops += 1
        except (Stopped, FlowError):
            return
