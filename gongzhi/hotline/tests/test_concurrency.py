"""The same order pushed several times at once still makes one case (PostgreSQL)."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from gongzhi.cases.models import Case
from gongzhi.hotline import signing
from gongzhi.hotline.models import HotlineOrder
from gongzhi.hotline.tests.conftest import SECRET, order_data

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

N = 6


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)
def test_concurrent_duplicates_make_one_case(tree, people):
    body = json.dumps(order_data(), ensure_ascii=False).encode()
    barrier = threading.Barrier(N)
    results, errors = [], []

    def push():
        try:
            headers = signing.signed_headers(SECRET, body)
            barrier.wait(timeout=10)
            response = Client().post(
                "/hotline/orders", data=body, content_type="application/json", headers=headers
            )
            results.append((response.status_code, response.json()))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=push) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] * (N - 1) + [201], results
    assert len({body["case_id"] for _status, body in results}) == 1
    assert Case.objects.count() == 1 and HotlineOrder.objects.count() == 1
