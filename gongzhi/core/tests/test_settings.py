"""Production mode refuses a default secret key and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KEY = "k" * 20 + "Zq9!xW2@rT5#yU8$iO1%pA4^sD7&fG0*hJ3(kL6)"
PROD = {
    "GONGZHI_ENV": "production",
    "SECRET_KEY": KEY,
    "ALLOWED_HOSTS": "gongzhi.example.gov.cn",
    "DATA_KEYS": "1:" + "A" * 43,
    "HASH_KEY": "B" * 43,
}


def _manage(*args, **env):
    # A clean environment: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves.
    dropped = ("SECRET_KEY", "GONGZHI_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production__refuses_to_start_with_the_default_secret_key(tmp_path):
    result = _manage("check", GONGZHI_ENV="production", GONGZHI_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production__refuses_to_start_without_data_keys(tmp_path):
    env = {k: v for k, v in PROD.items() if k not in ("DATA_KEYS", "HASH_KEY")}
    result = _manage("check", GONGZHI_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "DATA_KEYS" in result.stderr


def test_production__passes_check_deploy(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        GONGZHI_VAR_DIR=str(tmp_path),
        **PROD,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo__refuses_to_run_in_production(tmp_path):
    result = _manage(
        "demo",
        GONGZHI_VAR_DIR=str(tmp_path),
        **PROD,
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    assert result.returncode != 0
    assert "生产模式" in result.stderr


def test_settings__defaults():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "ninja" in settings.INSTALLED_APPS


def test_sqlite__embedded_default_runs_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(connection.vendor, c.fetchone()[0])"
    )
    result = _manage("shell", "-v", "0", "-c", code, GONGZHI_VAR_DIR=str(tmp_path), DATABASE_URL="")
    assert result.stdout.split() == ["sqlite", "wal"], result.stderr
    assert (tmp_path / "gongzhi.sqlite3").exists()
