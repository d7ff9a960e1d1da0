"""The set-up pages (in Simplified Chinese, as served): the right role sees
the forms, a refusal shows the form again with the input kept and the field's Chinese
message and changes nothing, others get 403/404."""

import io

import pytest
from django.utils import translation
from PIL import Image

from gongzhi.sharing.models import Hut, Item, Room
from gongzhi.sharing.tests.test_places import ROOM


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def page(response) -> str:
    return response.content.decode()


def test_overview_and_room_and_hut_pages_link_the_forms_for_who_manages(world, people, login):
    cw = login(people.community_worker)
    overview = page(cw.get("/sharing/"))
    assert "新增功能室" in overview and "新增共享小屋" in overview
    assert f"/sharing/rooms/{world.room.pk}/edit/" in overview
    assert f"/sharing/rooms/{world.room.pk}/edit/" in page(
        cw.get(f"/sharing/rooms/{world.room.pk}/")
    )
    hut = page(cw.get(f"/sharing/huts/{world.hut.pk}/"))
    assert (
        f"/sharing/huts/{world.hut.pk}/edit/" in hut
        and f"/sharing/items/{world.drill.pk}/edit/" in hut
    )
    leader = page(login(people.leader).get("/sharing/"))
    assert "文体活动室" in leader and "新增功能室" not in leader and "/edit/" not in leader


def test_room_new__creates_and_goes_to_the_room(world, people, login, tree):
    cw = login(people.community_worker)
    form = page(cw.get("/sharing/rooms/new/"))
    assert "新增功能室" in form and "桂园社区" in form and "翠竹社区" not in form
    r = cw.post(
        "/sharing/rooms/new/", {**ROOM, "org_unit": tree.community.pk, "weekdays": list("01234")}
    )
    room = Room.objects.get(name="书画室")
    assert r.status_code == 302 and r["Location"] == f"/sharing/rooms/{room.pk}/"
    assert (room.weekdays, room.teams_may_book, room.closed_on_holidays) == ("01234", False, False)


def test_room_new__bad_input_shows_chinese_errors_with_the_input_kept(world, people, login, tree):
    cw = login(people.community_worker)
    bad = {**ROOM, "org_unit": tree.community.pk, "name": "舞蹈排练厅", "min_minutes": "300",
           "capacity": "-5", "weekdays": []}  # fmt: skip
    r = cw.post("/sharing/rooms/new/", bad)
    body = page(r)
    assert r.status_code == 400
    assert "最短预约时长不能超过最长预约时长。" in body
    assert "请输入 1 到 10000 之间的整数。" in body and "请选择每周开放的日子。" in body
    assert 'value="舞蹈排练厅"' in body and 'value="-5"' in body and 'value="300"' in body
    r = cw.post("/sharing/rooms/new/", {**ROOM, "org_unit": tree.community2.pk, "weekdays": ["1"]})
    assert r.status_code == 400 and "请选择您辖区内的社区。" in page(r)
    assert Room.objects.count() == 2


def test_room_pages__403_for_who_only_sees_404_outside(world, people, login):
    assert login(people.leader).get("/sharing/rooms/new/").status_code == 403
    assert login(people.leader).get(f"/sharing/rooms/{world.room.pk}/edit/").status_code == 403
    assert login(people.nobody).get("/sharing/rooms/new/").status_code == 404
    cw = login(people.community_worker)
    assert cw.get(f"/sharing/rooms/{world.other_room.pk}/edit/").status_code == 404
    r = login(people.gw_a).post(f"/sharing/rooms/{world.room.pk}/edit/", {**ROOM})
    assert r.status_code == 404
    world.room.refresh_from_db()
    assert world.room.name == "文体活动室"


def test_room_edit__closes_the_room_and_lists_it_to_open_again(world, people, login):
    cw = login(people.community_worker)
    form = page(cw.get(f"/sharing/rooms/{world.room.pk}/edit/"))
    assert 'value="文体活动室"' in form and 'value="08:30"' in form and "开放预约" in form
    data = {**ROOM, "name": "文体活动室", "weekdays": list("0123456")}  # is_active unchecked
    r = cw.post(f"/sharing/rooms/{world.room.pk}/edit/", data)
    assert r.status_code == 302 and r["Location"] == "/sharing/"
    world.room.refresh_from_db()
    assert not world.room.is_active and world.room.capacity == 16
    overview = page(cw.get("/sharing/"))
    assert "已关闭的功能室" in overview and "编辑或重新开放" in overview
    assert cw.get(f"/sharing/rooms/{world.room.pk}/").status_code == 404


