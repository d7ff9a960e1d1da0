"""The case API's photos (POST /cases/with-photos, the attachments behind the case's scope)
and its pinned query counts."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import ExifTags, Image

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseAttachment, ExtensionRequest
from gongzhi.cases.tests.api_support import (
    API,
    in_progress,
    intake,
    jpeg_with_gps,
    photo,
    post_json,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_new_case_is_answered_without_reading_photos_it_did_not_come_with(
    people, tree, category, login
):
    worker = login(people.gw_a)
    with CaptureQueriesContext(connection) as ctx:
        created = post_json(worker, API, intake(tree, category))
    assert created.status_code == 201
    assert [e["attachments"] for e in created.json()["events"]] == [[]]
    assert not [q for q in ctx.captured_queries if "cases_caseattachment" in q["sql"]]
    # With photos, the answer carries them (read back with the timeline).
    data = intake(tree, category, title="井盖缺失")
    with_photo = worker.post(f"{API}/with-photos", {**data, "photos": [photo()]})
    assert with_photo.status_code == 201, with_photo.content
    assert len(with_photo.json()["events"][0]["attachments"]) == 1


# -- photos ----------------------------------------------------------------------------


def test_photos__stored_without_exif_and_served_to_those_who_see_the_case(
    people, tree, category, login
):
    worker = login(people.gw_a)
    source = jpeg_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    r = worker.post(
        f"{API}/with-photos",
        {**intake(tree, category), "photos": [photo(data=source), photo("b.jpg")]},
    )
    assert r.status_code == 201, r.json()
    case_id = r.json()["id"]
    photos = r.json()["events"][0]["attachments"]
    assert len(photos) == 2 and photos[0]["width"] == 64 and photos[0]["height"] == 48
    att = CaseAttachment.objects.get(pk=photos[0]["id"])
    assert photos[0]["url"] == f"/api/v1/cases/{case_id}/attachments/{att.pk}"
    assert photos[0]["thumb_url"] == f"/api/v1/cases/{case_id}/attachments/{att.pk}/thumb"

    with att.file.open("rb") as fh:
        stored = fh.read()
    img = Image.open(io.BytesIO(stored))
    assert "exif" not in img.info and not img.getexif()
    assert b"Phone" not in stored

    download = worker.get(photos[0]["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/jpeg"
    assert "private" in download["Cache-Control"]
    assert b"".join(download.streaming_content) == stored
    thumb = worker.get(photos[0]["thumb_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(thumb.streaming_content))).format == "JPEG"

    other_grid = login(people.gw_b)
    assert other_grid.get(photos[0]["url"]).status_code == 404
    assert other_grid.get(photos[0]["thumb_url"]).status_code == 404


def test_with_photos__no_photo_is_fine(people, tree, category, login):
    r = login(people.gw_a).post(f"{API}/with-photos", intake(tree, category))
    assert r.status_code == 201, r.json()
    assert r.json()["events"][0]["attachments"] == [] and not CaseAttachment.objects.exists()


def test_photos__an_attachment_of_another_case_is_404(people, tree, category, report, login):
    worker = login(people.gw_a)
    r = worker.post(f"{API}/with-photos", {**intake(tree, category), "photos": [photo()]})
    att_id = r.json()["events"][0]["attachments"][0]["id"]
    other = report()
    assert worker.get(f"{API}/{other.pk}/attachments/{att_id}").status_code == 404


def test_photos__not_an_image_is_400_and_no_case(people, tree, category, login):
    text = SimpleUploadedFile("note.jpg", b"just some text", content_type="image/jpeg")
    r = login(people.gw_a).post(f"{API}/with-photos", {**intake(tree, category), "photos": [text]})
    assert r.status_code == 400 and r.json()["code"] == "invalid_image"
    assert r.json()["details"] == {"reason": "not_an_image"}
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_photos__at_most_nine(people, tree, category, login):
    photos = [photo(f"{i}.jpg") for i in range(10)]
    r = login(people.gw_a).post(f"{API}/with-photos", {**intake(tree, category), "photos": photos})
    # past the schema's bound (maxItems 9)
    assert r.status_code == 422 and r.json()["details"][0]["loc"][-1] == "photos"
    assert not Case.objects.exists()


def test_photos__oversized_upload_is_413(people, tree, category, login):
    r = login(people.gw_a).post(
        f"{API}/with-photos",
        {**intake(tree, category)},
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large"


# -- pinned query counts ---------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries)


# The caller: session, user, positions. Then the endpoint's own reads.
CALLER_QUERIES = 3
LIST_QUERIES = CALLER_QUERIES + 1  # the page, with category, group, grid and department joined
DETAIL_QUERIES = CALLER_QUERIES + 4  # the case, its events, their photos, a pending extension


def _some_cases(n, report, dispatched):
    for i in range(n):
        (dispatched if i % 2 else report)(title=f"问题{i}")


def test_list__query_count_does_not_grow_with_rows(
    people, report, dispatched, login, django_assert_num_queries
):
    operator = login(people.op_sub)
    _some_cases(3, report, dispatched)
    few = _count(operator, f"{API}?queue=all")
    _some_cases(17, report, dispatched)
    with django_assert_num_queries(few):
        body = operator.get(f"{API}?queue=all").json()
    assert len(body["items"]) == 20
    assert few == LIST_QUERIES


def test_detail__query_count_does_not_grow_with_the_timeline(
    people, dispatched, login, django_assert_num_queries
):
    operator = login(people.op_sub)
    short = in_progress(people, dispatched)  # report, dispatch, accept
    few = _count(operator, f"{API}/{short.pk}")
    long = in_progress(people, dispatched)
    for i in range(3):
        services.case_progress(
            actor=people.handler, case_id=long.pk, note=f"进展{i}", photos=[photo()]
        )
    services.case_request_extension(actor=people.handler, case_id=long.pk, days=2, reason="配件")
    with django_assert_num_queries(few):
        body = operator.get(f"{API}/{long.pk}").json()
    assert len(body["events"]) == 7 and body["pending_extension"]["days"] == 2
    assert few == DETAIL_QUERIES


def test_extension_requests__query_count_does_not_grow_with_rows(
    people, dispatched, login, django_assert_num_queries
):
    operator = login(people.op_sub)

    def requests(n):
        for i in range(n):
            case = in_progress(people, dispatched, title=f"延期{i}")
            services.case_request_extension(
                actor=people.handler, case_id=case.pk, days=2, reason="配件"
            )

    requests(1)
    few = _count(operator, f"{API}/extension-requests")
    requests(4)
    with django_assert_num_queries(few):
        body = operator.get(f"{API}/extension-requests").json()
    assert len(body["items"]) == 5 == ExtensionRequest.objects.count()
    assert few == LIST_QUERIES
