"""Pages: a workbench per role, scoped unit pages, Chinese error pages, local assets only."""

import re

import pytest
from django.test import Client

from gongzhi.core.models import AuditLog

ROLE_PANELS = {
    "admin": "admin",
    "op_district": "operator",
    "op_sub": "operator",
    "leader": "leader",
    "community_worker": "community_worker",
    "gw_a": "grid_worker",
    "building_head": "building_head",
    "handler": "department_handler",
    "resident": "resident",
}


@pytest.mark.parametrize(("who", "panel"), ROLE_PANELS.items())
def test_home__each_role_sees_its_workbench(people, login, who, panel):
    user = getattr(people, who)
    response = login(user).get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-role="{panel}"' in body
    assert user.get_display_name() in body
    assert '<html lang="zh-CN">' in body


def test_home__grid_worker_sees_own_grid_not_the_neighbours(people, tree, login):
    body = login(people.gw_a).get("/").content.decode()
    assert tree.grid_a.code in body and tree.micro_a1.name in body
    assert tree.grid_b.code not in body


def test_home__resident_sees_their_grid_worker(people, tree, login):
    tree.grid_a.service_phone = "13911112222"
    tree.grid_a.save()
    body = login(people.resident).get("/").content.decode()
    assert people.gw_a.get_display_name() in body and "13911112222" in body
    assert people.gw_b.get_display_name() not in body


def test_home__user_without_position_is_told_so(people, login):
    response = login(people.nobody).get("/")
    assert response.status_code == 200 and 'class="panel empty"' in response.content.decode()


def test_home__anonymous_is_sent_to_login(db):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_unit_page__other_grid_is_the_same_404_as_a_missing_one(people, tree, login):
    client = login(people.gw_a)
    assert client.get(f"/area/units/{tree.grid_a.pk}/").status_code == 200
    other = client.get(f"/area/units/{tree.grid_b.pk}/")
    missing = client.get("/area/units/99999999/")
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    assert "页面不存在" in other.content.decode()


def test_service_card_edit__other_grid_is_404_and_changes_nothing(people, tree, login):
    client = login(people.gw_a)
    response = client.post(
        f"/area/units/{tree.grid_b.pk}/service-card/",
        {"service_phone": "13900000000", "introduction": "x"},
    )
    assert response.status_code == 404
    tree.grid_b.refresh_from_db()
    assert tree.grid_b.service_phone == "" and tree.grid_b.introduction == ""
    assert not AuditLog.objects.exists()


def test_service_card_edit__own_grid_saves_and_bad_phone_is_explained(people, tree, login):
    client = login(people.gw_a)
    url = f"/area/units/{tree.grid_a.pk}/service-card/"
    bad = client.post(
        url, {"service_phone": "12ab", "introduction": "服务 1-6 号楼"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 400 and 'class="alert alert-error"' in bad.content.decode()
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.service_phone == ""
    good = client.post(
        url,
        {"service_phone": "13900000000", "introduction": "服务 1-6 号楼"},
        HTTP_HX_REQUEST="true",
    )
    assert good.status_code == 200
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.service_phone == "13900000000"


def test_service_card_edit__building_head_may_look_but_not_edit(people, tree, login):
    client = login(people.building_head)
    assert client.get(f"/area/units/{tree.micro_a1.pk}/").status_code == 200
    response = client.post(
        f"/area/units/{tree.micro_a1.pk}/service-card/", {"service_phone": "13900000000"}
    )
    assert response.status_code == 403 and "没有权限" in response.content.decode()
    tree.micro_a1.refresh_from_db()
    assert tree.micro_a1.service_phone == ""


def test_area_tree__lazy_children_are_scoped(people, tree, login):
    client = login(people.community_worker)
    body = client.get("/area/").content.decode()
    assert tree.community.name in body and tree.community2.name not in body
    children = client.get(f"/area/units/{tree.community.pk}/children/").content.decode()
    assert tree.grid_a.code in children and tree.grid_b.code in children
    assert client.get(f"/area/units/{tree.community2.pk}/children/").status_code == 404


def test_area__resident_has_no_area_page(people, login):
    assert login(people.resident).get("/area/").status_code == 404


def test_departments_page__staff_only(people, login):
    assert "区城市管理局" in login(people.op_sub).get("/departments/").content.decode()
    assert login(people.resident).get("/departments/").status_code == 404


def test_error_pages_are_chinese(settings, db):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_a_post_only_address_opened_in_the_browser_is_the_chinese_error_page(db):
    """A resident follows a link to /my/signout/ (POST only): the error page in Chinese,
    with the way back to their own pages, not a bare 405 nor the staff workbench."""
    response = Client().get("/my/signout/")
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "不能直接打开" in page and 'href="/my/"' in page and "工作台" not in page
    staff = Client().get("/logout/")
    if staff.status_code == 405:
        assert "工作台" in staff.content.decode()
    api = Client().get("/api/v1/cases/1/act/accept")
    assert api["Content-Type"].startswith("application/json")


def test_error_500_page_is_chinese(rf):
    from gongzhi.web.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500 and "系统出错" in response.content.decode()


EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.I)


@pytest.mark.parametrize(
    "path", ["/", "/area/", "/departments/", "/account/", "/account/password/", "/api/v1/docs"]
)
def test_pages__load_nothing_from_outside(people, tree, login, path):
    body = login(people.admin).get(path).content.decode()
    assert not EXTERNAL.search(body), EXTERNAL.findall(body)


def test_login_page__loads_nothing_from_outside(db):
    body = Client().get("/login/").content.decode()
    assert not EXTERNAL.search(body)
    assert "/static/css/app.css" in body


def test_api_docs__served_offline(people, login):
    body = login(people.admin).get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in body and "cdn" not in body.lower()


def test_healthz__reports_the_database(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "ok"


def test_home_queries_are_bounded(people, login, django_assert_max_num_queries):
    client = login(people.admin)
    # A few a panel, none a row: the administrator's workbench holds the cases',
    # inspections', disputes', care's, volunteers', patrols' (one), points', sharing's,
    # decisions' (three) and two of administration.
    with django_assert_max_num_queries(31):
        client.get("/")


def test_service_card_edit__works_without_javascript(people, tree, login):
    client = login(people.gw_a)
    url = f"/area/units/{tree.grid_a.pk}/service-card/"
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    bad = client.post(url, {"service_phone": "12ab", "introduction": ""})
    assert bad.status_code == 400 and "<html" in bad.content.decode()
    good = client.post(url, {"service_phone": "13900000000", "introduction": ""})
    assert good.status_code == 302 and good["Location"] == f"/area/units/{tree.grid_a.pk}/"
    assert "已保存" in client.get(good["Location"]).content.decode()


def test_service_card_edit__htmx_gets_the_fragment(people, tree, login):
    client = login(people.gw_a)
    url = f"/area/units/{tree.grid_a.pk}/service-card/"
    bad = client.post(url, {"service_phone": "12ab"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "<html" not in bad.content.decode()
    good = client.post(url, {"service_phone": "13900000000"}, HTTP_HX_REQUEST="true")
    assert good.status_code == 200 and "已保存" in good.content.decode()
