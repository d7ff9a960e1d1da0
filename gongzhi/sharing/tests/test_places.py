"""Setting sharing up (services/places.py): rooms, huts, categories and items created and
edited by those who manage the community, refused for everyone else; each bad input
refused with its field's message and nothing changed; an audit row for every write."""

import io

import pytest
from PIL import Image

from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.sharing import selectors, services
from gongzhi.sharing.models import Hut, Item, Loan, LoanState, Room, ToolCategory
from gongzhi.sharing.tests.conftest import PHONE, moment

ROOM = {
    "name": "书画室",
    "location": "党群服务中心二楼",
    "capacity": "16",
    "equipment": "书画桌 8 张",
    "opens_at": "09:00",
    "closes_at": "20:00",
    "weekdays": "01234",
    "residents_may_book": "on",
    "min_minutes": "60",
    "max_minutes": "120",
    "buffer_minutes": "10",
    "max_days_ahead": "7",
    "needs_approval": "on",
    "no_show_points": "0",
}


def png(size=(8, 8)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "PNG")
    out.seek(0)
    out.name = "drill.png"
    return out


def audits(action):
    return list(AuditLog.objects.filter(action=action).order_by("pk"))


def test_room_create__by_the_community_worker_with_its_rules_and_an_audit_row(world, people, tree):
    room = services.room_create(
        actor=people.community_worker, org_unit_id=tree.community.pk, **ROOM
    )
    room.refresh_from_db()
    assert (room.org_code, room.location, room.capacity) == (
        tree.community.code,
        "党群服务中心二楼",
        16,
    )
    assert (room.weekdays, f"{room.opens_at:%H:%M}", room.closed_on_holidays) == (
        "01234",
        "09:00",
        True,
    )
    # A field not given keeps the model's default (the page sends every field).
    assert (room.teams_may_book, room.needs_approval, room.no_show_points) == (True, True, 0)
    assert (room.min_minutes, room.max_minutes, room.buffer_minutes, room.is_active) == (
        60,
        120,
        10,
        True,
    )
    [row] = audits("sharing.room_create")
    assert row.actor == people.community_worker and row.object_id == str(room.pk)
    assert row.changes["name"] == "书画室"


def test_room_create__above_in_the_tree_for_any_community_below(people, tree, world):
    room = services.room_create(actor=people.op_sub, org_unit_id=tree.community2.pk, **ROOM)
    assert room.org_code == tree.community2.code


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "长" * 51}, "name"),
        ({"capacity": "-3"}, "capacity"),
        ({"capacity": "二十"}, "capacity"),
        ({"min_minutes": "150"}, "min_minutes"),  # shortest > longest
        ({"closes_at": "08:00"}, "closes_at"),
        ({"opens_at": "25:00"}, "opens_at"),
        ({"weekdays": ""}, "weekdays"),
        ({"weekdays": "79"}, "weekdays"),
        ({"buffer_minutes": "999"}, "buffer_minutes"),
    ],
)
def test_room_create__bad_input_is_refused_naming_the_field_and_changes_nothing(
    world, people, tree, change, field
):
    with pytest.raises(Invalid) as exc:
        services.room_create(
            actor=people.community_worker, org_unit_id=tree.community.pk, **{**ROOM, **change}
        )
    assert exc.value.code == "invalid" and field in exc.value.details
    assert Room.objects.count() == 2 and not audits("sharing.room_create")


def test_room_create__outside_the_area_or_without_the_permission(world, people, tree):
    with pytest.raises(Invalid) as exc:  # a community of another community worker
        services.room_create(actor=people.community_worker, org_unit_id=tree.community2.pk, **ROOM)
    assert list(exc.value.details) == ["org_unit"]
    with pytest.raises(Invalid):  # a grid is no community
        services.room_create(actor=people.op_sub, org_unit_id=tree.grid_a.pk, **ROOM)
    for who in (people.leader, people.gw_a, people.nobody):
        with pytest.raises(PermissionDenied):
            services.room_create(actor=who, org_unit_id=tree.community.pk, **ROOM)
    assert Room.objects.count() == 2 and not audits("sharing.room_create")


def test_room_create__a_name_taken_in_the_community_is_a_duplicate(world, people, tree):
    with pytest.raises(Invalid) as exc:
        services.room_create(
            actor=people.community_worker,
            org_unit_id=tree.community.pk,
            **{**ROOM, "name": "文体活动室"},
        )
    assert exc.value.code == "duplicate" and Room.objects.count() == 2


def test_room_update__changes_the_rules_and_audits_what_changed(world, people):
    services.room_update(
        actor=people.community_worker, room_id=world.room.pk, capacity="40", location="一楼"
    )
    world.room.refresh_from_db()
    assert (world.room.capacity, world.room.location, world.room.max_minutes) == (40, "一楼", 180)
    [row] = audits("sharing.room_update")
    assert row.changes == {"capacity": [30, 40], "location": ["", "一楼"]}