def test_hut_new_and_edit_with_a_category(world, people, login, tree):
    cw = login(people.community_worker)
    assert "新增共享小屋" in page(cw.get("/sharing/huts/new/"))
    r = cw.post(
        "/sharing/huts/new/",
        {"org_unit": tree.community.pk, "name": "二号小屋", "address": "", "opens_at": "09:00",
         "closes_at": "18:00", "weekdays": ["5", "6"], "hold_days": "2", "keepers": "gw_a"},
    )  # fmt: skip
    hut = Hut.objects.get(name="二号小屋")
    assert r.status_code == 302 and r["Location"] == f"/sharing/huts/{hut.pk}/edit/"
    edit = page(cw.get(r["Location"]))
    assert "还没有物品类别" in edit and 'value="gw_a"' in edit
    r = cw.post(
        r["Location"],
        {"form": "category", "name": "电动工具", "loan_days": "0", "renewals": "1",
         "max_at_once": "1", "deposit_yuan": "100", "late_points": "0"},
    )  # fmt: skip
    assert r.status_code == 400 and "请输入 1 到 365 之间的整数。" in page(r)
    assert 'value="100"' in page(r) and not hut.categories.exists()
    r = cw.post(
        f"/sharing/huts/{hut.pk}/edit/",
        {"form": "hut", "name": "二号小屋", "opens_at": "09:00", "closes_at": "18:00",
         "weekdays": ["5"], "hold_days": "2", "keepers": "leader"},
    )  # fmt: skip
    assert r.status_code == 400 and "不是本社区的用户：leader。" in page(r)
    assert login(people.leader).get(f"/sharing/huts/{hut.pk}/edit/").status_code == 403
    assert login(people.gw_b).get(f"/sharing/huts/{hut.pk}/edit/").status_code == 404


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, "JPEG")
    out.seek(0)
    out.name = "x.jpg"
    return out


def test_item_new_edit_and_retire(world, people, login):
    cw = login(people.community_worker)
    form = page(cw.get(f"/sharing/huts/{world.hut.pk}/items/new/"))
    assert "新增物品" in form and "电动工具" in form and "押金 100 元" in form
    r = cw.post(
        f"/sharing/huts/{world.hut.pk}/items/new/",
        {"category": "", "number": "GJ-001", "name": "电锤", "condition": "good"},
    )
    body = page(r)
    assert r.status_code == 400 and "请选择本小屋的物品类别。" in body and 'value="电锤"' in body
    r = cw.post(
        f"/sharing/huts/{world.hut.pk}/items/new/",
        {"category": world.drills.pk, "number": "GJ-001", "name": "电锤", "condition": "good"},
    )
    assert r.status_code == 400 and "本小屋已有该编号的物品。" in page(r)
    r = cw.post(
        f"/sharing/huts/{world.hut.pk}/items/new/",
        {"category": world.drills.pk, "number": "GJ-009", "name": "电锤", "condition": "good",
         "safety_notes": "戴护目镜", "photo": jpeg()},
    )  # fmt: skip
    assert r.status_code == 302
    item = Item.objects.get(number="GJ-009")
    assert item.photo and cw.get(f"/sharing/items/{item.pk}/photo/")["Content-Type"] == "image/jpeg"
    assert login(people.gw_b).get(f"/sharing/items/{item.pk}/photo/").status_code == 404
    edit = page(cw.get(f"/sharing/items/{item.pk}/edit/"))
    assert 'value="戴护目镜"' in edit and "停用物品" in edit
    r = cw.post(f"/sharing/items/{item.pk}/edit/", {"form": "retire", "reason": "报废"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert not item.is_active
    assert cw.get(f"/sharing/items/{item.pk}/edit/").status_code == 404
    assert login(people.leader).get(f"/sharing/items/{world.drill.pk}/edit/").status_code == 403
