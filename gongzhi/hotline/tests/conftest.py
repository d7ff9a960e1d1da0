"""12345 exchange fixtures: a shared secret, signed posts, and a local webhook receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from huey.contrib.djhuey import HUEY

from gongzhi.hotline import signing

SECRET = "test-hotline-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _hotline_settings(settings, tmp_path):
    settings.HOTLINE_SHARED_SECRET = SECRET
    settings.HOTLINE_WEBHOOK_URL = ""
    settings.HOTLINE_MAX_SKEW_SECONDS = 300
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _jobs_run_immediately():
    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


def order_data(**overrides):
    data = {
        "order_no": "GD20261122000123",
        "title": "小区路灯不亮",
        "content": "桂园小区3号楼前路灯连续一周不亮，夜间出行不便",
        "category": "供电",
        "address": "桂园小区3号楼",
        "grid_code": "990101001001001",
        "contact_name": "王女士",
        "contact_phone": "13912345678",
        "deadline": "2026-11-25T18:00:00+08:00",
        "accepted_at": "2026-11-22T09:15:00+08:00",
    }
    data.update(overrides)
    return data


@pytest.fixture
def push(client):
    """push(data or raw bytes, secret=…, timestamp=…, nonce=…) → the response."""

    def _push(data=None, *, secret=SECRET, timestamp=None, nonce=None, headers=None, body=None):
        if body is None:
            body = json.dumps(order_data() if data is None else data, ensure_ascii=False).encode()
        signed = signing.signed_headers(secret, body, timestamp=timestamp, nonce=nonce)
        if headers is not None:
            signed = headers
        return client.post(
            "/hotline/orders", data=body, content_type="application/json", headers=signed
        )

    return _push


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        server = self.server
        server.received.append(SimpleNamespace(headers=dict(self.headers), body=body))
        status = server.statuses.pop(0) if server.statuses else server.default_status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    """A webhook receiver on 127.0.0.1 (an ephemeral port); `default_status` and a list of
    `statuses` to answer in turn; `received` holds what came in."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.statuses, server.default_status = [], [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HOTLINE_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/events"
    yield server
    server.shutdown()
    server.server_close()
