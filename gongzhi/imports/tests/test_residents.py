"""Importing residents: checked like the registry's own form, written in batches."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import crypto
from gongzhi.core.models import AuditLog
from gongzhi.imports.models import ImportJob
from gongzhi.imports.tests.conftest import id_number, xlsx
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Household, Resident, Tag

ID1 = id_number("41031119800101001")
ID2 = id_number("41031119851231002")
ID3 = id_number("11010119900307447")


def row(grid, name, number, phone="", rtype="", rel="", building="", unit="", room="", tags=""):
    return [grid, name, number, phone, rtype, rel, building, unit, room, tags, ""]


@pytest.fixture
def building(tree):
    return Building.objects.create(
        grid=tree.grid_a, org_code=tree.grid_a.code, name="六安公寓3号楼"
    )


def _errors(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def test_import_residents__stores_sealed_people_households_tags_and_one_audit_row(
    people, tree, building, jobs
):
    content = xlsx(
        [
            row(
                tree.grid_a.code,
                "王秀英",
                ID1,
                "139 1234 5678",
                "户籍",
                "户主",
                building.name,
                "1单元",
                "301",
                "老年人、党员",
            ),
            row(tree.micro_a1.code, "李建国", ID2.lower(), "", "流动", "租户"),
        ],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows) == ("validated", 2, 2, 0)
    assert not Resident.objects.exists()  # phase 1 writes nothing

    job = jobs.confirm(people.gw_a, job)

    assert (job.status, job.created_count, job.updated_count) == ("done", 2, 0)
    wang = Resident.objects.get(name="王秀英")
    assert pii.open_id_number(wang) == ID1 and ID1 not in wang.id_number_enc
    assert wang.id_number_hash == pii.id_number_hash(ID1)
    assert wang.id_number_masked == crypto.mask_id_number(ID1)
    assert (wang.birth_date, wang.gender) == (dt.date(1980, 1, 1), "M")
    assert pii.open_phone(wang) == "13912345678" and wang.phone_masked == "139****5678"
    assert wang.phone_last4 == "5678"
    assert (wang.org_code, wang.residence_type, wang.relationship) == (
        tree.grid_a.code,
        "registered",
        "head",
    )
    assert (wang.household.building, wang.household.unit_name, wang.household.room) == (
        building,
        "1单元",
        "301",
    )
    assert wang.household.org_code == building.org_code
    assert sorted(wang.tags.values_list("name", flat=True)) == ["党员", "老年人"]
    li = Resident.objects.get(name="李建国")
    assert pii.open_id_number(li) == ID2  # normalised to upper case
    assert (li.org_code, li.residence_type, li.relationship) == (
        tree.micro_a1.code,
        "floating",
        "tenant",
    )
    assert li.household is None and li.phone_enc == "" and li.phone_hash == ""
    audit = AuditLog.objects.get(action="registry.imported")
    assert audit.actor == people.gw_a and audit.object_id == str(job.pk)
    assert audit.changes["created"] == 2 and audit.changes["updated"] == 0
    assert audit.changes["kind"] == "residents" and audit.changes["rows"] == 2
    assert ID1 not in str(audit.changes) and "13912345678" not in str(audit.changes)
    assert not job.file  # the file with personal data in clear is gone


def test_import_residents__same_file_again_adds_no_one(people, tree, building, jobs):
    content = xlsx(
        [
            row(tree.grid_a.code, "王秀英", ID1, "13912345678", tags="老年人"),
            row(tree.grid_a.code, "李建国", ID2, building=building.name, room="302"),
        ],
        kind="residents",
    )
    jobs.load(people.gw_a, "residents", content)
    again = jobs.load(people.gw_a, "residents", content)
    assert (again.created_count, again.updated_count) == (0, 2)
    assert Resident.objects.count() == 2 and Household.objects.count() == 1
    assert Resident.tags.through.objects.count() == 1
    assert AuditLog.objects.filter(action="registry.imported").count() == 2


def test_import_residents__registered_id_in_area_updates_that_person(people, tree, jobs):
    jobs.load(
        people.gw_a,
        "residents",
        xlsx(
            [row(tree.grid_a.code, "王秀英", ID1, "13912345678", tags="老年人")], kind="residents"
        ),
    )
    before = Resident.objects.get()
    job = jobs.load(
        people.gw_a,
        "residents",
        xlsx([row(tree.micro_a1.code, "王秀英", ID1, "", "常住", tags="")], kind="residents"),
    )
    assert (job.created_count, job.updated_count) == (0, 1)
    after = Resident.objects.get()
    assert after.pk == before.pk
    assert (after.org_code, after.residence_type) == (tree.micro_a1.code, "resident")
    assert pii.open_phone(after) == "13912345678"  # an empty phone cell keeps the number
    assert not after.tags.exists()  # the tags cell replaces the tags


def test_import_residents__id_registered_outside_the_area_is_a_row_error(people, tree, jobs):
    elsewhere = Resident.objects.create(
        grid=tree.grid_b, org_code=tree.grid_b.code, name="赵六", **pii.seal_id_number(ID1)
    )
    content = xlsx(
        [row(tree.grid_a.code, "冒名", ID1), row(tree.grid_a.code, "李建国", ID2)],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert _errors(job) == [(2, "身份证号", _("This ID number is already registered elsewhere."))]
    job = jobs.confirm(people.gw_a, job)
    assert (job.created_count, job.updated_count, job.error_rows) == (1, 0, 1)
    elsewhere.refresh_from_db()
    assert (elsewhere.name, elsewhere.org_code) == ("赵六", tree.grid_b.code)


def test_import_residents__grid_outside_the_area_reads_like_a_missing_grid(people, tree, jobs):
    content = xlsx(
        [
            row(tree.grid_b.code, "王秀英", ID1),
            row("990101001001099", "李建国", ID2),
            row(tree.community.code, "张三", ID3),
        ],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    message = _("The grid does not exist or is outside your area.")
    assert _errors(job) == [
        (2, "网格编码", message),
        (3, "网格编码", message),
        (4, "网格编码", message),
    ]
    assert (job.valid_rows, job.error_rows) == (0, 3)
    assert not job.can_confirm


def test_import_residents__community_worker_imports_into_any_grid_of_the_community(
    people, tree, jobs
):
    content = xlsx(
        [row(tree.grid_a.code, "王秀英", ID1), row(tree.grid_b.code, "李建国", ID2)],
        kind="residents",
    )
    job = jobs.load(people.community_worker, "residents", content)
    assert job.created_count == 2
    assert set(Resident.objects.values_list("org_code", flat=True)) == {
        tree.grid_a.code,
        tree.grid_b.code,
    }


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (ID1[:-1] + ("0" if ID1[-1] != "0" else "1"), "The ID number's check digit is wrong."),
        ("", "The ID number is required."),
        ("4103111980", "The ID number must be 18 characters: 17 digits and a digit or X."),
    ],
)
def test_import_residents__bad_id_number_is_a_row_error(people, tree, jobs, number, message):
    job = jobs.upload(
        people.gw_a, "residents", xlsx([row(tree.grid_a.code, "王秀英", number)], kind="residents")
    )
    assert _errors(job) == [(2, "身份证号", _(message))]


def test_import_residents__future_birth_date_is_a_row_error(people, tree, jobs):
    future = timezone.localdate() + dt.timedelta(days=400)
    number = id_number(f"410311{future:%Y%m%d}001")
    job = jobs.upload(
        people.gw_a, "residents", xlsx([row(tree.grid_a.code, "王秀英", number)], kind="residents")
    )
    assert _errors(job) == [(2, "身份证号", _("The birth date in the ID number is in the future."))]


def test_import_residents__id_number_typed_as_a_number_is_refused(people, tree, jobs):
    content = xlsx([row(tree.grid_a.code, "王秀英", float(ID2))], kind="residents")
    job = jobs.upload(people.gw_a, "residents", content)
    assert _errors(job) == [
        (2, "身份证号", _("Type this cell as text: Excel has rounded the long number."))
    ]


def test_import_residents__same_id_twice_in_the_file_is_an_error_on_the_second(people, tree, jobs):
    content = xlsx(
        [
            row(tree.grid_a.code, "王秀英", ID1),
            row(tree.grid_a.code, "李建国", ID2),
            row(tree.grid_a.code, "王秀英", ID1.lower() if ID1[-1] == "X" else ID1),
        ],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert _errors(job) == [(4, "身份证号", _("Duplicates row %(row)d of the file.") % {"row": 2})]
    job = jobs.confirm(people.gw_a, job)
    assert Resident.objects.count() == 2 and job.created_count == 2


def test_import_residents__other_fields_are_checked_like_the_form(people, tree, building, jobs):
    content = xlsx(
        [
            row(tree.grid_a.code, "", ID1),
            row(tree.grid_a.code, "李建国", ID2, phone="12345"),
            row(tree.grid_a.code, "张三", ID3, rtype="暂住", rel="邻居", tags="老年人、火星人"),
            row(
                tree.grid_a.code,
                "赵六",
                id_number("41031119700101003"),
                building="不存在的楼",
                room="1",
            ),
            row(tree.grid_a.code, "钱七", id_number("41031119700101004"), room="101"),
            row(tree.grid_a.code, "孙八", id_number("41031119700101005"), building=building.name),
        ],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert _errors(job) == [
        (2, "姓名", _("This field is required.")),
        (3, "手机", _("Enter a mobile number or a landline with its area code.")),
        (4, "居住类型", _("Unknown residence type.")),
        (4, "与户主关系", _("Unknown relationship.")),
        (4, "标签", _("Unknown tag: %(name)s.") % {"name": "火星人"}),
        (
            5,
            "楼栋名称",
            _(
                "No building of this name is registered in the grid or its micro-grids: "
                "import the buildings first."
            ),
        ),
        (6, "楼栋名称", _("Enter the building of this room.")),
        (7, "房号", _("This field is required.")),
    ]
    assert (job.total_rows, job.valid_rows, job.error_rows) == (6, 0, 6)


def test_import_residents__blank_rows_are_skipped_and_row_numbers_kept(people, tree, jobs):
    content = xlsx(
        [
            row(tree.grid_a.code, "王秀英", ID1),
            [None] * 11,
            ["", " ", "", "", "", "", "", "", "", "", ""],
            row(tree.grid_a.code, "李建国", "123"),
        ],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert (job.total_rows, job.valid_rows, job.error_rows) == (2, 1, 1)
    assert [e["row"] for e in job.errors] == [5]


def test_import_residents__example_row_left_in_is_skipped(people, tree, jobs):
    from gongzhi.imports.formats import RESIDENTS

    example = [RESIDENTS.example_row()[c.key] for c in RESIDENTS.columns]
    content = xlsx([example, row(tree.grid_a.code, "王秀英", ID1)], kind="residents")
    job = jobs.load(people.gw_a, "residents", content)
    assert job.total_rows == 1 and list(Resident.objects.values_list("name", flat=True)) == [
        "王秀英"
    ]


def test_import_residents__optional_columns_left_out_are_kept(people, tree, building, jobs):
    jobs.load(
        people.gw_a,
        "residents",
        xlsx(
            [
                row(
                    tree.grid_a.code,
                    "王秀英",
                    ID1,
                    "13912345678",
                    "常住",
                    "户主",
                    building.name,
                    "",
                    "301",
                    "党员",
                )
            ],
            kind="residents",
        ),
    )
    job = jobs.load(
        people.gw_a,
        "residents",
        xlsx([[tree.grid_a.code, "王秀英（改）", ID1]], headers=["网格编码", "姓名", "身份证号"]),
    )
    assert job.updated_count == 1
    r = Resident.objects.get()
    assert r.name == "王秀英（改）"
    assert (r.residence_type, r.relationship, r.household.room) == ("resident", "head", "301")
    assert list(r.tags.values_list("name", flat=True)) == ["党员"]
    assert pii.open_phone(r) == "13912345678"


def test_import_residents__unknown_tag_list_is_the_editable_list(people, tree, jobs):
    Tag.objects.create(name="新标签")
    Tag.objects.filter(name="党员").update(is_active=False)
    content = xlsx([row(tree.grid_a.code, "王秀英", ID1, tags="新标签，党员")], kind="residents")
    job = jobs.upload(people.gw_a, "residents", content)
    assert _errors(job) == [(2, "标签", _("Unknown tag: %(name)s.") % {"name": "党员"})]


def test_import_job_create__refused_without_registry_edit(people, tree, jobs):
    from gongzhi.core.errors import PermissionDenied

    for user in (people.leader, people.building_head, people.resident, people.op_sub):
        with pytest.raises(PermissionDenied):
            jobs.upload(
                user, "residents", xlsx([row(tree.grid_a.code, "王秀英", ID1)], kind="residents")
            )
    assert not ImportJob.objects.exists()


def test_import_residents__a_building_of_a_micro_grid_is_found_by_its_grid(people, tree, jobs):
    """The template's example: the grid's code and a building registered in one of its
    micro-grids. Two of the same name under one grid need the micro-grid's code."""
    from gongzhi.factories import OrgUnitFactory

    micro_a2 = OrgUnitFactory(
        code="990101001001001002", name="第1网格2号微网格", level="microgrid", parent=tree.grid_a
    )
    Building.objects.create(grid=tree.micro_a1, org_code=tree.micro_a1.code, name="桂园1号楼")
    Building.objects.create(grid=tree.micro_a1, org_code=tree.micro_a1.code, name="桂园2号楼")
    Building.objects.create(grid=micro_a2, org_code=micro_a2.code, name="桂园2号楼")
    content = xlsx(
        [
            row(tree.grid_a.code, "王秀英", ID1, building="桂园1号楼", room="101"),
            row(tree.grid_a.code, "李建国", ID2, building="桂园2号楼", room="102"),
            row(micro_a2.code, "张三", ID3, building="桂园2号楼", room="103"),
        ],
        kind="residents",
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert _errors(job) == [
        (
            3,
            "网格编码",
            _(
                "Buildings of this name are registered in several micro-grids of the grid: "
                "give the micro-grid's code."
            ),
        )
    ]
    assert job.valid_rows == 2
