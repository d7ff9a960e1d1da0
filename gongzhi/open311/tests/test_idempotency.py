"""POST with an Idempotency-Key: a resent request is one case and the same reply; the key
with another request is refused (422) and stores nothing."""

import pytest

from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.test_concurrency import _TableLock, postgres_only, threaded, together
from gongzhi.open311 import services
from gongzhi.open311.models import Open311Request
from gongzhi.open311.tests.conftest import error, items

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "o311-4c1d"}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post__resent_with_the_same_key_is_one_case_and_the_same_reply(post, fmt):
    first = post(fmt, headers=KEY, email="wang@example.com")
    again = post(fmt, headers=KEY, email="wang@example.com")

    assert (first.status_code, again.status_code) == (201, 200)
    assert items(again) == items(first)
    case = Case.objects.get()
    (reply,) = items(again)
    assert reply["service_request_id"] == case.number
    assert reply["token"] == Open311Request.objects.get(case=case).token
    assert CaseEvent.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"description": "小区门口垃圾堆积一周无人清理"},
        {"email": "li@example.com"},  # an Open311 field a case has no place for
        {"attribute[AMOUNT]": "small"},
    ],
    ids=["description", "email", "attribute"],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post__the_key_with_another_request_is_422_and_stores_nothing(post, fmt, change):
    first = post(fmt, headers=KEY, email="wang@example.com")
    refused = post(fmt, headers=KEY, **{"email": "wang@example.com", **change})

    assert (first.status_code, refused.status_code) == (201, 422)
    code, description = error(refused)
    assert code == "422"
    assert description == (
        "idempotency_conflict: 该 Idempotency-Key 已用于另一个内容不同的请求（已保存）；"
        "本次请求未保存。请换用新的键发送。"
    )
    extra = Open311Request.objects.get()
    assert (extra.email, extra.attributes["AMOUNT"]) == ("wang@example.com", "large")
    assert Case.objects.get().description == "小区门口垃圾堆积三天无人清理"


def test_post__without_a_key_each_post_is_a_new_request(post):
    assert [post(headers=None).status_code for _ in range(2)] == [201, 201]
    assert Case.objects.count() == Open311Request.objects.count() == 2


def test_post__a_key_used_on_the_api_by_the_same_account_is_a_conflict(post, people, tree, service):
    from gongzhi.cases import services as case_services

    case_services.case_report(
        actor=people.op_sub, category_id=service.pk, title="井盖", grid_id=tree.grid_a.pk,
        idempotency_key=KEY["Idempotency-Key"],
    )  # fmt: skip
    refused = post(headers=KEY)
    assert refused.status_code == 422
    assert error(refused)[1].startswith("idempotency_conflict: ")
    assert Case.objects.count() == 1 and not Open311Request.objects.exists()


@postgres_only
@threaded
def test_post__the_same_key_at_once__one_case_and_one_reply(api_key, service, bounded):
    from django.http import QueryDict

    from gongzhi.cases.models import CaseCounter

    data = QueryDict(mutable=True)
    data.update({"service_code": service.code, "description": "垃圾堆积", "lat": "34.63",
                 "long": "112.415", "attribute[AMOUNT]": "large"})  # fmt: skip

    def send():
        return services.open311_request_create(api_key=api_key, data=data,
                                               idempotency_key="race-1")  # fmt: skip

    # Both pass the look-up for an earlier case, then queue behind the day counter's lock.
    results = together(send, send, hold=_TableLock(CaseCounter._meta.db_table))
    assert [r[0] for r in results] == ["ok", "ok"], results
    a, b = (r[1] for r in results)
    assert sorted([a.created, b.created]) == [False, True]
    assert (a.request.pk, a.request.token) == (b.request.pk, b.request.token)
    assert Case.objects.count() == Open311Request.objects.count() == 1