def test_room_update__bad_input_or_someone_else_changes_nothing(world, people):
    with pytest.raises(Invalid) as exc:
        services.room_update(
            actor=people.community_worker, room_id=world.room.pk, min_minutes=200, capacity=-1
        )
    assert set(exc.value.details) == {"min_minutes", "capacity"}
    with pytest.raises(NotFound):  # another community's room
        services.room_update(actor=people.community_worker, room_id=world.other_room.pk, capacity=1)
    with pytest.raises(NotFound):  # a grid worker does not see the community's rooms
        services.room_update(actor=people.gw_a, room_id=world.room.pk, capacity=1)
    with pytest.raises(PermissionDenied):  # the leader sees, does not manage
        services.room_update(actor=people.leader, room_id=world.room.pk, capacity=1)
    world.room.refresh_from_db()
    assert world.room.capacity == 30 and not audits("sharing.room_update")


def test_room_update__closing_refused_while_bookings_hold_it_then_blocks_bookings(world, people):
    booking = services.book_room(
        actor=people.community_worker,
        room_id=world.room.pk,
        starts_at=moment(1, 9),
        ends_at=moment(1, 10),
        title="党员学习",
    )
    with pytest.raises(Conflict) as exc:
        services.room_update(actor=people.community_worker, room_id=world.room.pk, is_active=False)
    assert exc.value.code == "has_bookings"
    services.booking_cancel(actor=people.community_worker, booking_id=booking.pk, reason="改期")
    services.room_update(actor=people.community_worker, room_id=world.room.pk, is_active=False)
    assert not selectors.rooms_visible(people.community_worker).filter(pk=world.room.pk).exists()
    assert list(selectors.rooms_closed(people.community_worker)) == [world.room]
    with pytest.raises(NotFound):
        services.book_room(
            actor=people.community_worker,
            room_id=world.room.pk,
            starts_at=moment(2, 9),
            ends_at=moment(2, 10),
            title="x",
        )
    services.room_update(actor=people.community_worker, room_id=world.room.pk, is_active=True)
    assert selectors.rooms_visible(people.community_worker).filter(pk=world.room.pk).exists()


HUT = {"name": "第二共享小屋", "address": "3栋架空层", "opens_at": "09:00", "closes_at": "17:00",
       "weekdays": "56", "hold_days": "3"}  # fmt: skip


def test_hut_create_and_update__keepers_of_the_community_only(world, people, tree):
    hut = services.hut_create(
        actor=people.community_worker,
        org_unit_id=tree.community.pk,
        keepers="resident, gw_a",
        **HUT,
    )
    assert (hut.org_code, hut.hold_days, hut.weekdays) == (tree.community.code, 3, "56")
    assert sorted(hut.keepers.values_list("username", flat=True)) == ["gw_a", "resident"]
    with pytest.raises(Invalid) as exc:  # the leader holds no position in the community
        services.hut_update(actor=people.community_worker, hut_id=hut.pk, keepers="gw_a leader")
    assert "leader" in exc.value.details["keepers"][0]
    hut.keepers.add(people.leader)  # set in the admin: stays while the hut is edited
    services.hut_update(actor=people.community_worker, hut_id=hut.pk, address="3栋")
    assert hut.keepers.count() == 3
    services.hut_update(actor=people.community_worker, hut_id=hut.pk, keepers=["gw_b"], name="小屋")
    hut.refresh_from_db()
    assert hut.name == "小屋" and list(hut.keepers.values_list("username", flat=True)) == ["gw_b"]
    [created] = audits("sharing.hut_create")
    kept, updated = audits("sharing.hut_update")
    assert kept.changes == {"address": ["3栋架空层", "3栋"]}
    assert updated.changes["keepers"] == [["gw_a", "leader", "resident"], ["gw_b"]]
    assert created.object_id == str(hut.pk)


def test_hut_create__bad_input_or_outside_the_area_changes_nothing(world, people, tree):
    with pytest.raises(Invalid) as exc:
        services.hut_create(
            actor=people.community_worker,
            org_unit_id=tree.community.pk,
            **{**HUT, "name": "", "hold_days": "0", "closes_at": "08:00"},
        )
    assert set(exc.value.details) == {"name", "hold_days", "closes_at"}
    with pytest.raises(Invalid):
        services.hut_create(actor=people.community_worker, org_unit_id=tree.community2.pk, **HUT)
    with pytest.raises(PermissionDenied):
        services.hut_create(actor=people.gw_a, org_unit_id=tree.community.pk, **HUT)
    with pytest.raises(NotFound):  # a keeper works the counter, does not manage
        world.hut.keepers.add(people.gw_a)
        services.hut_update(actor=people.gw_a, hut_id=world.hut.pk, name="x")
    assert Hut.objects.count() == 1 and not AuditLog.objects.filter(
        action__startswith="sharing.hut"
    )


