"""A dispute's risk decides who is told at registration: 一般 — no one above the community;
较大 — the subdistrict's operators and leaders; 重大 — also the district's, and the case is
urgent. The message names the type and place, never a party or the account."""

import pytest

from gongzhi.disputes.models import Risk
from gongzhi.notifications.models import Notification


def _told(case):
    return Notification.objects.filter(kind="disputes.risk", link__in=["", f"/disputes/{case.pk}/"])


@pytest.mark.parametrize(
    ("risk", "who"),
    [
        (Risk.ORDINARY, set()),
        (Risk.SERIOUS, {"op_sub", "leader"}),
        (Risk.MAJOR, {"op_sub", "leader", "op_district"}),
    ],
)
def test_who_is_told_by_the_risk(disp, people, risk, who):
    case = disp.register(risk=risk)
    told = _told(case)
    assert {n.recipient.username for n in told} == who
    for n in told:
        assert "王强" not in n.title + n.body and "索赔" not in n.title + n.body
        assert n.link == ("" if n.recipient.username == "leader" else f"/disputes/{case.pk}/")
    assert case.urgency == ("urgent" if risk == Risk.MAJOR else "normal")


def test_a_retried_registration_tells_once(disp, people):
    first = disp.register(risk=Risk.SERIOUS, idempotency_key="k1")
    again = disp.register(risk=Risk.SERIOUS, idempotency_key="k1")
    assert again.pk == first.pk
    assert _told(first).count() == 2
