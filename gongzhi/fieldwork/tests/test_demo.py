"""The fieldwork demo on the small demo district: three tasks with progress through the
services (a late grid and a short one on the past task), quick; twice changes nothing."""

import time

from gongzhi.core.manifest import demo_steps
from gongzhi.fieldwork import selectors
from gongzhi.fieldwork.models import Task, TaskReport, TaskTarget


def test_fieldwork_demo(small_demo):
    assert {t.title for t in Task.objects.all()} == {
        "冬季燃气安全入户检查",
        "本周完成辖区电动车飞线充电排查",
        "独生子女认证入户",
    }
    gas = Task.objects.get(title="冬季燃气安全入户检查")
    board = selectors.board(gas.created_by, gas)
    assert board["grids"] >= 3 and board["late"] == 2  # the late grid and the short one
    assert board["completed"] == board["grids"] - 1
    assert all(
        r["done"] == sum(r2.amount for r2 in r["target"].reports.all()) for r in board["rows"]
    )
    before = (Task.objects.count(), TaskTarget.objects.count(), TaskReport.objects.count())
    step = next(s for s in demo_steps() if s.name == "fieldwork")
    step.run(lambda *_: None)  # again: nothing new
    assert (Task.objects.count(), TaskTarget.objects.count(), TaskReport.objects.count()) == before
    TaskReport.objects.all().delete()
    Task.objects.all().delete()
    started = time.monotonic()
    step.run(lambda *_: None)
    took = time.monotonic() - started
    print(f"fieldwork demo step: {took:.2f} s")
    assert took < 2
    assert (Task.objects.count(), TaskTarget.objects.count(), TaskReport.objects.count()) == before