def test_category__created_and_edited_with_its_deposit_and_training(world, people):
    c = services.category_create(
        actor=people.community_worker,
        hut_id=world.hut.pk,
        name="园艺工具",
        loan_days="5",
        renewals="0",
        max_at_once="1",
        deposit_yuan="50",
        needs_training="on",
    )
    assert (c.loan_days, c.deposit_yuan, c.needs_training, c.late_points) == (5, 50, True, 0)
    services.category_update(actor=people.community_worker, category_id=c.pk, deposit_yuan=0)
    c.refresh_from_db()
    assert c.deposit_yuan == 0 and c.needs_training
    with pytest.raises(Invalid) as exc:
        services.category_update(actor=people.community_worker, category_id=c.pk, name="手动工具")
    assert exc.value.code == "duplicate"
    with pytest.raises(Invalid) as exc:
        services.category_update(actor=people.community_worker, category_id=c.pk, loan_days=-1)
    assert list(exc.value.details) == ["loan_days"]
    with pytest.raises(NotFound):
        services.category_update(actor=people.gw_a, category_id=c.pk, loan_days=1)
    assert [
        a.action
        for a in AuditLog.objects.filter(action__startswith="sharing.category").order_by("pk")
    ] == [
        "sharing.category_create",
        "sharing.category_update",
    ]


def test_item_create__with_a_photo_and_its_category(world, people):
    item = services.item_create(
        actor=people.community_worker,
        hut_id=world.hut.pk,
        category=str(world.drills.pk),
        number="GJ-010",
        name="电锤",
        condition="fair",
        serial="HM-1",
        safety_notes="佩戴护目镜",
        photo=png(),
    )
    item.refresh_from_db()
    assert (item.org_code, item.category, item.condition) == (
        world.hut.org_code,
        world.drills,
        "fair",
    )
    assert item.photo.name.startswith("sharing/items/") and item.photo.name.endswith(".jpg")
    assert [i.number for i in selectors.catalogue([world.hut.pk])].count("GJ-010") == 1
    [row] = audits("sharing.item_create")
    assert row.changes["number"] == ["", "GJ-010"] and row.changes["photo"][1] == item.photo.name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "other"}, "category"),  # the other hut's category
        ({"category": "999999"}, "category"),
        ({"number": ""}, "number"),
        ({"name": "x" * 51}, "name"),
        ({"condition": "new"}, "condition"),
        ({"photo": io.BytesIO(b"not a picture")}, "photo"),
    ],
)
def test_item_create__bad_input_changes_nothing(world, people, tree, change, field):
    if change.get("category") == "other":
        other = Hut.objects.create(org_unit=tree.community, org_code=tree.community.code, name="B")
        change = {"category": ToolCategory.objects.create(hut=other, name="别处").pk}
    fields = {"category": world.hand.pk, "number": "GJ-011", "name": "锯", **change}
    with pytest.raises(Invalid) as exc:
        services.item_create(actor=people.community_worker, hut_id=world.hut.pk, **fields)
    assert field in exc.value.details
    assert Item.objects.count() == 3 and not audits("sharing.item_create")


def test_item_create__a_number_taken_in_the_hut_or_someone_else(world, people):
    with pytest.raises(Invalid) as exc:
        services.item_create(
            actor=people.community_worker,
            hut_id=world.hut.pk,
            category=world.hand.pk,
            number="GJ-002",
            name="扳手",
        )
    assert exc.value.code == "duplicate"
    with pytest.raises(PermissionDenied):
        services.item_create(
            actor=people.leader, hut_id=world.hut.pk, category=world.hand.pk, number="9", name="x"
        )
    assert Item.objects.count() == 3


def test_item_update_and_retire__not_while_lent_and_loans_stay(world, people):
    services.item_update(
        actor=people.community_worker, item_id=world.wrench.pk, condition="worn", name="活动扳手"
    )
    world.wrench.refresh_from_db()
    assert (world.wrench.condition, world.wrench.name) == ("worn", "活动扳手")
    services.check_out(
        actor=people.community_worker, hut_id=world.hut.pk, item_number="GJ-002", card=PHONE
    )
    with pytest.raises(Conflict) as exc:
        services.item_retire(actor=people.community_worker, item_id=world.wrench.pk)
    assert exc.value.code == "on_loan"
    services.check_in(
        actor=people.community_worker, hut_id=world.hut.pk, item_number="GJ-002", condition="worn"
    )
    with pytest.raises(PermissionDenied):
        services.item_retire(actor=people.leader, item_id=world.wrench.pk)
    services.item_retire(actor=people.community_worker, item_id=world.wrench.pk, reason="坏了")
    world.wrench.refresh_from_db()
    assert not world.wrench.is_active and Loan.objects.filter(item=world.wrench).count() == 1
    assert "GJ-002" not in [i.number for i in selectors.catalogue([world.hut.pk])]
    with pytest.raises(NotFound):  # retired: no more edits
        services.item_update(actor=people.community_worker, item_id=world.wrench.pk, name="x")
    [row] = audits("sharing.item_retire")
    assert row.changes == {"reason": "坏了", "holds_cancelled": 0}


def test_item_retire__cancels_its_holds(world, people):
    loan = services.hold_place(held=world.held, item_id=world.tape.pk)
    services.item_retire(actor=people.community_worker, item_id=world.tape.pk)
    loan.refresh_from_db()
    assert loan.state == LoanState.CANCELLED
