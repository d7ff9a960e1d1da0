"""Care fixtures: cared-for residents in grids A, B and C of the shared tree
(gongzhi/conftest.py), a weekly plan for 独居老人 over the community, SMS to a file, and a
settable clock (a Wednesday)."""

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from gongzhi.care import services
from gongzhi.cases.tests.support import Clock, at
from gongzhi.registry import services as registry
from gongzhi.registry.models import Tag
from gongzhi.selfservice.tests.conftest import sms_log  # noqa: F401 (a fixture)

NOW = at(2026, 11, 25, 10)  # a Wednesday
PHONE_A = "13912345678"
VOLUNTEER = "13800001111"


@pytest.fixture(autouse=True)
def _english_media_sms(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SMS_BACKEND", "file")
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    return Clock(NOW).install(monkeypatch)


def photo(name="p.jpg"):
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def care(people, tree, clock):
    s = SimpleNamespace()
    s.alone, _ = Tag.objects.get_or_create(name="独居老人", defaults={"is_care": True})
    Tag.objects.filter(pk=s.alone.pk).update(is_care=True)
    s.disabled, _ = Tag.objects.get_or_create(name="残疾人", defaults={"is_care": True})
    Tag.objects.filter(pk=s.disabled.pk).update(is_care=True)
    s.building = registry.building_save(
        actor=people.gw_a,
        grid_id=tree.grid_a.pk,
        name="六安公寓3号楼",
        address="明德路8号",
        lng=112.41,
        lat=34.61,
    )
    s.far_building = registry.building_save(
        actor=people.gw_a,
        grid_id=tree.grid_a.pk,
        name="桂园小区9号楼",
        address="桂园路1号",
        lng=112.50,
        lat=34.70,
    )

    def resident(actor, grid, name, tags=(), phone="", building=None, room="101"):
        return registry.resident_save(
            actor=actor,
            data=registry.ResidentInput(
                name=name,
                grid_id=grid.pk,
                phone=phone,
                tag_ids=[t.pk for t in tags],
                building_id=getattr(building, "pk", None),
                room=room if building else "",
            ),
        )

    s.resident = resident
    s.wang = resident(people.gw_a, tree.grid_a, "王秀英", [s.alone], PHONE_A, s.far_building, "502")
    s.li = resident(people.gw_a, tree.grid_a, "李建国", [s.alone], building=s.building)
    s.zhao = resident(people.gw_b, tree.grid_b, "赵大爷", [s.alone])
    s.other = resident(people.admin, tree.grid_c, "孙奶奶", [s.alone])  # another community
    s.plain = resident(people.gw_a, tree.grid_a, "周明", [])
    s.plan = services.plan_save(
        actor=people.community_worker,
        name="独居老人每周走访",
        tag_id=s.alone.pk,
        unit_code=tree.community.code,
        period="week",
        grace_days=2,
    )
    return s


def visit(actor, resident, client_id="c1", **kw):
    return services.visit_record(actor=actor, resident_id=resident.pk, client_id=client_id, **kw)
