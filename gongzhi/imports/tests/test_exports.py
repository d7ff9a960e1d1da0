"""Exports: the filtered lists as xlsx, masked unless the user may export in full, audited."""

import pytest
from python_calamine import CalamineWorkbook

from gongzhi.core import crypto
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.core.tests.xlsx_support import HOSTILE, assert_text_kept
from gongzhi.imports import exports
from gongzhi.imports.tests.conftest import id_number
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Household, Premises, PremisesCategory, Resident, Tag

ID1 = id_number("41031119800101001")
ID2 = id_number("41031119851231002")
ID3 = id_number("11010119900307447")


def _sheet(export):
    rows = CalamineWorkbook.from_filelike(export.file).get_sheet_by_index(0).to_python()
    export.file.close()
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def registry(tree):
    b = Building.objects.create(
        grid=tree.grid_a, org_code=tree.grid_a.code, name="六安公寓3号楼", floors=6
    )
    h = Household.objects.create(building=b, org_code=b.org_code, unit_name="1单元", room="301")
    wang = Resident.objects.create(
        grid=tree.grid_a,
        org_code=tree.grid_a.code,
        household=h,
        name="王秀英",
        gender="M",
        birth_date=pii_birth(ID1),
        relationship="head",
        **pii.seal_id_number(ID1),
        **pii.seal_phone("13912345678"),
        phone_last4="5678",
    )
    wang.tags.set(Tag.objects.filter(name__in=["老年人", "党员"]))
    Resident.objects.create(
        grid=tree.micro_a1,
        org_code=tree.micro_a1.code,
        name="李建国",
        residence_type="floating",
        **pii.seal_id_number(ID2),
    )
    Resident.objects.create(
        grid=tree.grid_b, org_code=tree.grid_b.code, name="张三", **pii.seal_id_number(ID3)
    )
    Premises.objects.create(
        grid=tree.grid_a,
        org_code=tree.grid_a.code,
        name="明德便利店",
        category=PremisesCategory.objects.get(name="沿街门店"),
        **pii.seal_phone("0379-62345678"),
    )
    return b


def pii_birth(number):
    from gongzhi.registry.validation import clean_id_number

    return clean_id_number(number)[1]


def test_residents_export__masked_without_the_permission_and_audited(people, tree, registry):
    export = exports.residents_export(actor=people.community_worker)
    headers, rows = _sheet(export)
    assert headers[:6] == ["网格编码", "网格名称", "姓名", "身份证号", "性别", "出生日期"]
    assert [r["姓名"] for r in rows] == ["王秀英", "李建国", "张三"]
    wang = rows[0]
    assert wang["身份证号"] == crypto.mask_id_number(ID1) and wang["手机"] == "139****5678"
    assert wang["出生日期"] == ""  # with the masked number it would give the number away
    assert (wang["楼栋名称"], wang["单元"], wang["房号"]) == ("六安公寓3号楼", "1单元", "301")
    assert (wang["居住类型"], wang["与户主关系"], wang["性别"]) == ("户籍", "户主", "男")
    assert set(wang["标签"].split("、")) == {"老年人", "党员"}
    assert rows[1]["居住类型"] == "流动"
    audit = AuditLog.objects.get(action="registry.exported")
    assert audit.actor == people.community_worker and audit.object_type == "registry.residents"
    assert audit.changes == {
        "kind": "residents",
        "filters": {},
        "rows": 3,
        "masked": True,
        "unmasked_rows": 0,
    }


def test_residents_export__in_full_for_export_unmasked_and_audited(people, tree, registry):
    export = exports.residents_export(actor=people.admin)
    _headers, rows = _sheet(export)
    assert [r["身份证号"] for r in rows] == [ID1, ID2, ID3]
    assert rows[0]["手机"] == "13912345678" and rows[0]["出生日期"] == "1980-01-01"
    audit = AuditLog.objects.get(action="registry.exported")
    assert audit.changes["masked"] is False and audit.changes["unmasked_rows"] == 3


def test_residents_export__masked_on_request(people, tree, registry):
    _headers, rows = _sheet(exports.residents_export(actor=people.admin, masked=True))
    assert rows[0]["身份证号"] == crypto.mask_id_number(ID1)
    assert AuditLog.objects.get(action="registry.exported").changes["masked"] is True


def test_residents_export__numbers_in_the_note_follow_the_mask(people, tree, registry):
    Resident.objects.filter(name="王秀英").update(note="女儿电话 138 0000 1111")

    _headers, masked = _sheet(exports.residents_export(actor=people.community_worker))
    _headers, full = _sheet(exports.residents_export(actor=people.admin))

    assert masked[0]["备注"] == "女儿电话 138****1111"
    assert full[0]["备注"] == "女儿电话 138 0000 1111"


