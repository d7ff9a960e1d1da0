"""The signing recipe, checked against the worked example in docs/integrations.md."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from gongzhi.hotline import signing

EXAMPLE_SECRET = "example-shared-secret-0123456789abcdef"
EXAMPLE_TS = "1763800000"
EXAMPLE_NONCE = "5f2b8c1e9a7d4e3f"
EXAMPLE_BODY = (
    '{"order_no":"GD20251122000123","content":"桂园小区3号楼前路灯连续一周不亮",'
    '"category":"供电","grid_code":"990101001001001","deadline":"2025-11-25T18:00:00+08:00"}'
).encode()
EXAMPLE_SIGNATURE = "3fdb8441c635365199701e17a163df3d901efd5c79748716bb10daa157215971"


def test_the_documented_example():
    assert len(EXAMPLE_BODY) == 179
    assert signing.signature(EXAMPLE_SECRET, EXAMPLE_TS, EXAMPLE_NONCE, EXAMPLE_BODY) == (
        EXAMPLE_SIGNATURE
    )
    doc = (Path(settings.BASE_DIR) / "docs" / "integrations.md").read_text(encoding="utf-8")
    section = doc[doc.index("## 12345 exchange") :]
    for value in (EXAMPLE_SECRET, EXAMPLE_TS, EXAMPLE_NONCE, EXAMPLE_SIGNATURE):
        assert value in section
    assert EXAMPLE_BODY.decode() in section


def test_verification():
    sig = signing.signature("s", "1", "n", b"{}")
    assert signing.valid_signature("s", "1", "n", b"{}", sig)
    assert signing.valid_signature("s", "1", "n", b"{}", sig.upper())
    assert not signing.valid_signature("s", "2", "n", b"{}", sig)
    assert not signing.valid_signature("s", "1", "m", b"{}", sig)
    assert not signing.valid_signature("s", "1", "n", b"{ }", sig)
    assert not signing.valid_signature("", "1", "n", b"{}", signing.signature("", "1", "n", b"{}"))
    assert not signing.valid_nonce("x" * 65) and not signing.valid_nonce("随机")
    assert signing.valid_nonce("x" * 64)


def _production(**env):
    base = {
        "PATH": os.environ.get("PATH", ""),
        "GONGZHI_ENV": "production",
        "SECRET_KEY": "k" * 60,
        "DATA_KEYS": "1:" + "A" * 43 + "=",
        "HASH_KEY": "B" * 43 + "=",
        "GONGZHI_VAR_DIR": os.environ.get("GONGZHI_VAR_DIR", str(settings.VAR_DIR)),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", "import gongzhi.settings"],
        env=base,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


def test_production_needs_a_secret_only_with_a_webhook():
    assert _production().returncode == 0
    refused = _production(HOTLINE_WEBHOOK_URL="https://12345.example/hook")
    assert refused.returncode != 0 and "HOTLINE_SHARED_SECRET" in refused.stderr
    ok = _production(HOTLINE_WEBHOOK_URL="https://12345.example/hook", HOTLINE_SHARED_SECRET="s")
    assert ok.returncode == 0, ok.stderr
