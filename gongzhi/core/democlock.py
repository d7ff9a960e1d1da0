"""The demo's clock: a service called as at a planned moment of the demo's past.

The demo lives records through the real services (every guard, deadline, number, audit
row and rollup as for a person), and a service reads the time from `timezone.now()`. A
step that plays weeks of history (a campaign's first round, its notices and their
re-inspections) runs each call `at(moment)`: time-machine moves the process's clock to
that moment (frozen) for the call, so a case reported by an inspection 30 days ago is
numbered, dated, deadlined and counted on that day. A moment in the future is taken as
now. Only for the demo command: never in a request or a job.
"""

import contextlib
import datetime as dt

import time_machine
from django.utils import timezone


@contextlib.contextmanager
def at(moment: dt.datetime):
    with time_machine.travel(min(moment, timezone.now()), tick=False):
        yield
