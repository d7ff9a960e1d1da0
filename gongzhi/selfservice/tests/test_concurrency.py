"""Two copies of one resident report at the same moment make one case (PostgreSQL: the
NULL reporter defeats the unique constraint, so the service serializes on the key)."""

import threading

import pytest
from django.db import connection, connections

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, Category
from gongzhi.registry.models import Building

from .conftest import PHONE

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time anyway"
)


def test_the_same_key_at_once_makes_one_case(transactional_db, django_db_serialized_rollback, tree):
    category = Category.objects.filter(parent__isnull=False, is_public=True).first()
    building = Building.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="1号楼")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def report():
        try:
            barrier.wait()
            results.append(
                case_services.case_report_by_resident(
                    phone=PHONE,
                    category_id=category.pk,
                    description="同时提交",
                    building_id=building.pk,
                    idempotency_key="same-key",
                )
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Case.objects.count() == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert {case.pk for case, _ in results} == {Case.objects.get().pk}
