"""HTTP load pieces shared by the benchmarks: a gunicorn server, a closed-loop load of N
clients for a fixed time, a process's RSS and CPU.

    with gunicorn("gongzhi.wsgi:application", python=sys.executable, env=env, cwd=ROOT) as srv:
        with CpuMeter(srv.worker_pids) as cpu:
            result = run_load(make_request, base_url=srv.url, clients=32, seconds=60)

`make_request(client_index, rng)` returns (method, path_or_url, headers, body, ok_statuses);
each client is a thread with its own keep-alive connection that sends its next request
as soon as the answer is in (closed loop), so requests/s is what the server sustains
with that many requests in flight. gunicorn's sync workers close the connection after
every answer, so against them each request opens a new one (part of its latency).
Latency counts from sending to the whole body read. Plain stdlib: nothing here is a
dependency of the project.
"""

import contextlib
import http.client
import os
import random
import resource
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MakeRequest = Callable[[int, random.Random], tuple[str, str, dict, bytes | None, set[int]]]
ERROR_EXAMPLES = 3  # bodies kept per kind of error
TIMEOUT = 60.0  # seconds a request may take before it counts as an error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """Resident set size of a process in kB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by a changing set of processes over a window: `pids()` is
    sampled every `interval` seconds on a thread; a process there at the start counts
    from then, one that appears later from zero, one that exits keeps its last sample.
    So the server's workers and the database backends serving it (which come and go)
    can be charged for the requests of the window."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.5):
        self.pids, self.interval = pids, interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, start: bool = False) -> None:
        for pid in self.pids():
            try:
                used = cpu_seconds(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue
            self.first.setdefault(pid, used if start else 0.0)
            self.last[pid] = used

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._sample(start=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


class Server:
    """A running gunicorn: its base URL and processes."""

    def __init__(self, url: str, process: subprocess.Popen, log_path: Path):
        self.url = url
        self.master_pid = process.pid
        self.process = process
        self.log_path = log_path

    def worker_pids(self) -> list[int]:
        """The master's children (its workers), from /proc."""
        pids = []
        for task in Path(f"/proc/{self.master_pid}/task").iterdir():
            children = (task / "children").read_text().split()
            pids += [int(p) for p in children]
        return sorted(pids)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _answers(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def start_gunicorn(
    argv_app: str,
    *,
    python: str,
    env: dict,
    cwd: str,
    workers: int | None = None,
    port: int | None = None,
    worker_class: str = "sync",
    threads: int = 1,
    log: Path | None = None,
    startup_seconds: float = 60.0,
) -> Server:
    """Start `<python> -m gunicorn argv_app` on 127.0.0.1 in a session of its own and
    return the Server once it answers HTTP (`stop_server` ends it). `worker_class` sync
    (one request at a time a worker) or gthread with `threads` a worker. Its output is
    appended to `log` (a temp file by default)."""
    workers = workers or os.cpu_count() or 1
    port = port or free_port()
    log = log or Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
    argv = [python, "-m", "gunicorn", argv_app, "--workers", str(workers)]
    argv += ["--worker-class", worker_class, "--bind", f"127.0.0.1:{port}", "--timeout", "120"]
    if worker_class == "gthread":
        argv += ["--threads", str(threads)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + startup_seconds
    while not _answers(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(
                f"gunicorn {argv_app} did not start (exit {process.poll()}); "
                f"log {log}:\n{server.log_tail()}"
            )
        time.sleep(0.2)
    return server


def stop_server(server: Server) -> None:
    """SIGTERM, then SIGKILL after 30 s."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def gunicorn(argv_app: str, **options):
    """Serve `argv_app` under gunicorn (start_gunicorn: sync workers, one per core by
    default); yields the Server, stops it (SIGTERM, wait) on exit.

    The server's output goes to a log file; its tail is printed when it fails to start or
    when the block raises."""
    server = start_gunicorn(argv_app, **options)
    ok = False
    try:
        yield server
        ok = True
    finally:
        stop_server(server)
        if not ok:
            print(f"--- gunicorn log tail ({server.log_path}) ---\n{server.log_tail()}", flush=True)
        else:
            server.log_path.unlink(missing_ok=True)


@dataclass
class LoadResult:
    """What a load run measured: requests after the warmup, by outcome, and latency."""

    clients: int
    seconds: float
    count: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_kinds: Counter = field(default_factory=Counter)
    error_examples: dict = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    all_statuses: Counter = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    latencies_ms: list = field(default_factory=list, repr=False)

    def summary(self) -> dict:
        """The numbers as a JSON-friendly dict (without the raw latencies)."""
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "count": self.count,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "errors": self.errors,
            "error_kinds": dict(self.error_kinds),
            "error_examples": self.error_examples,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
            "all_statuses": {str(k): v for k, v in sorted(self.all_statuses.items(), key=str)},
            "client_cpu_s": round(self.client_cpu_s, 2),
        }


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method; 0.0 for no values."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


class _Client:
    """One keep-alive connection per origin, reopened when the server closes it."""

    def __init__(self, base_url: str | None):
        self.base = urllib.parse.urlsplit(base_url or "")
        self.conns: dict[tuple[str, int], http.client.HTTPConnection] = {}

    def send(self, method: str, target: str, headers: dict, body: bytes | None):
        parts = urllib.parse.urlsplit(target)
        origin = parts if parts.hostname else self.base
        if not origin.hostname:
            raise ValueError(f"{target!r} is a path and run_load was given no base_url")
        host, port = origin.hostname, origin.port or 80
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        key = (host, port)
        while True:
            conn = self.conns.get(key)
            reused = conn is not None
            if conn is None:
                conn = self.conns[key] = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                del self.conns[key]
                # A kept-alive connection the server had closed: the request never got
                # there, so it is sent again on a fresh one. On a fresh one it is an error.
                if reused:
                    continue
                raise
            if response.will_close:
                conn.close()
                del self.conns[key]
            return response.status, data

    def close(self):
        for conn in self.conns.values():
            conn.close()


def run_load(
    make_request: MakeRequest,
    *,
    base_url: str | None = None,
    clients: int = 32,
    seconds: float = 60.0,
    warmup: float = 5.0,
    seed: int = 1,
) -> LoadResult:
    """`clients` threads send requests back to back for `warmup` + `seconds`; the requests
    that start after the warmup and finish before the end are counted (all_statuses
    counts every answer of the whole run, warmup and the last ones included). A target that is
    a path goes to `base_url` (e.g. Server.url); a full URL goes where it says.

    A request is an error when its status is not in its ok_statuses, or it raised
    (counted by exception type). CPU seconds of this process over the measured window
    are reported as client_cpu_s: when it nears seconds x cores, the client, not the
    server, is the limit."""
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    all_statuses: Counter = Counter()
    error_kinds: Counter = Counter()
    examples: dict[str, list[str]] = {}
    cpu_marks: dict[str, float] = {}

    def cpu_now() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def record_error(kind: str, text: str) -> None:
        error_kinds[kind] += 1
        kept = examples.setdefault(kind, [])
        if len(kept) < ERROR_EXAMPLES:
            kept.append(text[:500])

    def client(index: int) -> None:
        rng = random.Random(seed * 100_003 + index)
        http_client = _Client(base_url)
        mine: list[float] = []
        try:
            while True:
                method, target, headers, body, ok = make_request(index, rng)
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    break
                try:
                    status, data = http_client.send(method, target, headers, body)
                    failure = None if status in ok else (f"http {status}", data)
                except Exception as exc:
                    status, failure = None, (type(exc).__name__, str(exc).encode())
                t1 = time.perf_counter()
                if t0 < measure_from or t1 > stop_at:
                    with lock:
                        all_statuses[status] += 1
                    continue
                mine.append((t1 - t0) * 1000)
                with lock:
                    statuses[status] += 1
                    all_statuses[status] += 1
                    if failure:
                        record_error(failure[0], failure[1].decode("utf-8", "replace"))
        finally:
            http_client.close()
            with lock:
                latencies.extend(mine)

    def mark_cpu() -> None:
        time.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu_marks["start"] = cpu_now()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    marker = threading.Thread(target=mark_cpu, daemon=True)
    marker.start()
    for t in threads:
        t.start()
    marker.join()
    for t in threads:
        t.join()
    cpu = cpu_now() - cpu_marks["start"]
    latencies.sort()
    count = len(latencies)
    return LoadResult(
        clients=clients,
        seconds=seconds,
        count=count,
        rps=count / seconds if seconds else 0.0,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else 0.0,
        errors=sum(error_kinds.values()),
        error_kinds=error_kinds,
        error_examples=examples,
        statuses=statuses,
        all_statuses=all_statuses,
        client_cpu_s=cpu,
        latencies_ms=latencies,
    )
