"""Notification tests: jobs run immediately, SMS goes to a temporary var/sms.log."""

import json

import pytest
from huey.contrib.djhuey import HUEY


@pytest.fixture(autouse=True)
def _jobs_run_immediately():
    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


@pytest.fixture
def sms_log(settings, tmp_path, monkeypatch):
    """The file SMS backend writing under a temporary VAR_DIR; call it for the lines sent."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SMS_BACKEND", "file")
    path = tmp_path / "sms.log"

    def lines():
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return lines
