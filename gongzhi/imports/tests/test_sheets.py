"""Importing buildings, households and premises."""

import pytest
from django.utils.translation import gettext as _
from stdnum.cn import uscc as uscc_lib

from gongzhi.core.models import AuditLog
from gongzhi.imports.tests.conftest import xlsx
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Household, Premises, PremisesCategory


def _errors(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def credit_code(body: str) -> str:
    return body + uscc_lib.calc_check_digit(body)


USCC1 = credit_code("91410300MA44ABCD1")
USCC2 = credit_code("92410311MA9G0001X")


# Buildings ---------------------------------------------------------------------------


def test_import_buildings__stores_and_converts_coordinates(people, tree, jobs):
    content = xlsx(
        [
            [tree.grid_a.code, "六安公寓3号楼", "明德路 18 号", "6", "112.4538", "34.6197", ""],
            [tree.grid_a.code, "六安公寓4号楼", "", "", "112.4603", "34.6211", "高德"],
            [tree.micro_a1.code, "牡丹小区1号楼", "", "18", "", "", ""],
        ],
        kind="buildings",
    )
    job = jobs.load(people.gw_a, "buildings", content)
    assert (job.status, job.created_count, job.updated_count) == ("done", 3, 0)
    b3 = Building.objects.get(name="六安公寓3号楼")
    assert (b3.org_code, b3.grid, b3.address, b3.floors) == (
        tree.grid_a.code,
        tree.grid_a,
        "明德路 18 号",
        6,
    )
    assert (b3.lng, b3.lat) == (112.4538, 34.6197)
    b4 = Building.objects.get(name="六安公寓4号楼")
    assert b4.lng != 112.4603 and abs(b4.lng - 112.4603) < 0.01  # GCJ-02 -> WGS-84
    assert Building.objects.get(name="牡丹小区1号楼").org_code == tree.micro_a1.code
    assert AuditLog.objects.get(action="registry.imported").changes["created"] == 3


def test_import_buildings__again_updates_by_grid_and_name(people, tree, jobs):
    rows = [[tree.grid_a.code, "六安公寓3号楼", "明德路 18 号", "6", "", "", ""]]
    jobs.load(people.gw_a, "buildings", xlsx(rows, kind="buildings"))
    rows[0][3] = "7"
    job = jobs.load(people.gw_a, "buildings", xlsx(rows, kind="buildings"))
    assert (job.created_count, job.updated_count) == (0, 1)
    assert list(Building.objects.values_list("floors", flat=True)) == [7]


def test_import_buildings__row_errors(people, tree, jobs):
    content = xlsx(
        [
            [tree.grid_a.code, "", "", "300", "", "", ""],
            [tree.grid_a.code, "1号楼", "", "", "abc", "34.6", ""],
            [tree.grid_a.code, "2号楼", "", "", "2.35", "48.85", ""],
            [tree.grid_a.code, "3号楼", "", "", "112.45", "34.6", "火星"],
            [tree.grid_a.code, "1号楼", "", "", "", "", ""],
            [tree.grid_b.code, "4号楼", "", "", "", "", ""],
        ],
        kind="buildings",
    )
    job = jobs.upload(people.gw_a, "buildings", content)
    assert _errors(job) == [
        (2, "楼栋名称", _("This field is required.")),
        (2, "层数", _("Floors must be a number from 1 to 200.")),
        (3, "经度", _("Longitude and latitude must be numbers.")),
        (4, "经度", _("The location is not in China.")),
        (5, "经度", _("Unknown coordinate system.")),
        (6, "楼栋名称", _("Duplicates row %(row)d of the file.") % {"row": 3}),
        (7, "网格编码", _("The grid does not exist or is outside your area.")),
    ]


# Households --------------------------------------------------------------------------


def test_import_households__created_once_in_registered_buildings(people, tree, jobs):
    b = Building.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="1号楼")
    content = xlsx(
        [
            [tree.grid_a.code, "1号楼", "1单元", "101"],
            [tree.grid_a.code, "1号楼", "1单元", "102"],
            [tree.grid_a.code, "1号楼", "", "103"],
            [tree.grid_a.code, "1号楼", "1单元", "101"],
            [tree.grid_a.code, "2号楼", "1单元", "101"],
            [tree.grid_b.code, "1号楼", "1单元", "101"],
        ],
        kind="households",
    )
    job = jobs.upload(people.gw_a, "households", content)
    no_building = _(
        "No building of this name is registered in the grid or its micro-grids: "
        "import the buildings first."
    )
    assert _errors(job) == [
        (5, "房号", _("Duplicates row %(row)d of the file.") % {"row": 2}),
        (6, "楼栋名称", no_building),
        (7, "网格编码", _("The grid does not exist or is outside your area.")),
    ]
    job = jobs.confirm(people.gw_a, job)
    assert (job.created_count, job.updated_count) == (3, 0)
    assert sorted(Household.objects.values_list("unit_name", "room")) == [
        ("", "103"),
        ("1单元", "101"),
        ("1单元", "102"),
    ]
    assert set(Household.objects.values_list("building", "org_code")) == {(b.pk, b.org_code)}
    again = jobs.load(people.gw_a, "households", content)
    assert (again.created_count, again.updated_count) == (0, 3)
    assert Household.objects.count() == 3


