"""The import API: upload → job, status, errors, confirm; a job is its uploader's only."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from gongzhi.imports.models import ImportJob
from gongzhi.imports.tests.conftest import id_number, xlsx
from gongzhi.registry.models import Resident

ID1 = id_number("41031119800101001")


def _content(tree, bad=3):
    rows = [[tree.grid_a.code, "王秀英", ID1]] + [[tree.grid_a.code, "", ""]] * bad
    return xlsx(rows, headers=["网格编码", "姓名", "身份证号"])


def _upload(client, capture, content, kind="residents", name="居民.xlsx"):
    with capture(execute=True):
        return client.post(
            "/api/v1/imports/jobs", {"kind": kind, "file": SimpleUploadedFile(name, content)}
        )


def test_api_import__upload_poll_errors_confirm(
    people, tree, login, django_capture_on_commit_callbacks
):
    client = login(people.gw_a)
    response = _upload(client, django_capture_on_commit_callbacks, _content(tree))
    assert response.status_code == 201, response.content
    body = response.json()
    job_id = body["id"]
    assert (body["kind"], body["filename"]) == ("residents", "居民.xlsx")

    status = client.get(f"/api/v1/imports/jobs/{job_id}").json()
    assert status["status"] == "validated" and status["progress_percent"] == 100
    assert (status["total_rows"], status["valid_rows"], status["error_rows"]) == (4, 1, 3)
    assert status["error_count"] == 6

    seen, cursor = [], None
    while True:
        url = f"/api/v1/imports/jobs/{job_id}/errors?limit=4" + (
            f"&cursor={cursor}" if cursor else ""
        )
        page = client.get(url).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 6
    assert seen[0] == {"row": 3, "column": "姓名", "message": _("This field is required.")}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/jobs/{job_id}/confirm")
    assert response.status_code == 202
    done = client.get(f"/api/v1/imports/jobs/{job_id}").json()
    assert (done["status"], done["created_count"], done["updated_count"]) == ("done", 1, 0)
    assert Resident.objects.count() == 1

    again = client.post(f"/api/v1/imports/jobs/{job_id}/confirm")
    assert again.status_code == 409 and again.json()["code"] == "not_ready"


def test_api_import__another_users_job_is_the_404_of_a_missing_one(
    people, tree, login, django_capture_on_commit_callbacks
):
    job_id = _upload(login(people.gw_a), django_capture_on_commit_callbacks, _content(tree)).json()[
        "id"
    ]
    other = login(people.community_worker)
    for path in ("", "/errors"):
        theirs = other.get(f"/api/v1/imports/jobs/{job_id}{path}")
        missing = other.get(f"/api/v1/imports/jobs/999999{path}")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json() and theirs.json()["code"] == "not_found"
    assert other.post(f"/api/v1/imports/jobs/{job_id}/confirm").status_code == 404
    assert ImportJob.objects.get().status == "validated"


def test_api_import__refusals_use_the_error_shape(people, tree, login, settings):
    client = login(people.gw_a)
    bad_kind = client.post(
        "/api/v1/imports/jobs", {"kind": "cars", "file": SimpleUploadedFile("a.xlsx", b"x")}
    )
    assert bad_kind.status_code == 422 and bad_kind.json()["code"] == "validation_error"
    not_xlsx = client.post(
        "/api/v1/imports/jobs",
        {"kind": "residents", "file": SimpleUploadedFile("a.xlsx", b"name,id\n")},
    )
    assert not_xlsx.status_code == 400
    assert set(not_xlsx.json()) == {"code", "message", "details"}
    assert not_xlsx.json()["code"] == "not_a_workbook"
    leader = login(people.leader).post(
        "/api/v1/imports/jobs",
        {"kind": "residents", "file": SimpleUploadedFile("a.xlsx", _content(tree))},
    )
    assert leader.status_code == 403 and leader.json()["code"] == "forbidden"
    bad_cursor = client.get("/api/v1/imports/jobs/1/errors?cursor=abc")
    assert bad_cursor.status_code == 404  # the job is looked up first
    assert not ImportJob.objects.exists()


def test_api_import__over_the_limit_refused_before_the_body_is_read(people, login):
    client = login(people.gw_a)
    client.handler.enforce_csrf_checks = True  # the session's CSRF check reads the body
    response = client.generic(
        "POST",
        "/api/v1/imports/jobs",
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "file_too_large",
        "message": _("The file is larger than %(mb)d MB. Split it into smaller files.")
        % {"mb": 20},
        "details": None,
    }
    assert not ImportJob.objects.exists()


def test_api_import__anonymous_is_401(db, client):
    assert client.get("/api/v1/imports/jobs/1").status_code == 401
