"""Self-service fixtures: SMS to a file in the test's folder, a public category, a client
that has proven a phone through the real pages, and a settable clock."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category
from gongzhi.cases.tests.support import Clock, at

PHONE = "13912345678"
OTHER_PHONE = "13800001111"
IN_GRID_A = (112.405, 34.63)  # outside micro-grid A1 (34.60–34.62), inside grid A
OUTSIDE = (113.5, 35.5)


@pytest.fixture(autouse=True)
def _media_and_sms(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SMS_BACKEND", "file")


@pytest.fixture
def sms_log(tmp_path):
    """The text messages sent so far: [{"to", "text", "at"}]."""

    def _read() -> list[dict]:
        path = tmp_path / "sms.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return _read


@pytest.fixture
def last_code(sms_log):
    def _code(phone=PHONE) -> str:
        texts = [m["text"] for m in sms_log() if m["to"] == phone]
        assert texts, f"no SMS to {phone}"
        return re.search(r"\d{6}", texts[-1]).group()

    return _code


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 11, 23, 9)).install(monkeypatch)


@pytest.fixture
def category(db):
    return (
        Category.objects.filter(parent__isnull=False, is_active=True, is_public=True)
        .order_by("sort", "code")
        .first()
    )


@pytest.fixture
def private_category(db):
    c = Category.objects.filter(parent__isnull=False, is_active=True).order_by("-sort").first()
    c.is_public = False
    c.save()
    return c


def jpeg(name="photo.jpg", size=(64, 48), color=(200, 80, 40)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def verified_client(last_code):
    """verified_client(phone) → a Client whose session holds the proven phone."""

    def _client(phone=PHONE) -> Client:
        client = Client(REMOTE_ADDR=f"10.1.{len(phone)}.{int(phone[-2:])}")
        response = client.post("/my/phone/", {"phone": phone, "next": "/my/reports/"})
        assert response.status_code == 302, response.content.decode()[:400]
        response = client.post(
            "/my/phone/code/", {"code": last_code(phone), "next": "/my/reports/"}
        )
        assert response.status_code == 302 and response["Location"] == "/my/reports/"
        return client

    return _client


@pytest.fixture
def resident_case(tree, category):
    """resident_case(phone=PHONE, **kw) → a case reported by a resident in grid A."""
    from gongzhi.registry.models import Building

    building = Building.objects.create(
        grid=tree.grid_a, org_code=tree.grid_a.code, name="桂园3号楼", address="桂园路3号"
    )

    def _make(phone=PHONE, **kw):
        kw.setdefault("category_id", category.pk)
        kw.setdefault("description", "3号楼门口路灯坏了一周")
        kw.setdefault("building_id", building.pk)
        case, _ = case_services.case_report_by_resident(phone=phone, **kw)
        return case

    _make.building = building
    return _make


@pytest.fixture
def closed(people, tree):
    """closed(case) → the case dispatched, accepted, handled (with a photo) and verified."""

    def _close(case, photos=()):
        s = case_services
        s.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
        s.case_accept(actor=people.handler, case_id=case.pk)
        s.case_handle(
            actor=people.handler, case_id=case.pk, result="路灯已更换", photos=list(photos)
        )
        return s.case_verify(actor=people.op_sub, case_id=case.pk, passed=True, note="核查通过")

    return _close
