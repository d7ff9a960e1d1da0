"""Whole-file problems: each refused with a message that says what to do, nothing written."""

import datetime as dt
import io
import zipfile

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError
from gongzhi.imports import services
from gongzhi.imports.models import ImportJob
from gongzhi.imports.tests.conftest import csv_bytes, id_number, xlsx
from gongzhi.registry.models import Resident

ID1 = id_number("41031119800101001")
ID2 = id_number("41031119851231002")


def _row(grid, name, number):
    return [grid, name, number, "", "", "", "", "", "", "", ""]


def _refused(actor, content, name, code):
    with pytest.raises(DomainError) as exc:
        services.import_job_create(
            actor=actor, kind="residents", upload=SimpleUploadedFile(name, content)
        )
    assert exc.value.code == code
    assert not ImportJob.objects.exists()
    return exc.value


def test_upload__wrong_headers_name_the_missing_and_unknown_columns(people, tree, jobs):
    content = xlsx(
        [[tree.grid_a.code, "王秀英", ID1, "13912345678"]],
        headers=["网格编码", "姓名", "身份证", "电话"],
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert job.status == "failed"
    assert job.message.startswith(
        " ".join(
            [
                _("Missing columns: %(columns)s.") % {"columns": "身份证号"},
                _("Unknown columns: %(columns)s.") % {"columns": "身份证、电话"},
            ]
        )
    )
    assert not Resident.objects.exists() and not job.file


def test_upload__repeated_and_decorated_headers(people, tree, jobs):
    content = xlsx(
        [[tree.grid_a.code, "王秀英", ID1, "x"]],
        headers=["网格编码*", " 姓 名 ", "身份证号", "姓名"],
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert job.status == "failed"
    assert _("Repeated columns: %(columns)s.") % {"columns": "姓名"} in job.message


def test_upload__merged_cells_are_refused_with_their_range(people, tree, jobs):
    content = xlsx(
        [_row(tree.grid_a.code, "王秀英", ID1), _row(tree.grid_a.code, "李建国", ID2)],
        kind="residents",
        merge=(2, 0, 2, 2),
    )
    job = jobs.upload(people.gw_a, "residents", content)
    assert job.status == "failed"
    assert job.message == _(
        "The sheet has merged cells (%(ranges)s). Unmerge them so that each row holds one "
        "record and each cell one value, then upload the file again."
    ) % {"ranges": "A3:C3"}
    assert not Resident.objects.exists()


def test_upload__header_only_or_blank_rows_only_has_no_data(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", xlsx([[None] * 11, [""] * 11], kind="residents"))
    assert (job.status, job.message) == ("failed", _("The file has no data rows below the header."))


def test_upload__blank_sheet_is_refused(people, tree, jobs):
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_worksheet()
    wb.close()
    job = jobs.upload(people.gw_a, "residents", out.getvalue())
    assert (job.status, job.message) == ("failed", _("The file has no header row and no data."))


def test_upload__over_the_size_limit_is_refused_before_reading_it(people, tree):
    class FiftyMegabytes:
        name = "big.xlsx"
        size = 50 * 1024 * 1024

        def __getattr__(self, name):  # read, seek, chunks …: none may be called
            raise AssertionError(f"the upload was touched: {name}")

    with pytest.raises(DomainError) as exc:
        services.import_job_create(actor=people.gw_a, kind="residents", upload=FiftyMegabytes())
    assert (exc.value.code, exc.value.status) == ("file_too_large", 413)
    assert exc.value.message == _(
        "The file is larger than %(mb)d MB. Split it into smaller files."
    ) % {"mb": 20}
    assert not ImportJob.objects.exists()


def test_upload__declared_size_that_lies_is_caught_while_reading(people, tree, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    upload = SimpleUploadedFile("a.xlsx", b"PK\x03\x04" + b"0" * 5000)
    upload.size = 10
    with pytest.raises(DomainError) as exc:
        services.import_job_create(actor=people.gw_a, kind="residents", upload=upload)
    assert exc.value.code == "file_too_large"
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (
            b"\xef\xbb\xbf\xe7\xbd\x91\xe6\xa0\xbc,\xe5\xa7\x93\xe5\x90\x8d\n",
            "renamed.xlsx",
            "not_a_workbook",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "scan.xlsx", "not_a_workbook"),
        (b"", "empty.xlsx", "empty_file"),
        (b"", "empty.csv", "empty_file"),
        (b"PK\x03\x04rest", "book.csv", "not_csv"),
        (b"GIF89a\x00\x00", "photo.csv", "not_csv"),
        (b"a,b\n", "notes.txt", "unsupported_type"),
        (b"a,b\n", "old.xls", "unsupported_type"),
    ],
)
def test_upload__not_what_its_name_says_is_refused_at_once(people, tree, content, name, code):
    exc = _refused(people.gw_a, content, name, code)
    expected = {
        "not_a_workbook": _(
            "The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
            "an .xlsx workbook or a CSV file, and upload it again."
        ),
        "empty_file": _("The file is empty."),
        "not_csv": _(
            "The file is not a CSV text file. Save it as CSV (UTF-8) and upload it again."
        ),
        "unsupported_type": _("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
    }
    assert exc.message == expected[code]


def test_upload__zip_that_is_not_a_workbook_fails_its_check(people, tree, jobs):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    job = jobs.upload(people.gw_a, "residents", out.getvalue(), name="report.xlsx")
    assert job.status == "failed"
    assert job.message == _(
        "The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
        "an .xlsx workbook or a CSV file, and upload it again."
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_upload__csv_in_utf8_with_or_without_bom_or_gb18030(people, tree, jobs, encoding):
    rows = [
        [
            tree.grid_a.code,
            "王秀英",
            ID1,
            "13912345678",
            "户籍",
            "户主",
            "",
            "",
            "",
            "老年人、党员",
            "独居",
        ],
        [tree.grid_a.code, "李建国", ID2, "", "流动", "", "", "", "", "", ""],
    ]
    job = jobs.load(
        people.gw_a, "residents", csv_bytes(rows, kind="residents", encoding=encoding), "名单.csv"
    )
    assert (job.created_count, job.error_rows) == (2, 0)
    wang = Resident.objects.get(name="王秀英")
    assert wang.note == "独居" and wang.tags.count() == 2


def test_upload__csv_row_numbers_and_quoted_cells(people, tree, jobs):
    content = (
        "网格编码,姓名,身份证号,备注\r\n"
        f'{tree.grid_a.code},王秀英,{ID1},"住 3 楼, 独居"\r\n'
        "\r\n"
        f"{tree.grid_a.code},,{ID2},\r\n"
    ).encode()
    job = jobs.upload(people.gw_a, "residents", content, "a.csv")
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "姓名")]
    job = jobs.confirm(people.gw_a, job)
    assert Resident.objects.get().note == "住 3 楼, 独居"


def test_upload__csv_that_is_neither_utf8_nor_gb18030(people, tree, jobs):
    content = "网格编码,姓名,身份证号\r\n".encode() + b"\x81\x20\xff\xfe,\x80,\x81\r\n"
    job = jobs.upload(people.gw_a, "residents", content, "a.csv")
    assert job.status == "failed"
    assert job.message == _(
        "The CSV file is neither UTF-8 nor GB18030 text. Save it as CSV (UTF-8)."
    )


def _big_residents_file(path, n, grid_code):
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["网格编码", "姓名", "身份证号", "手机", "标签"])
    for i in range(1, n + 1):
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=i // 1000)
        number = id_number(f"410311{birth:%Y%m%d}{i % 1000:03d}")  # unique per row
        ws.write_string(i, 0, grid_code)
        ws.write_string(i, 1, f"居民{i}")
        ws.write_string(i, 2, number)
        ws.write_string(i, 3, f"139{i:08d}")
        if i % 20 == 0:
            ws.write_string(i, 4, "老年人")
    wb.close()


def test_upload__a_file_of_several_batches_runs_as_background_jobs(people, tree, jobs, tmp_path):
    # Three batches of the write phase, the last one short. The speed of large files is
    # measured by bench/import_residents.py (100,000 rows), not here.
    n = 2 * services.BATCH_ROWS + 100
    path = tmp_path / "big.xlsx"
    _big_residents_file(path, n, tree.grid_a.code)
    job = jobs.upload(people.gw_a, "residents", path.read_bytes())
    assert (job.status, job.total_rows, job.valid_rows) == ("validated", n, n), job.message
    job = jobs.confirm(people.gw_a, job)
    assert (job.status, job.created_count, job.processed_rows) == ("done", n, n)
    assert Resident.objects.count() == n
    assert Resident.tags.through.objects.count() == n // 20


def test_upload__file_without_a_header_row_does_not_store_its_data_in_the_message(
    people, tree, jobs
):
    job = jobs.upload(
        people.gw_a,
        "residents",
        xlsx([], headers=[tree.grid_a.code, "王秀英", ID1, "13912345678"]),
    )
    assert job.status == "failed"
    assert ID1 not in job.message and "13912345678" not in job.message
    assert "王秀英" in job.message  # short text is repeated so the row can be recognised