# Premises ----------------------------------------------------------------------------


def _premises_row(grid, name, category="沿街门店", address="", phone="", code="", who=""):
    return [grid, name, category, address, who, phone, code, "", "", ""]


def test_import_premises__stores_sealed_phone_and_credit_code(people, tree, jobs):
    content = xlsx(
        [
            _premises_row(
                tree.grid_a.code,
                "明德便利店",
                address="明德路 1 号",
                phone="0379-62345678",
                code=USCC1.lower(),
                who="李四",
            ),
            _premises_row(tree.grid_a.code, "早餐店", "餐饮场所", "明德路 2 号", "13812345678"),
        ],
        kind="premises",
    )
    job = jobs.load(people.gw_a, "premises", content)
    assert (job.created_count, job.updated_count) == (2, 0)
    shop = Premises.objects.get(name="明德便利店")
    assert shop.uscc == USCC1 and shop.responsible_name == "李四"
    assert shop.category == PremisesCategory.objects.get(name="沿街门店")
    assert pii.open_phone(shop) == "0379-62345678" and shop.phone_masked == "0379-****5678"
    assert shop.phone_hash == pii.phone_hash("0379-62345678")
    breakfast = Premises.objects.get(name="早餐店")
    assert breakfast.uscc is None and breakfast.phone_masked == "138****5678"


def test_import_premises__again_updates_by_code_or_by_place(people, tree, jobs):
    rows = [
        _premises_row(tree.grid_a.code, "明德便利店", address="明德路 1 号", code=USCC1),
        _premises_row(tree.grid_a.code, "早餐店", "餐饮场所", "明德路 2 号", "13812345678"),
    ]
    jobs.load(people.gw_a, "premises", xlsx(rows, kind="premises"))
    rows[0][1] = "明德超市"  # renamed: found again by its credit code
    rows[1][5] = ""  # an empty phone keeps the stored one
    rows[1][4] = "王五"
    job = jobs.load(people.gw_a, "premises", xlsx(rows, kind="premises"))
    assert (job.created_count, job.updated_count) == (0, 2)
    assert sorted(Premises.objects.values_list("name", flat=True)) == ["早餐店", "明德超市"]
    breakfast = Premises.objects.get(name="早餐店")
    assert pii.open_phone(breakfast) == "13812345678" and breakfast.responsible_name == "王五"


