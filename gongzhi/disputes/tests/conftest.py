"""Dispute fixtures: residents in grids A and B of the shared tree (gongzhi/conftest.py),
mediators of the community (one of them a registry resident), and a dispute registered by
the grid worker of grid A between a resident and a person named by phone and 身份证号."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image
from stdnum.cn import ric

from gongzhi.core.roles import Role
from gongzhi.disputes import services
from gongzhi.disputes.models import DisputeType, MediatorKind, Risk, Source
from gongzhi.disputes.seed import TYPES
from gongzhi.factories import PositionFactory, UserFactory
from gongzhi.registry import services as registry


def make_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


ID_A = make_id("41030219500101123")
ID_B = make_id("41030219900202124")
ID_X = make_id("41030219800303125")


def jpeg(name="signed.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def disp(people, tree):
    s = SimpleNamespace()
    if not DisputeType.objects.exists():
        DisputeType.objects.bulk_create(DisputeType(name=n) for n in TYPES)
    s.neighbour = DisputeType.objects.get(name="邻里纠纷")
    s.building = registry.building_save(
        actor=people.gw_a, grid_id=tree.grid_a.pk, name="六安公寓1号楼"
    )
    s.res_a = registry.resident_save(
        actor=people.gw_a,
        data=registry.ResidentInput(
            name="李大爷", id_number=ID_A, phone="13812345678",
            building_id=s.building.pk, room="301", relationship="head",
        ),
    )  # fmt: skip
    s.res_a2 = registry.resident_save(
        actor=people.gw_a,
        data=registry.ResidentInput(
            name="李大妈", household_id=s.res_a.household_id, relationship="spouse",
        ),
    )  # fmt: skip
    s.res_b = registry.resident_save(
        actor=people.gw_b,
        data=registry.ResidentInput(name="王阿姨", id_number=ID_B, grid_id=tree.grid_b.pk),
    )
    s.med_user = UserFactory(username="med_zhang", name="张调解")
    s.mediator = services.mediator_add(
        actor=people.community_worker, user_id=s.med_user.pk, unit_id=tree.community.pk,
        kind=MediatorKind.THINK_TANK, team="智囊团",
    )  # fmt: skip
    s.party_user = UserFactory(username="med_li", name="李大妈")
    s.party_mediator = services.mediator_add(
        actor=people.community_worker, user_id=s.party_user.pk, unit_id=tree.community.pk,
        kind=MediatorKind.COMMUNITY, resident_id=s.res_a2.pk,
    )  # fmt: skip
    s.other_cw = UserFactory(username="cw2")
    PositionFactory(user=s.other_cw, role=Role.COMMUNITY_WORKER, org_unit=tree.community2)

    def register(actor=None, parties=None, **kw):
        given = {
            "grid_id": tree.grid_a.pk, "type_id": s.neighbour.pk, "source": Source.SCREENING,
            "risk": Risk.ORDINARY, "summary": "楼上漏水引发邻里矛盾",
            "account": "王某称李某家装修致漏水，索赔三千元",
            "parties": parties if parties is not None else [
                {"resident_id": s.res_a.pk},
                {"name": "王强", "phone": "139 1234 5678", "id_number": ID_X},
            ],
        }  # fmt: skip
        given.update(kw)
        case, _ = services.dispute_register(actor=actor or people.gw_a, **given)
        return case

    s.register = register

    def mediating(case=None):
        """A dispute assigned to the mediator and accepted: in progress."""
        from gongzhi.cases import services as cases

        case = case or register()
        services.mediator_assign(
            actor=people.community_worker, dispute_id=case.pk, mediator_id=s.mediator.pk
        )
        return cases.case_accept(actor=s.med_user, case_id=case.pk)

    s.mediating = mediating
    s.now = dt.datetime.now(dt.UTC)
    return s
