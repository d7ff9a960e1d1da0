"""The resident pages through the Django client: verify a phone, report, follow, rate."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseAttachment, CaseEvent, Rating, State
from gongzhi.registry import pii
from gongzhi.selfservice.models import PhoneCode

from .conftest import OTHER_PHONE, PHONE, jpeg


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages in the msgids' language, so the checks do not depend on the catalog."""
    settings.LANGUAGE_CODE = "en"
    settings.LANGUAGES = [("en", "English")]
    with translation.override("en"):
        yield


def _body(response) -> str:
    return response.content.decode()


def test_pages__need_a_verified_phone(db):
    client = Client()
    for path in ("/my/report/", "/my/reports/", "/my/reports/1/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/my/phone/?next={path}"
    assert client.get("/my/").status_code == 200
    assert client.get("/my/reports/1/photos/1/").status_code == 404


def test_phone__send_then_verify_holds_only_sealed_values(db, clock, last_code):
    client = Client()
    page = client.get("/my/phone/?next=/my/reports/")
    assert page.status_code == 200 and 'type="tel"' in _body(page)
    response = client.post("/my/phone/", {"phone": PHONE, "next": "/my/reports/"})
    assert response.status_code == 302 and response["Location"].startswith("/my/phone/code/")
    page = client.get(response["Location"])
    assert "139****5678" in _body(page) and PHONE not in _body(page)
    old_session = client.session.session_key
    response = client.post("/my/phone/code/", {"code": last_code(), "next": "/my/reports/"})
    assert response["Location"] == "/my/reports/"
    held = client.session["selfservice.phone"]
    assert held["hash"] == pii.phone_hash(PHONE) and PHONE not in str(dict(client.session))
    assert client.session.session_key != old_session
    assert client.get("/my/reports/").status_code == 200


def test_phone__next_goes_only_to_my_pages(db, clock, last_code):
    client = Client()
    client.post("/my/phone/", {"phone": PHONE, "next": "https://evil.example/"})
    response = client.post("/my/phone/code/", {"code": last_code(), "next": "//evil.example/"})
    assert response["Location"] == "/my/report/"


def test_phone__a_wrong_code_is_refused_with_a_message(db, clock, last_code):
    client = Client()
    client.post("/my/phone/", {"phone": PHONE})
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post("/my/phone/code/", {"code": wrong})
    assert response.status_code == 400
    assert "The code is wrong. 4 attempts left." in _body(response)
    assert "selfservice.phone" not in client.session
    assert client.get("/my/reports/").status_code == 302


def test_phone__an_expired_code_is_refused(db, clock, last_code):
    client = Client()
    client.post("/my/phone/", {"phone": PHONE})
    clock.advance(minutes=11)
    response = client.post("/my/phone/code/", {"code": last_code()})
    assert response.status_code == 400 and "The code has expired" in _body(response)
    assert "selfservice.phone" not in client.session


def test_phone__too_many_codes_is_429_with_a_message(db, clock, sms_log):
    client = Client()
    client.post("/my/phone/", {"phone": PHONE})
    response = client.post("/my/phone/", {"phone": PHONE})
    assert response.status_code == 429
    assert "Too many requests. Please try again in 60 seconds." in _body(response)
    assert len(sms_log()) == 1 and PhoneCode.objects.count() == 1
    response = client.post("/my/phone/code/", {"resend": "1"})  # "send another" too
    assert response.status_code == 429 and len(sms_log()) == 1


def test_phone__too_many_codes_from_one_ip(db, clock, settings, sms_log):
    settings.SELFSERVICE_PER_IP_HOUR = 2
    client = Client(REMOTE_ADDR="198.51.100.20")
    assert client.post("/my/phone/", {"phone": "13900000001"}).status_code == 302
    assert client.post("/my/phone/", {"phone": "13900000002"}).status_code == 302
    response = client.post("/my/phone/", {"phone": "13900000003"})
    assert response.status_code == 429 and len(sms_log()) == 2
    other = Client(REMOTE_ADDR="198.51.100.21")
    assert other.post("/my/phone/", {"phone": "13900000003"}).status_code == 302


def test_phone__a_bad_number_is_400(db, clock, sms_log):
    response = Client().post("/my/phone/", {"phone": "12345"})
    assert response.status_code == 400
    assert "Enter an 11-digit mobile number." in _body(response)
    assert sms_log() == []


def test_verified__expires_after_two_hours(db, clock, verified_client):
    client = verified_client()
    clock.advance(minutes=119)
    assert client.get("/my/reports/").status_code == 200
    clock.advance(minutes=2)
    assert client.get("/my/reports/").status_code == 302


def _report_data(category, building, **kw):
    data = {
        "category_id": category.pk,
        "description": "3号楼门口路灯坏了一周",
        "building_id": building.pk,
        "idempotency_key": "abc123",
    }
    data.update(kw)
    return data


def test_report__the_form_resent_with_other_content_is_refused_with_a_new_key(
    people, tree, clock, category, verified_client, resident_case
):
    client = verified_client()
    first = client.post("/my/report/", _report_data(category, resident_case.building))
    assert first.status_code == 302
    case = Case.objects.get()
    changed = _report_data(category, resident_case.building, description="路灯坏了两周")
    refused = client.post("/my/report/", changed)
    assert refused.status_code == 422
    body = _body(refused)
    assert "A report with other content was already received from this form." in body
    assert 'value="abc123"' not in body and 'name="idempotency_key"' in body  # a new key
    assert list(Case.objects.values_list("pk", "description")) == [
        (case.pk, "3号楼门口路灯坏了一周")
    ]


def test_report__with_a_photo_gives_the_number_at_once(
    people, tree, clock, category, verified_client, resident_case
):
    client = verified_client()
    page = client.get("/my/report/")
    body = _body(page)
    assert page.status_code == 200 and f'value="{category.pk}"' in body
    assert "<optgroup" in body and 'capture="environment"' in body
    assert tree.community.name in body
    # Emergencies are a call first; the form asks nothing a resident cannot know (a grid).
    assert 'href="tel:119"' in body and "网格" not in body.split("<form", 1)[1]
    data = _report_data(category, resident_case.building, photos=[jpeg()])
    response = client.post("/my/report/", data)
    assert response.status_code == 302, _body(response)[:500]
    case = Case.objects.get()
    assert response["Location"] == f"/my/reports/{case.pk}/?new=1"
    page = client.get(response["Location"])
    assert "Your report has been received." in _body(page) and case.number in _body(page)
    assert case.reporter_phone_hash == pii.phone_hash(PHONE) and case.channel == "resident"
    (att,) = CaseAttachment.objects.filter(case=case)
    photo = client.get(f"/my/reports/{case.pk}/photos/{att.pk}/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    thumb = client.get(f"/my/reports/{case.pk}/photos/{att.pk}/thumb/")
    assert thumb.status_code == 200
    # A retried post (the same form, the same idempotency key) does not make a second case.
    again = client.post(
        "/my/report/", _report_data(category, resident_case.building, photos=[jpeg()])
    )
    assert again["Location"] == f"/my/reports/{case.pk}/?new=1" and Case.objects.count() == 1
    listing = client.get("/my/reports/")
    assert case.number in _body(listing) and "Awaiting acceptance" in _body(listing)


def test_report__refusals_show_a_message_and_store_nothing(
    people, tree, clock, category, verified_client, resident_case
):
    client = verified_client()
    building = resident_case.building
    cases = [
        (_report_data(category, building, description="长" * 2001), 400, "At most 2000"),
        (
            _report_data(
                category,
                building,
                photos=[SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")],
            ),
            400,
            "",
        ),
        (_report_data(category, building, category_id=""), 400, "Choose a category."),
        (_report_data(category, building, building_id=""), 400, "Give the location"),
    ]
    for data, status, message in cases:
        response = client.post("/my/report/", data)
        assert response.status_code == status
        assert 'class="alert alert-error"' in _body(response)
        assert message in _body(response)
        assert "3号楼门口路灯坏了一周" in _body(response) or "长" in _body(response)
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_report__rate_limited_per_phone(
    people, tree, clock, settings, category, verified_client, resident_case
):
    settings.SELFSERVICE_REPORTS_PER_PHONE_HOUR = 1
    client = verified_client()
    building = resident_case.building
    assert client.post("/my/report/", _report_data(category, building)).status_code == 302
    response = client.post("/my/report/", _report_data(category, building, idempotency_key="other"))
    assert response.status_code == 429 and "Too many requests" in _body(response)
    assert Case.objects.count() == 1


def test_buildings__options_in_a_community_public_names_only(tree, resident_case):
    response = Client().get(f"/my/buildings/?community={tree.community.pk}")
    body = _body(response)
    assert "桂园3号楼" in body and "桂园路3号" not in body
    assert "桂园3号楼" not in _body(Client().get(f"/my/buildings/?community={tree.community2.pk}"))


def test_my_reports__only_this_phones_cases(people, tree, clock, verified_client, resident_case):
    mine = resident_case()
    theirs = resident_case(phone=OTHER_PHONE, description="别人的")
    client = verified_client()
    body = _body(client.get("/my/reports/"))
    assert mine.number in body and theirs.number not in body
    assert client.get(f"/my/reports/{theirs.pk}/").status_code == 404
    att = CaseAttachment.objects.filter(case=theirs).first()
    if att:
        assert client.get(f"/my/reports/{theirs.pk}/photos/{att.pk}/").status_code == 404


def test_detail__shows_the_public_timeline_only(
    people, tree, clock, verified_client, resident_case
):
    case = resident_case()
    s = case_services
    s.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    s.case_accept(actor=people.handler, case_id=case.pk)
    s.case_return(actor=people.handler, case_id=case.pk, reason="内部：不归我们管")
    s.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    s.case_accept(actor=people.handler, case_id=case.pk)
    s.case_progress(actor=people.handler, case_id=case.pk, note="内部进展", photos=[jpeg()])
    s.case_handle(actor=people.handler, case_id=case.pk, result="路灯已更换", photos=[jpeg()])
    s.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="内部：没修好")
    s.case_handle(actor=people.handler, case_id=case.pk, result="再次更换灯泡")
    client = verified_client()
    body = _body(client.get(f"/my/reports/{case.pk}/"))
    assert "Sent to 区城市管理局 for handling" in body
    assert "路灯已更换" in body and "再次更换灯泡" in body
    for secret in ("内部：不归我们管", "内部进展", "内部：没修好"):
        assert secret not in body
    for person in (people.handler, people.op_sub):
        assert person.get_display_name() not in body
    handle_photo = CaseAttachment.objects.get(case=case, event__action="handle")
    progress_photo = CaseAttachment.objects.get(case=case, event__action="progress")
    assert f"/photos/{handle_photo.pk}/thumb/" in body
    assert f"/photos/{progress_photo.pk}/" not in body
    assert client.get(f"/my/reports/{case.pk}/photos/{handle_photo.pk}/").status_code == 200
    assert client.get(f"/my/reports/{case.pk}/photos/{progress_photo.pk}/").status_code == 404


def test_rate__after_closure_through_the_page(
    people, tree, clock, verified_client, resident_case, closed
):
    case = closed(resident_case(), photos=[jpeg()])
    client = verified_client()
    body = _body(client.get(f"/my/reports/{case.pk}/"))
    assert "Completed" in body and f'action="/my/reports/{case.pk}/rate/"' in body
    assert 'id="add-info"' not in body
    response = client.post(f"/my/reports/{case.pk}/rate/", {"rating": "satisfied"})
    assert response.status_code == 400 and "Say whether the problem was solved." in _body(response)
    assert Case.objects.get().callback_at is None
    response = client.post(
        f"/my/reports/{case.pk}/rate/", {"solved": "no", "rating": "unsatisfied", "note": "没修好"}
    )
    assert response.status_code == 302
    case.refresh_from_db()  # escalated: reopened one level up (the callback is cleared)
    assert (case.state, case.escalation_level) == (State.REGISTERED, 1)
    callback = CaseEvent.objects.get(case=case, action="callback")
    assert callback.data["rating"] == Rating.UNSATISFIED and callback.actor is None
    body = _body(client.get(f"/my/reports/{case.pk}/"))
    assert "Raised to a higher level for handling" in body and "没修好" in body


def test_add_info__through_the_page(people, tree, clock, verified_client, resident_case):
    case = resident_case()
    client = verified_client()
    response = client.post(
        f"/my/reports/{case.pk}/info/", {"note": "晚上更暗了", "photos": [jpeg()]}
    )
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).latest("at", "id")
    assert event.action == "resident_info" and event.attachments.count() == 1
    body = _body(client.get(f"/my/reports/{case.pk}/"))
    assert "You added information" in body and "晚上更暗了" in body
    response = client.post(
        f"/my/reports/{case.pk}/info/",
        {
            "note": "看",
            "photos": [SimpleUploadedFile("a.gif", b"GIF89a", content_type="image/gif")],
        },
    )
    assert response.status_code == 400 and 'class="alert alert-error"' in _body(response)
    response = client.post(f"/my/reports/{case.pk}/info/", {"note": "x" * 1001})
    assert response.status_code == 400 and "At most 1000" in _body(response)
    assert CaseEvent.objects.filter(case=case, action="resident_info").count() == 1
    other = verified_client(OTHER_PHONE)
    assert other.post(f"/my/reports/{case.pk}/info/", {"note": "x"}).status_code == 404


def test_staff_pages__show_the_resident_rows_without_offering_the_action(
    people, tree, clock, login, resident_case
):
    case = resident_case()
    case_services.case_add_info_by_reporter(
        phone_hash=pii.phone_hash(PHONE), case_id=case.pk, note="补充说明"
    )
    body = _body(login(people.op_sub).get(f"/cases/{case.pk}/"))
    assert "补充说明" in body and "Reporter added information" in body
    assert "/resident_info/" not in body


def test_signout__forgets_the_phone(db, clock, verified_client):
    client = verified_client()
    assert client.post("/my/signout/").status_code == 302
    assert "selfservice.phone" not in client.session
    assert client.get("/my/reports/").status_code == 302


def test_the_logo_leads_residents_home_not_to_the_staff_login(db):
    body = _body(Client().get("/my/"))
    assert '<a class="brand" href="/my/">' in body


def test_my_reports__numbers_in_the_text_are_masked(
    people, tree, clock, verified_client, resident_case
):
    case = resident_case(
        description="楼道灯坏了，找物业 ０３７９－６２３４ ５６７８ 或 +86 138 0000 1111"
    )
    s = case_services
    s.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    s.case_accept(actor=people.handler, case_id=case.pk)
    s.case_handle(actor=people.handler, case_id=case.pk, result="已联系物业经理 13800001111 更换")
    s.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    client = verified_client()
    response = client.post(
        f"/my/reports/{case.pk}/rate/",
        {"solved": "yes", "rating": "satisfied", "note": "谢谢，我的新号码 139-0000-2222"},
    )
    assert response.status_code == 302

    for path in ("/my/reports/", f"/my/reports/{case.pk}/"):
        body = _body(client.get(path))
        for secret in ("62345678", "6234 5678", "00001111", "0000 1111", "0000-2222"):
            assert secret not in body, (path, secret)
    body = _body(client.get(f"/my/reports/{case.pk}/"))
    assert "0379-****5678" in body and "138****1111" in body and "139****2222" in body


def test_my_grid__the_phone_registered_with_a_home_shows_its_grid_worker(
    people, tree, verified_client, resident_case
):
    """我的网格员: the grid, its worker and the service phones of the home the registry has
    for the verified phone; nothing of another grid's."""
    from gongzhi.registry.models import Resident

    tree.grid_a.service_phone = "13911112222"
    tree.grid_a.save()
    Resident.objects.create(
        name="李大爷", grid=tree.grid_a, org_code=tree.grid_a.code, **pii.seal_phone(PHONE)
    )
    page = _body(verified_client().get("/my/grid/"))
    assert people.gw_a.get_display_name() in page and "13911112222" in page
    assert people.gw_b.get_display_name() not in page
    # Another phone the registry does not know: told so, and offered the lookup.
    other = _body(verified_client(OTHER_PHONE).get("/my/grid/"))
    assert people.gw_a.get_display_name() not in other
    assert "no home registered with this phone number" in other


def test_my_grid__anyone_may_look_a_building_up(people, tree, resident_case, db):
    client = Client()
    page = _body(client.get("/my/grid/", {"building": resident_case.building.pk}))
    assert "桂园3号楼" in page and people.gw_a.get_display_name() in page
    assert "Verify your phone number" in page
    # A building that is not one: the lookup form alone, no error.
    for bad in ("999999", "abc", "9" * 30):
        response = client.get("/my/grid/", {"building": bad})
        assert response.status_code == 200 and people.gw_a.get_display_name() not in _body(response)