def test_import_premises__row_errors(people, tree, jobs):
    Premises.objects.create(
        grid=tree.grid_b,
        org_code=tree.grid_b.code,
        name="外区店",
        category=PremisesCategory.objects.first(),
        uscc=USCC2,
    )
    Premises.objects.create(
        grid=tree.grid_a,
        org_code=tree.grid_a.code,
        name="老店",
        address="1 号",
        category=PremisesCategory.objects.first(),
        uscc=USCC1,
    )
    content = xlsx(
        [
            _premises_row(tree.grid_a.code, "抢注店", code=USCC2),
            _premises_row(
                tree.grid_a.code, "老店", address="1 号", code=credit_code("91410300MA44ABCD2")
            ),
            _premises_row(tree.grid_a.code, "坏码店", code="91410300MA44ABCD10"),
            _premises_row(tree.grid_a.code, "无类店", category=""),
            _premises_row(tree.grid_a.code, "怪类店", category="太空站"),
            _premises_row(tree.grid_a.code, "新店", code=credit_code("91410300MA44ABCD3")),
            _premises_row(tree.grid_a.code, "新店二", code=credit_code("91410300MA44ABCD3")),
        ],
        kind="premises",
    )
    job = jobs.upload(people.gw_a, "premises", content)
    assert _errors(job) == [
        (2, "统一社会信用代码", _("This credit code is already registered elsewhere.")),
        (3, "场所名称", _("This premises is already registered in the grid.")),
        (4, "统一社会信用代码", _("The unified social credit code is not valid.")),
        (5, "场所类别", _("Choose a category.")),
        (6, "场所类别", _("Unknown premises category: %(name)s.") % {"name": "太空站"}),
        (8, "统一社会信用代码", _("Duplicates row %(row)d of the file.") % {"row": 7}),
    ]
    assert Premises.objects.get(uscc=USCC2).name == "外区店"


@pytest.mark.parametrize("kind", ["buildings", "households", "premises"])
def test_import__grid_worker_cannot_import_into_another_grid(people, tree, jobs, kind):
    Building.objects.create(grid=tree.grid_b, org_code=tree.grid_b.code, name="1号楼")
    rows = {
        "buildings": [tree.grid_b.code, "2号楼", "", "", "", "", ""],
        "households": [tree.grid_b.code, "1号楼", "", "101"],
        "premises": _premises_row(tree.grid_b.code, "新店"),
    }
    job = jobs.upload(people.gw_a, kind, xlsx([rows[kind]], kind=kind))
    assert _errors(job) == [(2, "网格编码", _("The grid does not exist or is outside your area."))]
    assert job.valid_rows == 0
    ok = jobs.load(people.gw_b, kind, xlsx([rows[kind]], kind=kind))
    assert ok.created_count == 1


def test_import_buildings_and_premises__grid_found_from_the_location(people, tree, jobs):
    from gongzhi.orgs import locator
    from gongzhi.orgs.tests.conftest import BOXES, store

    for name, geometry in BOXES.items():
        store(getattr(tree, name), geometry)
    locator.invalidate()
    try:
        content = xlsx(
            [
                ["", "定位楼", "", "", "112.405", "34.61", ""],
                ["", "乙楼", "", "", "112.43", "34.63", ""],
                ["", "荒地楼", "", "", "113.5", "35.5", ""],
                ["", "无址楼", "", "", "", "", ""],
            ],
            kind="buildings",
        )
        job = jobs.upload(people.gw_a, "buildings", content)
        assert _errors(job) == [
            (3, "网格编码", _("The grid does not exist or is outside your area.")),
            (4, "网格编码", _("The location is in no grid; choose the grid.")),
            (5, "网格编码", _("This field is required.")),
        ]
        jobs.confirm(people.gw_a, job)
        assert Building.objects.get(name="定位楼").org_code == tree.micro_a1.code
        job = jobs.load(
            people.community_worker,
            "premises",
            xlsx(
                [["", "便利店", "沿街门店", "", "", "", "", "112.43", "34.63", ""]], kind="premises"
            ),
        )
        assert Premises.objects.get(name="便利店").grid == tree.grid_b
    finally:
        locator.invalidate()
