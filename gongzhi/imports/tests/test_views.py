"""The pages: import home, job detail with progress and errors, templates, exports."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from gongzhi.core.models import AuditLog
from gongzhi.imports.formats import FORMATS
from gongzhi.imports.models import ImportJob
from gongzhi.imports.tests.conftest import id_number, xlsx
from gongzhi.registry.models import Resident

ID1 = id_number("41031119800101001")
ID2 = id_number("41031119851231002")
BAD_CHECK = ID2[:-1] + ("1" if ID2[-1] != "1" else "2")


def _file(tree):
    return xlsx(
        [
            [tree.grid_a.code, "王秀英", ID1],
            [tree.grid_a.code, "李建国", BAD_CHECK],
            [tree.grid_a.code, "张三", ID2],
        ],
        headers=["网格编码", "姓名", "身份证号"],
    )


def test_import_home__renders_for_registry_editors(people, login):
    response = login(people.gw_a).get(reverse("import_home"))
    assert response.status_code == 200
    html = response.content.decode()
    for kind in FORMATS:
        assert reverse("import_template", args=[kind]) in html
    assert 'enctype="multipart/form-data"' in html and reverse("export_residents") in html


@pytest.mark.parametrize("who", ["leader", "building_head", "resident", "handler", "op_sub"])
def test_import_home__forbidden_without_registry_edit(people, login, who):
    client = login(getattr(people, who))
    assert client.get(reverse("import_home")).status_code == 403
    assert client.get(reverse("import_template", args=["residents"])).status_code == 403


def test_import_home__anonymous_is_sent_to_sign_in(db, client):
    response = client.get(reverse("import_home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_upload_page_to_result(people, tree, login, django_capture_on_commit_callbacks):
    client = login(people.gw_a)
    upload = SimpleUploadedFile("居民.xlsx", _file(tree))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_home"), {"kind": "residents", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "import_detail", args=[job.pk]
    )
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<td>3</td><td>身份证号</td>" in html
    assert _("The ID number's check digit is wrong.") in html
    assert reverse("import_confirm", args=[job.pk]) in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["张三", "王秀英"]
    html = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert _("The import is finished.") in html
    assert reverse("import_confirm", args=[job.pk]) not in html
    home = client.get(reverse("import_home")).content.decode()
    assert reverse("import_detail", args=[job.pk]) in home  # 我的导入


def test_upload_page__refused_file_shows_the_reason(people, tree, login):
    client = login(people.gw_a)
    upload = SimpleUploadedFile("名单.xlsx", "姓名,身份证号\n".encode())
    response = client.post(reverse("import_home"), {"kind": "residents", "file": upload})
    assert response.status_code == 400
    message = _(
        "The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
        "an .xlsx workbook or a CSV file, and upload it again."
    )
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_page__over_the_limit_is_refused_before_the_body_is_read(people, login):
    client = login(people.gw_a)
    client.handler.enforce_csrf_checks = True  # the CSRF check would read the body
    response = client.generic(
        "POST",
        reverse("import_home"),
        b"--x--",  # far shorter than declared: reading it would fail the test client
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert (
        _("The file is larger than %(mb)d MB. Split it into smaller files.") % {"mb": 20}
        in response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_upload_page__just_over_the_limit_by_its_real_size(people, login, settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    client = login(people.gw_a)
    upload = SimpleUploadedFile("a.xlsx", b"PK\x03\x04" + b"0" * 100_100)
    response = client.post(reverse("import_home"), {"kind": "residents", "file": upload})
    assert response.status_code == 413
    assert not ImportJob.objects.exists()


def test_upload_page__csrf_still_checked(people, tree, login):
    client = login(people.gw_a)
    client.handler.enforce_csrf_checks = True
    upload = SimpleUploadedFile("a.xlsx", _file(tree))
    response = client.post(reverse("import_home"), {"kind": "residents", "file": upload})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_progress__polls_while_running_and_reloads_when_done(people, tree, login, jobs):
    client = login(people.gw_a)
    job = jobs.upload(people.gw_a, "residents", _file(tree))
    ImportJob.objects.filter(pk=job.pk).update(status="validating", processed_rows=1)
    url = reverse("import_progress", args=[job.pk])
    running = client.get(url)
    assert running.status_code == 200 and "HX-Refresh" not in running.headers
    assert f'hx-get="{url}"' in running.content.decode()
    assert 'hx-trigger="every 2s"' in running.content.decode()
    detail = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert f'hx-get="{url}"' in detail
    ImportJob.objects.filter(pk=job.pk).update(status="validated")
    done = client.get(url)
    assert done.headers["HX-Refresh"] == "true" and "hx-get" not in done.content.decode()


def test_detail__errors_are_paginated(people, tree, login, jobs):
    rows = [[tree.grid_a.code, "", ""] for _ in range(60)]
    job = jobs.upload(
        people.gw_a, "residents", xlsx(rows, headers=["网格编码", "姓名", "身份证号"])
    )
    assert job.error_count == 120
    client = login(people.gw_a)
    first = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert first.count("<tr><td>") == 50 and "?page=2" in first
    third = client.get(reverse("import_detail", args=[job.pk]) + "?page=3").content.decode()
    assert third.count("<tr><td>") == 20


def test_detail__another_users_job_is_404(people, tree, login, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree))
    client = login(people.gw_b)
    for name in ("import_detail", "import_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
        assert client.get(reverse(name, args=[999999])).status_code == 404
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == "validated"


def test_template__option_names_that_look_like_formulas_stay_text(people, login, jobs):
    from gongzhi.core.tests.xlsx_support import assert_text_kept
    from gongzhi.registry.models import PremisesCategory, Tag

    PremisesCategory.objects.create(name='=HYPERLINK("http://x.cn","点")')
    Tag.objects.create(name="@SUM(A1:A9)")

    response = login(people.gw_a).get(reverse("import_template", args=["premises"]))

    assert_text_kept(response.content, ['=HYPERLINK("http://x.cn","点")', "@SUM(A1:A9)"])


@pytest.mark.parametrize("kind", list(FORMATS))
def test_template__download_per_kind(people, login, jobs, kind):
    response = login(people.gw_a).get(reverse("import_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert workbook.sheet_names[1:] == ["填写说明", "选项"]
    data = workbook.get_sheet_by_index(0).to_python()
    fmt = FORMATS[kind]
    assert data[0] == [c.header for c in fmt.columns]
    assert data[1] == [c.example for c in fmt.columns]
    notes = workbook.get_sheet_by_name("填写说明").to_python()
    noted = {row[0] for row in notes}
    assert {c.header for c in fmt.columns} <= noted
    options = workbook.get_sheet_by_name("选项").to_python()
    assert "沿街门店" in [row[3] for row in options]
    # Uploaded unchanged, the template has no data: its example row is skipped.
    job = jobs.upload(people.gw_a, kind, response.content)
    assert (job.status, job.message) == ("failed", _("The file has no data rows below the header."))


def test_exports__pages_send_files_and_audit(people, tree, login):
    client = login(people.leader)
    for name in ("export_residents", "export_buildings", "export_premises"):
        response = client.get(reverse(name), {"within": tree.grid_a.code, "tag_id": "x"})
        assert response.status_code == 200, name
        assert "attachment" in response["Content-Disposition"]
        body = b"".join(response.streaming_content)
        assert body.startswith(b"PK")
    assert AuditLog.objects.filter(action="registry.exported").count() == 3


def test_exports__refused_for_those_without_registry_view(people, login):
    client = login(people.resident)
    assert client.get(reverse("export_residents")).status_code == 403
    assert not AuditLog.objects.exists()


def test_exports__too_many_rows_is_an_error_page(people, tree, login, settings):
    Resident.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="甲")
    Resident.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="乙")
    settings.EXPORT_MAX_ROWS = 1
    response = login(people.admin).get(reverse("export_residents"))
    assert response.status_code == 400
    assert "2" in response.content.decode()


def test_exports__the_residents_list_query_string_works_as_is(people, tree, login):
    from gongzhi.registry.models import Tag

    tagged = Resident.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="甲")
    tagged.tags.add(Tag.objects.get(name="党员"))
    Resident.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="乙")
    tag = Tag.objects.get(name="党员")
    response = login(people.gw_a).get(
        reverse("export_residents"), {"q": "", "residence_type": "", "tag": tag.pk}
    )
    body = io.BytesIO(b"".join(response.streaming_content))
    rows = CalamineWorkbook.from_filelike(body).get_sheet_by_index(0).to_python()
    assert [r[2] for r in rows[1:]] == ["甲"]
    audit = AuditLog.objects.get(action="registry.exported")
    assert audit.changes["filters"] == {"tag_id": tag.pk}
