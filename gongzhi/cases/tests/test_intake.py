"""Intake (case_report): what a report must hold, where it lies, its photos, the sealed
phone, and retries with an Idempotency-Key. A refused report stores nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseAttachment, CaseEvent, Category, State
from gongzhi.cases.services import Invalid
from gongzhi.cases.tests.support import Clock, at
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.images import MAX_UPLOAD_BYTES, ImageRejected
from gongzhi.core.models import AuditLog
from gongzhi.core.workflow import IllegalTransition
from gongzhi.registry.models import Building

# Points in the boundaries of gongzhi/orgs/tests/conftest.py.
IN_GRID_A = (112.415, 34.63)  # grid A, outside its micro-grid A1
IN_MICRO_A1 = (112.405, 34.61)
IN_GRID_B = (112.43, 34.62)
IN_NO_GRID = (112.30, 34.62)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _nothing_stored():
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not CaseAttachment.objects.exists()
    assert not AuditLog.objects.filter(action="case.report").exists()


def _image_bytes(fmt="JPEG", size=(64, 48), **params) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "orange").save(buf, fmt, **params)
    return buf.getvalue()


def _upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.Model] = "Camera 12"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (34.0, 37.0, 12.0), 3: "E", 4: (112.0, 24.0, 30.0)}
    )
    data = _image_bytes(exif=exif, comment=b"secret spot")
    with Image.open(io.BytesIO(data)) as img:  # the source does carry the GPS block
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


# -- what a report holds -------------------------------------------------------------


def test_report__numbers_run_per_day(people, report, monkeypatch):
    clock = Clock(at(2026, 9, 30, 9)).install(monkeypatch)
    first, second = report(), report(title="另一件")
    assert (first.number, second.number) == ("SJ20260930000001", "SJ20260930000002")
    clock.set(2026, 10, 1, 0, 5)
    assert report(title="第二天").number == "SJ20261001000001"


def test_report__the_title_defaults_from_the_category_and_description(people, report, category):
    case = report(title="", description="路边堆着垃圾")
    assert case.title == f"{category.name}：路边堆着垃圾"


def test_report__the_phone_is_sealed_and_revealed_only_with_an_audit_row(people, report):
    case = report(reporter_name="王大妈", reporter_phone="13812345678")
    assert case.reporter_phone_masked == "138****5678"
    assert "13812345678" not in case.reporter_phone_enc + case.reporter_phone_hash
    with pytest.raises(PermissionDenied):  # a grid worker sees the masked number only
        services.case_reveal_phone(actor=people.gw_a, case_id=case.pk)
    assert services.case_reveal_phone(actor=people.op_sub, case_id=case.pk) == "13812345678"
    log = AuditLog.objects.get(action="case.reveal_phone")
    assert log.actor == people.op_sub and "13812345678" not in str(log.changes)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "", "description": ""}, "description"),
        ({"title": "   ", "description": " \n "}, "description"),
        ({"title": "长" * 101}, "title"),
        ({"description": "长" * 2001}, "description"),
        ({"reporter_name": "名" * 51}, "reporter_name"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"urgency": "whenever"}, "urgency"),
        ({"category_id": None}, "category_id"),
        ({"category_id": "abc"}, "category_id"),
        ({"category_id": "group"}, "category_id"),
        ({"category_id": "inactive"}, "category_id"),
        ({"grid_id": None}, "location"),
        ({"grid_id": None, "lng": "east", "lat": "north"}, "location"),
        ({"grid_id": None, "lng": 2.35, "lat": 48.85}, "location"),  # not in China
    ],
)
def test_report__bad_fields_are_invalid_and_nothing_is_stored(people, report, fields, field):
    if fields.get("category_id") == "group":
        fields["category_id"] = Category.objects.filter(parent=None).first().pk
    if fields.get("category_id") == "inactive":
        leaf = Category.objects.filter(parent__isnull=False).last()
        Category.objects.filter(pk=leaf.pk).update(is_active=False)
        fields["category_id"] = leaf.pk
    with pytest.raises(Invalid) as exc:
        report(**fields)
    assert (exc.value.status, exc.value.code) == (400, "invalid")
    assert field in exc.value.details, exc.value.details
    _nothing_stored()


def test_report__every_error_of_a_form_comes_in_one_round(people, report):
    """No text, no place and ten photos: all three said at once, not one per submit."""
    photos = [_upload(_image_bytes(), f"{i}.jpg") for i in range(10)]
    with pytest.raises(Invalid) as exc:
        report(title="", description="", grid_id=None, photos=photos)
    assert {"description", "photos"} <= set(exc.value.details)
    assert set(exc.value.details) - {"description", "photos"}  # and the place's
    _nothing_stored()


def test_report__a_description_at_the_limit_is_fine(people, report):
    case = report(title="长" * 100, description="长" * 2000)
    assert len(case.title) == 100 and len(case.description) == 2000


@pytest.mark.parametrize("who", ["resident", "nobody"])
def test_report__only_those_who_may_report(people, report, who):
    with pytest.raises(PermissionDenied):
        report(actor=getattr(people, who))
    _nothing_stored()


def test_report__a_building_head_reports_in_their_micro_grid(people, tree, report):
    case = report(actor=people.building_head, grid_id=tree.micro_a1.pk, channel="resident")
    assert case.org_code == tree.micro_a1.code and case.channel == "resident"
    with pytest.raises(NotFound):
        report(actor=people.building_head, grid_id=tree.grid_b.pk)


def test_report__an_unknown_kind_is_refused(people, report):
    with pytest.raises(DomainError) as exc:
        report(kind="no_such_kind")
    assert exc.value.code == "unknown_kind"
    _nothing_stored()


# -- photos --------------------------------------------------------------------------


def test_photo__stored_cleaned_without_exif_or_gps(people, report):
    case = report(photos=[_upload(_gps_jpeg())])
    att = CaseAttachment.objects.get(case=case)
    assert att.event == case.events.get(action="report") and att.uploaded_by == people.gw_a
    assert (att.content_type, att.width, att.height) == ("image/jpeg", 64, 48)
    for stored in (att.file, att.thumb):
        with stored.open("rb") as fh, Image.open(fh) as img:
            assert img.format == "JPEG"
            assert dict(img.getexif()) == {}
            assert "exif" not in img.info and "comment" not in img.info
    assert att.size == att.file.size
    assert f"/{case.pk}/" in att.file.name


def test_photo__png_and_webp_are_accepted(people, report):
    case = report(
        photos=[
            _upload(_image_bytes("PNG"), "a.png", "image/png"),
            _upload(_image_bytes("WEBP"), "b.webp", "image/webp"),
        ]
    )
    assert case.attachments.count() == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.4 not a photo at all", "not_an_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_an_image"),
        (b"", "empty"),
        (_image_bytes("BMP"), "not_an_image"),
        (b"\xff\xd8\xff" + b"\0" * (MAX_UPLOAD_BYTES - 2), "too_large"),  # 10 MB + 1 byte
    ],
)
def test_photo__not_an_image_or_too_large_is_refused_and_nothing_stored(
    people, report, data, reason
):
    good = _upload(_image_bytes())
    with pytest.raises(ImageRejected) as exc:
        report(photos=[good, _upload(data, "x.jpg")])
    assert (exc.value.status, exc.value.code) == (400, "invalid_image")
    assert exc.value.details == {"reason": reason}
    _nothing_stored()


def test_photo__at_most_nine(people, report):
    photos = [_upload(_image_bytes(), f"{i}.jpg") for i in range(10)]
    with pytest.raises(Invalid) as exc:
        report(photos=photos)
    assert exc.value.details == {"photos": ["too_many"]}
    _nothing_stored()
    assert report(photos=photos[:9]).attachments.count() == 9


def test_photo__a_refused_photo_on_a_later_step_changes_nothing(people, dispatched):
    case = services.case_accept(actor=people.handler, case_id=dispatched().pk)
    events = case.events.count()
    with pytest.raises(ImageRejected):
        services.case_handle(
            actor=people.handler, case_id=case.pk, result="好了", photos=[_upload(b"nope")]
        )
    case.refresh_from_db()
    assert (case.state, case.events.count(), case.attachments.count()) == (
        State.IN_PROGRESS,
        events,
        0,
    )


def test_photo__a_case_out_of_sight_or_an_illegal_move_is_refused_before_any_photo(
    people, dispatched
):
    case = dispatched()
    junk = _upload(b"not a photo")
    with pytest.raises(NotFound):  # not ImageRejected: the photo is never looked at
        services.case_progress(actor=people.gw_b, case_id=case.pk, note="x", photos=[junk])
    with pytest.raises(IllegalTransition):  # not accepted yet
        services.case_progress(actor=people.handler, case_id=case.pk, note="x", photos=[junk])
    assert not CaseAttachment.objects.exists()


# -- where ---------------------------------------------------------------------------


def test_location__a_point_outside_every_grid_is_refused(people, bounded, report):
    with pytest.raises(Invalid) as exc:
        report(actor=people.op_sub, grid_id=None, lng=IN_NO_GRID[0], lat=IN_NO_GRID[1])
    assert exc.value.code == "outside_grids" and "location" in exc.value.details
    _nothing_stored()


@pytest.mark.parametrize(
    ("point", "unit"), [(IN_GRID_A, "grid_a"), (IN_MICRO_A1, "micro_a1"), (IN_GRID_B, "grid_b")]
)
def test_location__a_point_resolves_to_its_grid(people, bounded, report, point, unit):
    case = report(actor=people.op_sub, grid_id=None, lng=point[0], lat=point[1])
    grid = getattr(bounded, unit)
    assert (case.grid, case.org_code) == (grid, grid.code)
    assert (case.lng, case.lat) == point


def test_location__a_gcj02_point_is_converted_before_it_is_located(people, bounded, report):
    import prcoords

    c = prcoords.wgs_gcj(prcoords.Coords(34.63, 112.439))  # grid B, near its east edge
    case = report(actor=people.op_sub, grid_id=None, lng=c.lon, lat=c.lat, crs="gcj02")
    assert case.grid == bounded.grid_b
    assert abs(case.lng - 112.439) < 1e-5 and abs(case.lat - 34.63) < 1e-5


def test_location__a_point_outside_the_reporters_area_is_refused(people, bounded, report):
    with pytest.raises(Invalid) as exc:
        report(grid_id=None, lng=IN_GRID_B[0], lat=IN_GRID_B[1])  # gw_a reports in grid B
    assert exc.value.code == "outside_area"
    _nothing_stored()


def test_location__a_building_resolves_to_its_grid(people, bounded, report):
    building = Building.objects.create(
        grid=bounded.grid_b, org_code=bounded.grid_b.code, name="翠园1号楼",
        address="翠园路1号", lng=IN_GRID_B[0], lat=IN_GRID_B[1],
    )  # fmt: skip
    case = report(actor=people.op_sub, grid_id=None, building_id=building.pk)
    assert (case.grid, case.building, case.address) == (bounded.grid_b, building, "翠园路1号")
    assert (case.lng, case.lat) == IN_GRID_B
    with pytest.raises(NotFound):  # gw_a's area is grid A
        report(grid_id=None, building_id=building.pk)
    with pytest.raises(NotFound):
        report(grid_id=None, building_id=10**9)


def test_location__an_explicit_grid_corrects_the_point(people, bounded, report):
    # The phone put the point just across the line in grid B; the worker knows better.
    case = report(
        actor=people.op_sub, grid_id=bounded.grid_a.pk, lng=IN_GRID_B[0], lat=IN_GRID_B[1]
    )
    assert case.grid == bounded.grid_a and (case.lng, case.lat) == IN_GRID_B


@pytest.mark.parametrize("grid", ["grid_b", "community", "missing"])
def test_location__a_grid_outside_the_area_or_not_a_grid_is_not_found(people, tree, report, grid):
    grid_id = getattr(tree, grid).pk if grid != "missing" else 10**9
    with pytest.raises(NotFound):
        report(grid_id=grid_id)
    _nothing_stored()


# -- retries -------------------------------------------------------------------------


def test_idempotency_key__a_retry_returns_the_same_case(people, report, category, tree):
    kw = {"category_id": category.pk, "title": "井盖缺失", "grid_id": tree.grid_a.pk}
    first, created = services.case_report(actor=people.gw_a, idempotency_key="k-1", **kw)
    # Resent as another client library writes it: the same request, normalized.
    again, created_again = services.case_report(
        actor=people.gw_a, idempotency_key=" k-1 ",
        **{**kw, "category_id": str(category.pk), "title": " 井盖缺失", "address": ""},
    )  # fmt: skip
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.title == "井盖缺失"
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    assert AuditLog.objects.filter(action="case.report").count() == 1
    # The same key with a different report: refused, and the first case is unchanged.
    with pytest.raises(services.IdempotencyConflict) as exc:
        services.case_report(
            actor=people.gw_a, idempotency_key="k-1", **{**kw, "title": "井盖缺失（改）"}
        )
    assert (exc.value.code, exc.value.status) == ("idempotency_conflict", 422)
    assert list(Case.objects.values_list("pk", "title")) == [(first.pk, "井盖缺失")]
    assert CaseEvent.objects.count() == 1
    # The key is the client's own: another user's same key is another report.
    other, created_other = services.case_report(actor=people.gw_b, idempotency_key="k-1", **{
        **kw, "grid_id": tree.grid_b.pk
    })  # fmt: skip
    assert created_other and other.pk != first.pk


@pytest.mark.parametrize("key", ["k" * 65, "键", "a\tb"])
def test_idempotency_key__must_be_short_printable_ascii(people, report, key):
    with pytest.raises(Invalid) as exc:
        report(idempotency_key=key)
    assert exc.value.code == "invalid_idempotency_key"
    _nothing_stored()


def test_a_failed_action_leaves_no_photo_files(people, tree, dispatched, settings, tmp_path):
    """Photo files are written before the rows commit; when a later step of the same
    transaction fails, the rows roll back and the files are removed too."""
    from gongzhi.cases.kinds import CaseKind, register_kind, unregister_kind
    from gongzhi.cases.tests.api_support import photo

    settings.MEDIA_ROOT = tmp_path

    def refuse_progress(case, action, actor, inputs):
        if action == "progress":
            raise DomainError("kind refuses", code="kind_refused")

    register_kind(CaseKind("fragile", "易碎", on_transition=refuse_progress))
    try:
        case = dispatched(kind="fragile")
        services.case_accept(actor=people.handler, case_id=case.pk)
        with pytest.raises(DomainError):
            services.case_progress(
                actor=people.handler, case_id=case.pk, note="现场照片", photos=[photo()]
            )
    finally:
        unregister_kind("fragile")
    assert not CaseAttachment.objects.filter(case=case).exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
