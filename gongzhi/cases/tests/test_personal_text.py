"""Phones and 身份证号 a reporter writes into a case: stored masked, sealed as written,
masked wherever the case is shown, and read in full only through the audited reveal."""

import json
import re

import pytest
from django.apps import apps as django_apps

from gongzhi.cases import services
from gongzhi.cases.models import Case
from gongzhi.cases.tests.api_support import API, post_json
from gongzhi.cases.tests.support import audit_rows, fresh
from gongzhi.core.models import AuditLog
from gongzhi.core.pii_text import fold
from gongzhi.notifications.models import Notification
from gongzhi.registry import pii

PHONE = "13957246813"
ID_NUMBER = "410302199001011234"
# The reporter writes them as people do: spaced, with +86, in full-width digits.
DESCRIPTION = (
    "3号楼2单元501门口井盖缺失，联系王先生 +86 139 5724 6813，"
    "或座机（0379）6234 5678；身份证４１０３０２１９９００１０１１２３４。2026年12月7日发现。"
)
TITLE = "井盖缺失 电话139-5724-6813"
MASKED_DESCRIPTION = (
    "3号楼2单元501门口井盖缺失，联系王先生 139****6813，"
    "或座机0379-****5678；身份证4103**********1234。2026年12月7日发现。"
)
# Digits no reader without the reveal may see, in any spacing or width.
SECRETS = ("5724", "6234567", "19900101")


def assert_nothing_personal(body: str, where: str = ""):
    compact = re.sub(r"[\s\-]", "", fold(body))
    for secret in SECRETS:
        assert secret not in compact, f"{secret} in {where}"


@pytest.fixture
def case(report, people, tree):
    """A case with numbers in its title and description, dispatched to the department,
    with a handler's note and an extension reason that hold numbers too."""
    case = report(title=TITLE, description=DESCRIPTION, reporter_phone="+86 139 5724 6813")
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    services.case_accept(actor=people.handler, case_id=case.pk, note="已联系 139 5724 6813")
    services.case_request_extension(
        actor=people.handler, case_id=case.pk, days=3, reason="等王先生（13957246813）回来"
    )
    return fresh(case)


def test_intake__stores_the_text_masked_and_seals_it_as_written(case):
    assert case.title == "井盖缺失 电话139****6813"
    assert case.description == MASKED_DESCRIPTION
    assert case.text_enc and PHONE not in case.text_enc and "5724" not in case.text_enc
    # The reporter's phone, typed with +86 and spaces, is the canonical number sealed.
    assert case.reporter_phone_hash == pii.phone_hash(PHONE)
    assert case.reporter_phone_masked == "139****6813"


def test_intake__a_title_built_from_the_description_is_cut_after_masking(report, category):
    case = report(title="", description="电话１３９５７２４６８１３请尽快处理")
    assert case.title == f"{category.name}：电话139****6813请尽快处理"
    case = report(title="", description="路灯坏了" * 6 + "请联系13957246813")
    assert "1395" not in case.title.replace("139****", "")


def test_intake__text_without_numbers_seals_nothing(report):
    case = report(title="路灯不亮", description="3号楼2单元501门口路灯不亮，SJ20261207000012 以后")
    assert (case.title, case.text_enc) == ("路灯不亮", "")
    assert case.description == "3号楼2单元501门口路灯不亮，SJ20261207000012 以后"


@pytest.mark.parametrize("who", ["op_sub", "handler", "community_worker"])
def test_reveal_text__those_who_call_back_read_it_and_it_is_audited(case, people, login, who):
    client = login(getattr(people, who))
    before = AuditLog.objects.count()

    response = post_json(client, f"{API}/{case.pk}/reveal-text")

    assert response.status_code == 200
    assert response.json() == {"title": TITLE, "description": DESCRIPTION}
    (row,) = AuditLog.objects.order_by("-id")[:1]
    assert AuditLog.objects.count() == before + 1
    assert (row.action, row.actor, row.object_id) == (
        "case.reveal_text",
        getattr(people, who),
        str(case.pk),
    )
    assert row.changes == {"fields": ["title", "description"], "masked": True}
    assert PHONE not in json.dumps(row.changes)


