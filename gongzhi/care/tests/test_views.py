"""Care pages (read in Simplified Chinese, as they are served): the worker's list and
the visit form, the resident's history, the wish pages, the figures; and the public
board, which never shows who the wish is for."""

import pytest
from django.test import Client

from gongzhi.care import services
from gongzhi.care.models import ScheduledState, ScheduledVisit, Visit, Wish, WishClaim
from gongzhi.care.tests.conftest import PHONE_A, VOLUNTEER, photo, visit
from gongzhi.care.tests.test_wishes import TARGET, held
from gongzhi.selfservice import services as my


def verified_client(phone):
    client = Client()
    session = client.session
    sealed = held(phone)
    my.remember(
        session,
        {
            "phone_hash": sealed["hash"],
            "phone_enc": sealed["enc"],
            "phone_masked": sealed["masked"],
        },
    )
    session.save()
    client.cookies["sessionid"] = session.session_key
    return client


@pytest.fixture
def wishes(care, people):
    """A wish in each public state, and one still on the list, all for 王秀英."""
    made = {}
    for n, state in enumerate(("published", "claimed", "confirmed", "collected")):
        w = services.wish_collect(
            actor=people.gw_a, resident_id=care.wang.pk, text=f"私密心愿{n}号"
        )
        made[state] = w
        if state == "collected":
            continue
        services.wish_review(
            actor=people.community_worker,
            wish_id=w.pk,
            publish=True,
            public_title=f"想要一台收音机{n}",
            plan="捐赠",
            target_on=TARGET,
        )
        if state in ("claimed", "confirmed"):
            services.wish_claim_by_volunteer(held=held(), wish_id=w.pk, name="小刘")
        if state == "confirmed":
            services.wish_fulfil(held=held(), wish_id=w.pk, photos=[photo()])
            services.wish_confirm(held=held(PHONE_A), wish_id=w.pk)
    return made


def secrets_of(care):
    r = care.wang
    return [
        r.name,
        r.name[1:],
        PHONE_A,
        PHONE_A[-4:],
        r.phone_masked,
        "六安公寓",
        "桂园小区9号楼",
        "502",
        "桂园路1号",
        "独居",
        "残疾",
        "私密心愿",
    ]


def test_every_public_path_hides_the_resident(care, wishes, people, login):
    anonymous = Client()
    paths = ["/wishes/"] + [f"/wishes/{w.pk}/" for s, w in wishes.items() if s != "collected"]
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        leaked = [s for s in secrets_of(care) if s in page]
        assert leaked == [], (path, leaked)
    board = anonymous.get("/wishes/").content.decode()
    assert "想要一台收音机0" in board and "桂园社区" in board and "已实现 1 / 3" in board
    # The board over the API (for the staff's app) holds the public fields only.
    api = login(people.gw_b).get("/api/v1/care/board").content.decode("unicode_escape")
    assert "想要一台收音机0" in api and [s for s in secrets_of(care) if s in api] == []
    # A wish still under review is not public at all.
    assert anonymous.get(f"/wishes/{wishes['collected'].pk}/").status_code == 404


def test_the_volunteers_page_hides_the_resident_too(care, wishes):
    page = verified_client(VOLUNTEER).get("/my/wishes/").content.decode()
    assert "想要一台收音机1" in page
    assert [s for s in secrets_of(care) if s in page] == []


def test_a_volunteer_claims_on_the_board_page(care, wishes):
    anonymous = Client()
    wish = wishes["published"]
    response = anonymous.post(f"/wishes/{wish.pk}/", {"name": "小王"})
    assert response.status_code == 302 and response["Location"].startswith("/my/phone/")
    assert not WishClaim.objects.filter(wish=wish).exists()
    response = verified_client("13700002222").post(f"/wishes/{wish.pk}/", {"name": "小王"})
    assert response.status_code == 302 and response["Location"] == "/my/wishes/"
    assert Wish.objects.get(pk=wish.pk).state == "claimed"
    again = verified_client("13700003333").post(f"/wishes/{wish.pk}/", {"name": "小李"})
    assert again.status_code == 409  # taken: the page says someone has claimed it
    assert WishClaim.objects.filter(wish=wish).count() == 1


def test_a_resident_sends_and_confirms_on_my_page(care, wishes):
    client = verified_client(PHONE_A)
    response = client.post("/my/wishes/", {"action": "send", "text": "想学用智能手机"})
    assert response.status_code == 302
    assert Wish.objects.filter(text="想学用智能手机", source="online", resident=care.wang).exists()
    assert "想学用智能手机" in client.get("/my/wishes/").content.decode()


def test_the_worker_records_a_visit_on_the_page(care, people, login):
    client = login(people.gw_a)
    page = client.get("/care/").content.decode()
    assert "李建国" in page and "王秀英" in page and "赵大爷" not in page
    form = client.get(f"/care/residents/{care.li.pk}/visit/")
    assert form.status_code == 200
    response = client.post(
        f"/care/residents/{care.li.pk}/visit/",
        {
            "client_id": "page-1",
            "kind": "home",
            "visitor_role": "worker",
            "c_health": "ok",
            "c_heating": "concern",
            "notes": "暖气不热",
            "photos": [photo()],
        },
    )
    assert response.status_code == 302
    v = Visit.objects.get()
    assert v.checklist == {"health": "ok", "heating": "concern"} and v.photos.count() == 1
    assert ScheduledVisit.objects.get(resident=care.li).state == ScheduledState.DONE
    history = client.get(f"/care/residents/{care.li.pk}/").content.decode()
    assert "今年第 1 次走访" in history and "暖气不热" in history
    photo_url = f"/care/photos/{v.photos.get().pk}"
    assert client.get(photo_url).status_code == 200
    assert login(people.gw_b).get(photo_url).status_code == 404


