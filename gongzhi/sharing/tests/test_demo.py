"""The demo step: 8 rooms with weekly and one-off bookings, a hut of 40 items with a year
of loans, every invariant kept; a second run adds nothing."""

import time

from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.sharing import demo
from gongzhi.sharing.models import Booking, BookingState, Item, Loan, LoanState, Room, Series


def test_demo_step(tree, people):
    for n in range(12):
        Resident.objects.create(
            grid=tree.grid_a,
            org_code=tree.grid_a.code,
            name=f"居民{n}",
            **pii.seal_phone(f"1390000{n:04d}"),
        )
    lines = []
    t0 = time.perf_counter()
    demo.run(lines.append, small=True)
    took = time.perf_counter() - t0
    assert Room.objects.count() == 8 and Series.objects.count() == 4
    assert (
        Item.objects.count() == 40 and Loan.objects.filter(state=LoanState.RETURNED).count() > 100
    )
    assert Booking.objects.filter(series__isnull=True).exists()
    assert Booking.objects.filter(state=BookingState.CHECKED_IN).exists()
    assert Loan.objects.filter(state=LoanState.OUT).count() >= 2
    assert took < 20, took
    demo.run(lines.append, small=True)
    assert Room.objects.count() == 8 and "已存在" in lines[-1]
