"""The test processes' own var/ (pyproject.toml's addopts load this with -p).

Everything settings.py keeps under GONGZHI_VAR_DIR is per process: the SQLite job queue
(huey opens it when Django starts), media uploads, the file SMS log, collected static
files. `make test` runs the suite in several pytest-xdist processes, so each gets a folder
of its own, var/test/gw0, gw1, … (var/test/main when run without workers), emptied when it
starts; the tests never write into the var/ of a developer's demo. The test databases are
per worker already: pytest-django appends _gw0, _gw1, … to their names.
"""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE = "GONGZHI_TEST_VAR_BASE"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Before pytest-django's own hook, which imports the settings. xdist names the worker in
    # the environment before the worker's pytest starts; the workers inherit the
    # environment of the process that started them, hence the base is kept apart.
    base = Path(os.environ.setdefault(BASE, os.environ.get("GONGZHI_VAR_DIR", str(ROOT / "var"))))
    folder = base / "test" / os.environ.get("PYTEST_XDIST_WORKER", "main")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["GONGZHI_VAR_DIR"] = str(folder)
