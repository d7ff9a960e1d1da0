# ruff: noqa: E501  (the page scripts and report lines read better unbroken)
"""Benchmark: the grid worker's day offline (外勤, web/static/js/field.js), in Debian's
chromium with the app's own service worker and queue.

    .venv/bin/python bench/field_sync.py [--items 200] [--photos 100] [--mbit 1]

A private SQLite database (a temporary folder) with the small demo district, the app under
runserver on a free port, and a phone-sized browser signed in as the demo's grid worker on
/field/. Offline, --items reports are queued through the page's own code (--photos of them
with one photo: a noisy 1000 × 750 picture the page itself makes smaller, about 300 KB),
then the link comes back throttled to --mbit Mbit/s up and down (Chrome's network
emulation, 40 ms latency) and the page sends its queue. Measured:

- the time from "online" to an empty queue, against the time the photos alone take
  through that link (the baseline: what the link costs, whatever the app does);
- every item stored once (counted in the database afterwards);
- an 8-hour patrol's track on the phone (a fix every 15 s, 1,920 points, queued in parts
  of 50 as the page does): the bytes IndexedDB grew by (navigator.storage.estimate).

Importable: run(...) returns the measurements.
"""

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine  # noqa: E402
from httpload import free_port  # noqa: E402


def _noise_jpeg() -> bytes:
    from PIL import Image

    rng = random.Random(7)
    img = Image.frombytes(
        "RGB", (1000, 750), bytes(rng.getrandbits(8) for _ in range(1000 * 750 * 3))
    )
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _server(folder: Path) -> tuple[subprocess.Popen, str, dict]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'gongzhi.sqlite3'}",
        "GONGZHI_VAR_DIR": str(folder),
        "DEBUG": "0",
        "GONGZHI_INPROCESS_JOBS": "0",
    }
    py = str(ROOT / ".venv" / "bin" / "python")
    manage = str(ROOT / "manage.py")
    subprocess.run([py, manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [py, manage, "demo", "--small"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    port = free_port()
    server = subprocess.Popen(
        [py, manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        env={**env, "DEBUG": "1"},  # runserver serves the static files in DEBUG
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://localhost:{port}"
    for _ in range(100):
        try:
            import urllib.request

            urllib.request.urlopen(base + "/login/", timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    return server, base, env


def _count(env: dict, sql: str) -> int:
    import sqlite3

    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchone()[0]


def run(items: int = 200, photos: int = 100, mbit: float = 1.0) -> dict:
    from playwright.sync_api import sync_playwright

    jpeg = _noise_jpeg()
    with tempfile.TemporaryDirectory() as tmp:
        server, base, env = _server(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                context = browser.new_context(
                    viewport={"width": 390, "height": 844},
                    locale="zh-CN",
                    geolocation={"latitude": 39.9042, "longitude": 116.4074},
                    permissions=["geolocation"],
                )
                context.add_init_script("window.GZ_FIELD_TEST = {};")
                page = context.new_page()
                page.goto(base + "/login/")
                page.fill("input[name=username]", "wangge01")
                page.fill("input[name=password]", "gongzhi2026")
                page.click("form button[type=submit]")
                page.wait_for_load_state("load")
                page.goto(base + "/field/")
                for _ in range(100):
                    if page.evaluate("navigator.serviceWorker.controller !== null"):
                        break
                    page.wait_for_timeout(100)
                grid = int(page.eval_on_selector("#f-grid option:nth-child(2)", "o => o.value"))
                category = int(page.eval_on_selector("#f-category optgroup option", "o => o.value"))
                before_cases = _count(env, "SELECT COUNT(*) FROM cases_case")
                context.set_offline(True)
                started = time.monotonic()
                page.evaluate(
                    """async ([n, withPhotos, grid, category, bytes]) => {
                        const original = new Blob([new Uint8Array(bytes)], {type: "image/jpeg"});
                        for (let i = 0; i < n; i++) {
                            const photos = i < withPhotos ? [await window.gzFieldQueue.shrink(original)] : [];
                            await window.gzFieldQueue.enqueue("case", {category_id: category, grid_id: grid,
                                description: "地下室巡查发现 " + i, observed_at: new Date().toISOString()}, {photos});
                        }
                    }""",
                    [items, photos, grid, category, list(jpeg)],
                )
                queued_s = time.monotonic() - started
                sizes = page.evaluate(
                    """() => window.gzFieldQueue.items().then(all => all.map(i =>
                        i.photos.reduce((s, p) => s + p.size, 0)))"""
                )
                photo_bytes = sum(sizes)
                cdp = context.new_cdp_session(page)
                rate = mbit * 1_000_000 / 8
                cdp.send("Network.enable")
                context.set_offline(False)
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": 40,
                        "downloadThroughput": rate,
                        "uploadThroughput": rate,
                    },
                )
                sent_bytes = [0]
                page.on(
                    "request",
                    lambda r: sent_bytes.__setitem__(
                        0, sent_bytes[0] + len(r.post_data_buffer or b"")
                    ),
                )
                started = time.monotonic()
                for _ in range(50):
                    page.evaluate("window.gzFieldSync()")
                    if page.inner_text("#f-waiting") == "0":
                        break
                synced_s = time.monotonic() - started
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": 0,
                        "downloadThroughput": -1,
                        "uploadThroughput": -1,
                    },
                )
                stored = _count(env, "SELECT COUNT(*) FROM cases_case") - before_cases
                distinct = _count(
                    env,
                    "SELECT COUNT(DISTINCT description) FROM cases_case WHERE description LIKE '地下室巡查发现 %'",
                )
                # An 8-hour patrol: 1,920 fixes, in parts of 50 as the page queues them.
                usage0 = page.evaluate("navigator.storage.estimate().then(e => e.usage)")
                context.set_offline(True)
                page.evaluate(
                    """async () => {
                        const t0 = Date.now() / 1000 - 8 * 3600;
                        let part = [];
                        for (let i = 0; i < 1920; i++) {
                            part.push([Math.round((t0 + i * 15) * 10) / 10,
                                       Math.round((116.4 + i * 1e-4) * 1e6) / 1e6, 39.904321]);
                            if (part.length === 50) {
                                await window.gzFieldQueue.enqueue("patrol.track", {points: part}, {parent: "bench"});
                                part = [];
                            }
                        }
                        if (part.length) await window.gzFieldQueue.enqueue("patrol.track", {points: part}, {parent: "bench"});
                    }"""
                )
                usage1 = page.evaluate("navigator.storage.estimate().then(e => e.usage)")
                browser.close()
        finally:
            server.terminate()
            server.wait()
    # The baseline: the photos alone through the same link (the forms' text is a few hundred
    # bytes an item; the browser does not show a multipart body's size to the test).
    bare_s = photo_bytes / rate
    return {
        "items": items,
        "photos": photos,
        "mbit": mbit,
        "photo_kb_mean": round(photo_bytes / max(photos, 1) / 1024),
        "queued_s": round(queued_s, 1),
        "sync_s": round(synced_s, 1),
        "photos_mb": round(photo_bytes / 1e6, 1),
        "bare_transfer_s": round(bare_s, 1),
        "ratio": round(synced_s / bare_s, 2) if bare_s else None,
        "stored": stored,
        "distinct": distinct,
        "track_8h_kb": round((usage1 - usage0) / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--mbit", type=float, default=1.0)
    args = parser.parse_args(argv)
    print(machine())
    result = run(args.items, args.photos, args.mbit)
    print(json.dumps(result, ensure_ascii=False))
    print(
        f"{result['items']} items ({result['photos']} with a photo of {result['photo_kb_mean']} KB) "
        f"sent in {result['sync_s']} s over {result['mbit']} Mbit/s; the photos alone ({result['photos_mb']} MB) "
        f"take {result['bare_transfer_s']} s through that link (×{result['ratio']}); "
        f"stored {result['stored']} ({result['distinct']} distinct); an 8-hour track "
        f"takes {result['track_8h_kb']} KB on the phone"
    )
    return 0 if result["stored"] == result["items"] == result["distinct"] else 1


if __name__ == "__main__":
    sys.exit(main())