def test_residents_export__scoped_and_filtered_like_the_list(people, tree, registry):
    _h, rows = _sheet(exports.residents_export(actor=people.gw_a))
    assert [r["姓名"] for r in rows] == ["王秀英", "李建国"]
    _h, rows = _sheet(
        exports.residents_export(actor=people.community_worker, within=tree.grid_b.code)
    )
    assert [r["姓名"] for r in rows] == ["张三"]
    _h, rows = _sheet(exports.residents_export(actor=people.admin, residence_type="floating"))
    assert [r["姓名"] for r in rows] == ["李建国"]
    tag = Tag.objects.get(name="党员")
    _h, rows = _sheet(exports.residents_export(actor=people.admin, tag_id=tag.pk))
    assert [r["姓名"] for r in rows] == ["王秀英"]
    _h, rows = _sheet(exports.residents_export(actor=people.admin, building_id=registry.pk))
    assert [r["姓名"] for r in rows] == ["王秀英"]


def test_residents_export__search_by_id_number_is_masked_in_the_audit(people, tree, registry):
    _h, rows = _sheet(exports.residents_export(actor=people.admin, q=ID2))
    assert [r["姓名"] for r in rows] == ["李建国"]
    _h, rows = _sheet(exports.residents_export(actor=people.admin, q="13912345678"))
    assert [r["姓名"] for r in rows] == ["王秀英"]
    audits = list(AuditLog.objects.filter(action="registry.exported").order_by("id"))
    assert audits[0].changes["filters"] == {"q": crypto.mask_id_number(ID2)}
    assert audits[1].changes["filters"] == {"q": "139****5678"}


def test_export__refused_without_registry_view_and_over_the_row_limit(
    people, tree, registry, settings
):
    for user in (people.resident, people.building_head, people.handler, people.nobody):
        with pytest.raises(PermissionDenied):
            exports.residents_export(actor=user)
    settings.EXPORT_MAX_ROWS = 2
    with pytest.raises(DomainError) as exc:
        exports.residents_export(actor=people.admin)
    assert exc.value.code == "export_too_large" and exc.value.details == {"rows": 3, "max": 2}
    assert not AuditLog.objects.filter(action="registry.exported").exists()


def test_export__leader_may_export_masked(people, tree, registry):
    _h, rows = _sheet(exports.residents_export(actor=people.leader))
    assert len(rows) == 3 and rows[0]["身份证号"] == crypto.mask_id_number(ID1)


def test_buildings_and_premises_export(people, tree, registry):
    _h, rows = _sheet(exports.buildings_export(actor=people.gw_a))
    assert rows == [
        {
            "网格编码": tree.grid_a.code,
            "网格名称": "第1网格",
            "楼栋名称": "六安公寓3号楼",
            "地址": "",
            "层数": 6,
            "经度": "",
            "纬度": "",
            "坐标系": "",
        }
    ]
    _h, rows = _sheet(exports.premises_export(actor=people.gw_a))
    assert rows[0]["场所名称"] == "明德便利店" and rows[0]["联系电话"] == "0379-****5678"
    _h, rows = _sheet(exports.premises_export(actor=people.admin))
    assert rows[0]["联系电话"] == "0379-62345678"
    assert [a.changes["kind"] for a in AuditLog.objects.order_by("id")] == [
        "buildings",
        "premises",
        "premises",
    ]
    assert exports.premises_export(actor=people.gw_b).rows == 0


@pytest.mark.parametrize("masked", [True, False])
def test_exports__names_that_look_like_formulas_stay_text(people, tree, registry, masked):
    Resident.objects.filter(name="王秀英").update(name=HOSTILE[0], note=HOSTILE[1])
    Building.objects.update(name=HOSTILE[2], address=HOSTILE[3])
    Household.objects.update(room=HOSTILE[4])
    Premises.objects.update(name=HOSTILE[5], address=HOSTILE[6])

    for export, texts in (
        (exports.residents_export(actor=people.admin, masked=masked), HOSTILE[:3] + HOSTILE[4:5]),
        (exports.buildings_export(actor=people.admin), HOSTILE[2:4]),
        (exports.premises_export(actor=people.admin), HOSTILE[5:7]),
    ):
        with export.file:
            assert_text_kept(export.file.read(), texts)


def test_export__in_full_imports_back_without_changes(people, tree, registry, jobs):
    export = exports.residents_export(actor=people.admin)
    content = export.file.read()
    job = jobs.load(people.admin, "residents", content)
    assert (job.created_count, job.updated_count, job.error_rows) == (0, 3, 0)
    assert Resident.objects.count() == 3
    wang = Resident.objects.get(name="王秀英")
    assert pii.open_phone(wang) == "13912345678" and wang.tags.count() == 2
    assert wang.household.room == "301"