@pytest.mark.parametrize(("who", "status"), [("gw_a", 403), ("leader", 403), ("gw_b", 404)])
def test_reveal_text__others_are_refused_and_nothing_is_written(case, people, login, who, status):
    before = AuditLog.objects.count()

    response = post_json(login(getattr(people, who)), f"{API}/{case.pk}/reveal-text")

    assert response.status_code == status
    assert PHONE not in response.content.decode()
    assert AuditLog.objects.count() == before


def test_reveal_text__page_button_only_for_those_allowed(case, people, login):
    operator = login(people.op_sub)
    page = operator.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="reveal-text"' in page
    assert 'id="reveal-text"' not in login(people.gw_a).get(f"/cases/{case.pk}/").content.decode()

    response = operator.post(f"/cases/{case.pk}/reveal-text/")

    assert response.status_code == 200
    assert "+86 139 5724 6813" in response.content.decode()
    assert audit_rows(case).filter(action="case.reveal_text", actor=people.op_sub).count() == 1
    refused = login(people.gw_a).post(f"/cases/{case.pk}/reveal-text/")
    assert refused.status_code == 403
    assert not audit_rows(case).filter(action="case.reveal_text", actor=people.gw_a).exists()


@pytest.mark.parametrize("who", ["gw_a", "leader", "op_sub", "handler", "community_worker"])
def test_every_staff_output_shows_the_numbers_masked(case, people, tree, login, who):
    client = login(getattr(people, who))
    outputs = {
        "case page": client.get(f"/cases/{case.pk}/"),
        "case list": client.get("/cases/", {"queue": "all"}),
        "api case": client.get(f"{API}/{case.pk}"),
        "api list": client.get(API, {"queue": "all"}),
        "inbox": client.get("/inbox/"),
    }
    if who == "op_sub":
        outputs["extensions"] = client.get("/cases/extensions/")
        outputs["api extensions"] = client.get(f"{API}/extension-requests")
    if who in ("leader", "op_sub", "community_worker"):
        outputs["wall"] = client.get("/api/v1/command/wall", {"unit": tree.community.code})
        outputs["wall page"] = client.get("/command/wall/", {"unit": tree.community.code})
        day = case.reported_at.date().isoformat()
        outputs["drill-down"] = client.get(
            "/api/v1/command/cases",
            {"unit": tree.community.code, "start": day, "end": day, "metric": "received"},
        )
    for where, response in outputs.items():
        assert response.status_code == 200, where
        assert_nothing_personal(response.content.decode(), f"{who}: {where}")
    assert case.number in outputs["api list"].content.decode()
    detail = outputs["api case"].json()
    assert detail["text_masked"] is True and detail["description"] == MASKED_DESCRIPTION
    assert any("139****6813" in e["note"] for e in detail["events"])


def test_notifications_hold_the_numbers_masked(case, people):
    bodies = [f"{n.title} {n.body}" for n in Notification.objects.all()]
    assert bodies and any("139****6813" in b for b in bodies)
    for body in bodies:
        assert_nothing_personal(body, "notification")


def test_seal_migration__masks_the_cases_stored_before(report, people):
    from importlib import import_module

    migration = import_module("gongzhi.cases.migrations.0011_seal_case_text")
    case = report(title="路灯", description="无号码")
    Case.objects.filter(pk=case.pk).update(title=TITLE, description=DESCRIPTION, text_enc="")

    migration.seal(django_apps, None)
    migration.seal(django_apps, None)  # a second run finds nothing left to seal

    row = fresh(case)
    assert (row.title, row.description) == ("井盖缺失 电话139****6813", MASKED_DESCRIPTION)
    written = services.case_reveal_text(actor=people.op_sub, case_id=case.pk)
    assert written == {"title": TITLE, "description": DESCRIPTION}
    migration.unseal(django_apps, None)
    assert (fresh(case).title, fresh(case).description, fresh(case).text_enc) == (
        TITLE,
        DESCRIPTION,
        "",
    )


def test_admin_case_page_shows_the_text_masked(case, people, login):
    people.admin.is_superuser = True
    people.admin.save()
    response = login(people.admin).get(f"/admin/cases/case/{case.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "139****6813" in body
    assert_nothing_personal(body, "admin")
