"""The case pages: lists per role and reporting a problem (test_case_page.py: a case with
its actions, the extension requests) — through the real views, services and database."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseAttachment, State
from gongzhi.cases.tests.pages_support import body, jpeg, rows_of, t
from gongzhi.registry import services as registry_services


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# -- the lists ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["admin", "op_district", "op_sub", "leader", "community_worker", "gw_a"]
)
def test_case_list__shows_the_case_to_everyone_whose_area_it_is_in(who, people, login, report):
    case = report()
    response = login(getattr(people, who)).get("/cases/", {"queue": "all"})
    assert response.status_code == 200
    assert rows_of(body(response)) == [case.number]


def test_case_list__other_grid_and_department_see_nothing_until_dispatched(
    people, login, report, tree
):
    case = report()
    for user in (people.gw_b, people.handler):
        response = login(user).get("/cases/", {"queue": "all"})
        assert response.status_code == 200 and rows_of(body(response)) == []
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    assert rows_of(body(login(people.handler).get("/cases/", {"queue": "to_accept"}))) == [
        case.number
    ]


def test_case_list__refused_to_those_without_cases(people, login):
    for user in (people.resident, people.nobody):
        assert login(user).get("/cases/").status_code == 404
    assert login(people.building_head).get("/cases/").status_code == 200


def test_case_list__tabs_follow_the_roles(people, login, report):
    report()
    queues = {
        who: re.findall(r'data-queue="(\w+)"', body(login(getattr(people, who)).get("/cases/")))
        for who in ("op_sub", "gw_a", "handler", "leader")
    }
    assert queues["op_sub"][:3] == ["new", "to_dispatch", "overdue"]
    assert {"to_verify", "callback", "supervised"} <= set(queues["op_sub"])
    assert {"to_accept", "handling", "mine", "due_soon"} <= set(queues["gw_a"])
    assert "new" not in queues["gw_a"]
    assert queues["handler"][:2] == ["to_accept", "handling"] and "new" not in queues["handler"]
    assert {"supervised", "escalated", "repeats"} <= set(queues["leader"])
    page = body(login(people.op_sub).get("/cases/"))
    # The count of the selected tab is shown beside its name.
    assert re.search(r'data-queue="new" aria-current="page"><span>[^<]+</span><b>1</b>', page)


def test_case_list__search_by_number_or_title(people, login, report):
    a = report(title="楼道堆放杂物")
    b = report(title="路灯不亮")
    client = login(people.op_sub)
    assert rows_of(body(client.get("/cases/", {"queue": "all", "q": b.number.lower()}))) == [
        b.number
    ]
    assert rows_of(body(client.get("/cases/", {"queue": "all", "q": "杂物"}))) == [a.number]
    assert rows_of(body(client.get("/cases/", {"queue": "all", "q": "SJ19990101000001"}))) == []


def test_case_list__marks_overdue_due_soon_supervised_escalated_and_repeat(
    people, login, report, tree
):
    now = timezone.now()
    overdue = report(title="超期件")
    soon = report(title="临期件")
    for case in (overdue, soon):
        services.case_register(actor=people.op_sub, case_id=case.pk)
    Case.objects.filter(pk=overdue.pk).update(
        due_soon_at=now - dt.timedelta(days=2), due_at=now - dt.timedelta(hours=3)
    )
    Case.objects.filter(pk=soon.pk).update(
        due_soon_at=now - dt.timedelta(hours=1), due_at=now + dt.timedelta(hours=5)
    )
    services.case_supervise(actor=people.op_sub, case_id=overdue.pk, level=2, note="限期办结")
    Case.objects.filter(pk=soon.pk).update(
        escalation_level=1, is_repeat=True, needs_leader_visit=True, repeat_count=3
    )
    page = body(login(people.op_sub).get("/cases/", {"queue": "all"}))
    rows = {
        number: classes
        for classes, number in re.findall(
            r'<li class="case-row ([^"]+)">\s*<a[^>]*>\s*<span class="case-num code">(SJ\d+)', page
        )
    }
    assert rows[overdue.number] == "clock-overdue is-supervised"
    assert rows[soon.number] == "clock-due_soon"
    assert t("Raised-level supervision") in page and 'class="mk mk-sup"' in page
    assert 'class="mk mk-esc"' in page and 'class="mk mk-leader"' in page
    assert 'class="clock clock-overdue"' in page and 'class="clock clock-due_soon"' in page
    overdue_board = body(login(people.op_sub).get("/cases/", {"queue": "overdue"}))
    assert rows_of(overdue_board) == [overdue.number]
    assert rows_of(body(login(people.op_sub).get("/cases/", {"queue": "due_soon"}))) == [
        soon.number
    ]
    assert rows_of(body(login(people.leader).get("/cases/", {"queue": "supervised"}))) == [
        overdue.number
    ]


def test_case_list__keyset_pages_by_date_and_by_deadline(people, login, report):
    made = [report(title=f"问题{i}") for i in range(35)]
    client = login(people.op_sub)
    first = body(client.get("/cases/", {"queue": "all"}))
    cursor = re.search(r"cursor=([\w-]+)", first).group(1)
    second = body(client.get("/cases/", {"queue": "all", "cursor": cursor}))
    listed = rows_of(first) + rows_of(second)
    assert len(rows_of(first)) == 30 and "cursor=" not in second
    assert listed == [c.number for c in sorted(made, key=lambda c: (c.reported_at, c.id))][::-1]
    # By deadline, with cases of equal deadline split across pages.
    due = timezone.now() - dt.timedelta(days=1)
    Case.objects.update(state=State.IN_PROGRESS, due_at=due, due_soon_at=due)
    first = body(client.get("/cases/", {"queue": "overdue"}))
    cursor = re.search(r"cursor=([\w-]+)", first).group(1)
    second = body(client.get("/cases/", {"queue": "overdue", "cursor": cursor}))
    assert rows_of(first) + rows_of(second) == [c.number for c in made]
    # A forged cursor shows the first page.
    assert rows_of(body(client.get("/cases/", {"queue": "overdue", "cursor": "x!"}))) == rows_of(
        first
    )


def test_case_list__query_count_does_not_grow_with_rows(people, login, report):
    client = login(people.op_sub)
    for _i in range(3):
        report()
    client.get("/cases/", {"queue": "all"})  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as three:
        assert len(rows_of(body(client.get("/cases/", {"queue": "all"})))) == 3
    for _i in range(17):
        report()
    with CaptureQueriesContext(connection) as twenty:
        assert len(rows_of(body(client.get("/cases/", {"queue": "all"})))) == 20
    assert len(twenty) == len(three) <= 25, [q["sql"] for q in twenty.captured_queries]


def test_nav__has_cases_for_case_users_only(people, login):
    assert 'href="/cases/"' in body(login(people.gw_a).get("/"))
    assert 'href="/cases/"' in body(login(people.handler).get("/"))
    assert 'href="/cases/"' not in body(login(people.resident).get("/"))


# -- reporting ---------------------------------------------------------------------------


def test_report_form__camera_location_grouped_categories_and_key(people, login, tree):
    page = body(login(people.gw_a).get("/cases/new/"))
    assert re.search(
        r'<input type="file" name="photos" id="id_photos" accept="image/\*" '
        r'capture="environment" multiple',
        page,
    )
    assert "<optgroup" in page and 'name="lng"' in page and 'name="lat"' in page
    assert 'id="locate"' in page and 'name="crs" value="wgs84"' in page
    key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
    assert len(key) == 32
    grids = re.search(r'<select name="grid_id".*?</select>', page, re.S).group(0)
    assert f'value="{tree.grid_a.pk}"' in grids and f'value="{tree.grid_b.pk}"' not in grids
    assert 'name="self_handle"' in page  # grid workers may handle on the spot
    assert 'name="channel"' not in page
    head = body(login(people.building_head).get("/cases/new/"))
    grids = re.search(r'<select name="grid_id".*?</select>', head, re.S).group(0)
    assert 'name="self_handle"' not in head and f'value="{tree.micro_a1.pk}"' in grids
    assert 'name="channel"' in body(login(people.op_sub).get("/cases/new/"))
    assert login(people.handler).get("/cases/new/").status_code == 404
    assert login(people.resident).get("/cases/new/").status_code == 404


def _report_data(category, tree, **kw):
    data = {
        "category_id": category.pk,
        "title": "",
        "description": "小区东门垃圾桶满溢，异味明显",
        "urgency": "normal",
        "grid_id": tree.grid_a.pk,
        "address": "桂园社区东门",
        "reporter_name": "张女士",
        "reporter_phone": "13812345678",
        "idempotency_key": "k-" + "1" * 30,
        "crs": "wgs84",
    }
    data.update(kw)
    return data


def test_report_form__creates_the_case_with_photo_and_redirects(people, login, tree, category):
    data = _report_data(category, tree, photos=[jpeg(), jpeg("b.jpg")])
    client = login(people.gw_a)
    response = client.post("/cases/new/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.state, case.grid, case.reported_by, case.channel) == (
        State.REPORTED,
        tree.grid_a,
        people.gw_a,
        "grid_worker",
    )
    assert case.reporter_phone_masked == "138****5678" and "13812345678" not in str(
        case.reporter_phone_enc
    )
    assert CaseAttachment.objects.filter(case=case).count() == 2
    detail = body(client.get(response["Location"]))
    assert case.number in detail and "138****5678" in detail
    assert f"/api/v1/cases/{case.pk}/attachments/" in detail
    assert t("Reported. The case number is %(n)s.", n=case.number) in detail


def test_report_form__the_same_key_twice_makes_one_case(people, login, tree, category):
    client = login(people.gw_a)
    first = client.post("/cases/new/", _report_data(category, tree))
    second = client.post("/cases/new/", _report_data(category, tree))
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"] == f"/cases/{Case.objects.get().pk}/"
    third = client.post("/cases/new/", _report_data(category, tree, idempotency_key="other"))
    assert third.status_code == 302 and Case.objects.count() == 2


def test_report_form__resent_with_other_content_is_refused_with_a_new_key(
    people, login, tree, category
):
    client = login(people.gw_a)
    client.post("/cases/new/", _report_data(category, tree))
    refused = client.post("/cases/new/", _report_data(category, tree, description="东门垃圾"))
    page = body(refused)
    assert refused.status_code == 400
    assert (
        t(
            "A report with other content was already received from this form. To send "
            "this one as a new report, submit it again."
        )
        in page
    )
    key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
    assert key != "k-" + "1" * 30 and len(key) == 32
    assert list(Case.objects.values_list("description", flat=True)) == [
        "小区东门垃圾桶满溢，异味明显"
    ]
    again = client.post("/cases/new/", _report_data(category, tree, idempotency_key=key,
                                                    description="东门垃圾"))  # fmt: skip
    assert again.status_code == 302 and Case.objects.count() == 2


def test_report_form__bad_input_comes_back_in_place_and_saves_nothing(
    people, login, tree, category
):
    client = login(people.gw_a)
    no_place = client.post("/cases/new/", _report_data(category, tree, grid_id=""))
    assert no_place.status_code == 400
    assert t("Give the location: a point, a building or the grid.") in body(no_place)
    # The key is kept, so fixing the form and sending it again still makes one case.
    assert 'value="k-111111111111111111111111111111"' in body(no_place)
    bad_phone = client.post("/cases/new/", _report_data(category, tree, reporter_phone="12ab"))
    assert bad_phone.status_code == 400 and 'class="field-error"' in body(bad_phone)
    not_image = client.post(
        "/cases/new/",
        _report_data(category, tree, photos=[SimpleUploadedFile("x.jpg", b"not an image")]),
    )
    assert not_image.status_code == 400 and 'class="field-error"' in body(not_image)
    outside = client.post("/cases/new/", _report_data(category, tree, grid_id=tree.grid_b.pk))
    assert outside.status_code == 400  # not a choice of this user's grids
    assert not Case.objects.exists()


def test_report_form__self_handled_goes_to_verification(people, login, tree, category):
    response = login(people.gw_a).post(
        "/cases/new/",
        _report_data(category, tree, self_handle="on", result="已现场清理", photos=[jpeg()]),
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.state, case.self_handled, case.result) == (State.HANDLED, True, "已现场清理")


def test_report_form__building_options_of_a_grid(people, login, tree):
    building = registry_services.building_save(
        actor=people.gw_a, grid_id=tree.grid_a.pk, name="六安公寓1号楼"
    )
    client = login(people.gw_a)
    options = body(client.get("/cases/new/buildings/", {"grid_id": tree.grid_a.pk}))
    assert f'<option value="{building.pk}">六安公寓1号楼</option>' in options
    assert client.get("/cases/new/buildings/", {"grid_id": tree.grid_b.pk}).status_code == 404
    assert f'value="{building.pk}"' in body(client.get("/cases/new/"))