def test_a_future_visit_on_the_page_is_400(care, people, login):
    response = login(people.gw_a).post(
        f"/care/residents/{care.li.pk}/visit/",
        {
            "client_id": "page-2",
            "kind": "home",
            "visited_at": "2030-01-01T10:00",
        },
    )
    assert response.status_code == 400
    assert "走访时间不能晚于现在。" in response.content.decode()
    assert not Visit.objects.exists()


def test_another_grids_worker_gets_404(care, people, login):
    client = login(people.gw_b)
    for path in (f"/care/residents/{care.li.pk}/", f"/care/residents/{care.li.pk}/visit/"):
        assert client.get(path).status_code == 404, path
    wish = services.wish_collect(actor=people.gw_a, resident_id=care.li.pk, text="想要轮椅")
    assert client.get(f"/care/wishes/{wish.pk}/").status_code == 404
    assert login(people.gw_a).get(f"/care/wishes/{wish.pk}/").status_code == 200


def test_the_community_reviews_on_the_wish_page(care, people, login):
    wish = services.wish_collect(actor=people.gw_a, resident_id=care.li.pk, text="想要轮椅")
    client = login(people.community_worker)
    leak = client.post(
        f"/care/wishes/{wish.pk}/",
        {
            "action": "publish",
            "public_title": "李建国要轮椅",
            "plan": "x",
            "target_on": str(TARGET),
            "version": wish.version,
        },
    )
    assert leak.status_code == 400 and Wish.objects.get().state == "collected"
    ok = client.post(
        f"/care/wishes/{wish.pk}/",
        {
            "action": "publish",
            "public_title": "想要一辆轮椅",
            "plan": "联系助残机构",
            "target_on": str(TARGET),
            "version": wish.version,
        },
    )
    assert ok.status_code == 302 and Wish.objects.get().state == "published"
    page = client.get("/care/wishes/?state=published").content.decode()
    assert "想要轮椅" in page


def test_pages_load(care, people, login):
    client = login(people.community_worker)
    for path in (
        "/care/",
        "/care/residents/",
        "/care/plans/",
        "/care/wishes/",
        "/care/figures/",
        f"/care/residents/{care.wang.pk}/wish/",
    ):
        assert client.get(path).status_code == 200, path
    visit(people.gw_a, care.li)
    figures = client.get(f"/care/figures/?unit={care.li.org_code[:12]}").content.decode()
    assert "第1网格" in figures


def test_the_figures_download_as_a_workbook(care, people, login):
    import io

    from python_calamine import CalamineWorkbook

    visit(people.gw_a, care.li)
    response = login(people.community_worker).get(
        f"/care/figures/?unit={care.li.org_code[:12]}&end=2026-12-31&format=xlsx"
    )
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("走访与微心愿").to_python()
    assert rows[0][:3] == ["单位", "走访次数", "应访"]
    assert rows[1][:3] == ["第1网格", 1, 2] and rows[-1][1:4] == [1, 3, 1]
    assert book.get_sheet_by_name("走访人员").to_python()[1][:2] == [
        people.gw_a.get_display_name(),
        1,
    ]


def test_the_workbench_shows_the_visits_due(care, people, login):
    visit(people.gw_a, care.li, "w1")
    page = login(people.gw_a).get("/").content.decode()
    assert "走访与微心愿" in page and 'href="/care/"' in page
    assert login(people.leader).get("/").status_code == 200


def test_a_plan_is_made_and_edited_on_the_page(care, people, login, tree):
    client = login(people.community_worker)
    made = client.post(
        "/care/plans/",
        {
            "name": "残疾人每月走访",
            "tag_id": care.disabled.pk,
            "unit_code": tree.community.code,
            "period": "month",
            "grace_days": "5",
            "is_active": "on",
        },
    )
    assert made.status_code == 302
    plan = services.VisitPlan.objects.get(name="残疾人每月走访")
    assert (plan.period, plan.grace_days, plan.is_active) == ("month", 5, True)
    edited = client.post(
        "/care/plans/",
        {
            "plan_id": plan.pk,
            "name": "残疾人每月走访",
            "tag_id": care.disabled.pk,
            "unit_code": tree.community.code,
            "period": "quarter",
            "grace_days": "0",
        },
    )
    assert edited.status_code == 302
    plan.refresh_from_db()
    assert (plan.period, plan.is_active) == ("quarter", False)
    refused = login(people.gw_a).post(
        "/care/plans/",
        {
            "name": "x",
            "tag_id": care.disabled.pk,
            "unit_code": tree.community.code,
            "period": "week",
        },
    )
    assert refused.status_code == 404
    assert services.VisitPlan.objects.count() == 2


def test_the_org_unit_page_shows_the_care_figures(care, people, login, tree):
    visit(people.gw_a, care.li, "u1")
    page = login(people.community_worker).get(f"/area/units/{tree.community.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "微心愿已实现" in text and "0 / 0" in text
    assert "今年走访" in text
    other = login(people.gw_b).get(f"/area/units/{tree.grid_b.pk}/").content.decode()
    assert "微心愿已实现" not in other or "0 / 0" in other
