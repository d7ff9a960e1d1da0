"""Campaign services: open, add and remove cases, close — each with its audit row, and
every refusal leaving everything as it was."""

import datetime as dt

import pytest

from gongzhi.campaigns import selectors, services
from gongzhi.campaigns.models import Campaign, CampaignCase, CampaignState
from gongzhi.cases import services as case_services
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog


def audit(campaign, action=None):
    qs = AuditLog.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk))
    return qs.filter(action=action) if action else qs


def state():
    """What a refused call must leave unchanged."""
    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "state", "summary", "name")),
        list(CampaignCase.objects.order_by("pk").values_list("campaign_id", "case_id")),
        AuditLog.objects.filter(object_type="campaigns.campaign").count(),
    )


@pytest.fixture
def campaign(scene, tree, people):
    return services.campaign_open(
        actor=people.op_sub,
        name="第1网格杂物清理",
        unit_code=tree.grid_a.code,
        category_id=scene.x.pk,
        hotspot="近7天5件，往常约0.1件",
        with_recent_cases=True,
    )


def test_campaign_open__from_a_hotspot_takes_in_its_cases(campaign, scene, tree, people):
    assert campaign.state == CampaignState.OPEN
    assert (campaign.unit_code, campaign.category_id) == (tree.grid_a.code, scene.x.pk)
    linked = set(CampaignCase.objects.filter(campaign=campaign).values_list("case_id", flat=True))
    assert linked == {c.pk for c in scene.a_new}  # the window's, not the one of 5 March
    log = audit(campaign, "campaign.open").get()
    assert log.actor == people.op_sub
    assert log.changes["cases"] == [0, 5]
    assert log.changes["name"] == [None, "第1网格杂物清理"]


def test_campaign_open__by_hand_without_cases(scene, tree, people):
    c = services.campaign_open(
        actor=people.op_district, name="  楼栋整治 ", unit_code=tree.grid_b.code,
        building_id=scene.building.pk, target_date=dt.date(2026, 4, 30),
    )  # fmt: skip
    assert (c.name, c.building_id, c.category_id) == ("楼栋整治", scene.building.pk, None)
    assert not CampaignCase.objects.filter(campaign=c).exists()
    assert audit(c, "campaign.open").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"category_id": 999999}, "category_id"),
        ({"target_date": dt.date(2026, 3, 1)}, "target_date"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_campaign_open__bad_input_changes_nothing(scene, tree, people, kwargs, field):
    before = state()
    args = {"name": "专项", "unit_code": tree.grid_a.code, **kwargs}
    with pytest.raises(Invalid) as exc:
        services.campaign_open(actor=people.op_sub, **args)
    assert field in exc.value.details
    assert state() == before


def test_campaign_open__building_outside_the_area(scene, tree, people):
    before = state()
    with pytest.raises(Invalid) as exc:
        services.campaign_open(
            actor=people.op_sub, name="专项", unit_code=tree.grid_a.code,
            building_id=scene.building.pk,  # in grid B
        )  # fmt: skip
    assert "building_id" in exc.value.details
    assert state() == before


@pytest.mark.parametrize(
    ("who", "unit", "error"),
    [
        ("leader", "sub", PermissionDenied),  # sees it, may not manage
        ("community_worker", "community", PermissionDenied),
        ("gw_a", "grid_a", NotFound),  # no command view at all
        ("op_sub", "sub2", NotFound),  # outside the operator's area
        ("nobody", "sub", NotFound),
    ],
)
def test_campaign_open__refused(scene, tree, people, who, unit, error):
    before = state()
    with pytest.raises(error):
        services.campaign_open(
            actor=getattr(people, who), name="专项", unit_code=getattr(tree, unit).code
        )
    assert state() == before


def test_campaign_add_cases__by_number(campaign, scene, tree, people):
    case = scene.report(dt.date(2026, 3, 31), tree.grid_a, scene.y)  # another category: allowed
    n = services.campaign_add_cases(
        actor=people.op_sub,
        campaign_id=campaign.pk,
        numbers=[case.number.lower(), scene.a_old.number],
    )
    assert n == 2
    assert CampaignCase.objects.filter(campaign=campaign).count() == 7
    log = audit(campaign, "campaign.add_cases").get()
    assert log.changes["cases"] == [None, sorted([case.number, scene.a_old.number])]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("outside_area", "case_outside_area"),  # grid B, not the campaign's grid A
        ("outside_scope", "unknown_case"),  # 和平里: not the operator's
        ("unknown", "unknown_case"),
        ("duplicate", "duplicate_case"),
        ("none", "no_cases"),
    ],
)
def test_campaign_add_cases__refused_changes_nothing(campaign, scene, tree, people, case, code):
    numbers = {
        "outside_area": [scene.b_cases[0].number],
        "outside_scope": [scene.x_cases[0].number],
        "unknown": ["SJ20260331999999"],
        "duplicate": [scene.a_new[0].number],
        "none": [],
    }[case]
    # All or none: a good number beside the bad one is not added either.
    if case != "none":
        numbers.append(scene.a_old.number)
    before = state()
    with pytest.raises(Invalid) as exc:
        services.campaign_add_cases(actor=people.op_sub, campaign_id=campaign.pk, numbers=numbers)
    assert exc.value.code == code
    assert state() == before


def test_campaign_remove_case(campaign, scene, people):
    case = scene.a_new[0]
    services.campaign_remove_case(actor=people.op_sub, campaign_id=campaign.pk, case_id=case.pk)
    assert not CampaignCase.objects.filter(campaign=campaign, case=case).exists()
    assert audit(campaign, "campaign.remove_case").get().changes == {"cases": [case.number, None]}
    before = state()
    with pytest.raises(NotFound):
        services.campaign_remove_case(actor=people.op_sub, campaign_id=campaign.pk, case_id=case.pk)
    assert state() == before


def test_campaign_close__summary_required_then_closed_refuses_changes(campaign, scene, people):
    before = state()
    with pytest.raises(Invalid) as exc:
        services.campaign_close(actor=people.op_sub, campaign_id=campaign.pk, summary="   ")
    assert "summary" in exc.value.details
    assert state() == before

    c = services.campaign_close(actor=people.op_sub, campaign_id=campaign.pk, summary="已全部清理")
    assert (c.state, c.summary, c.closed_by) == (CampaignState.CLOSED, "已全部清理", people.op_sub)
    assert audit(campaign, "campaign.close").get().changes["state"] == ["open", "closed"]

    before = state()
    for call in (
        lambda: services.campaign_close(actor=people.op_sub, campaign_id=c.pk, summary="再次"),
        lambda: services.campaign_add_cases(
            actor=people.op_sub, campaign_id=c.pk, numbers=[scene.a_old.number]
        ),
        lambda: services.campaign_remove_case(
            actor=people.op_sub, campaign_id=c.pk, case_id=scene.a_new[0].pk
        ),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "campaign_closed"
    assert state() == before


def test_campaign_writes__refused_for_readers_and_strangers(campaign, scene, people):
    before = state()
    with pytest.raises(PermissionDenied):
        services.campaign_close(actor=people.leader, campaign_id=campaign.pk, summary="结束")
    with pytest.raises(PermissionDenied):
        services.campaign_add_cases(
            actor=people.leader, campaign_id=campaign.pk, numbers=[scene.a_old.number]
        )
    for user in (people.gw_a, people.nobody):
        with pytest.raises(NotFound):
            services.campaign_close(actor=user, campaign_id=campaign.pk, summary="结束")
    with pytest.raises(NotFound):
        services.campaign_close(actor=people.op_sub, campaign_id=987654, summary="结束")
    assert state() == before


def test_progress__live_from_the_cases(campaign, scene, tree, people, clock, dispatched):
    # Take one case through to closed on time with a satisfied callback.
    case = scene.a_new[0]
    op = people.op_sub
    case_services.case_register(actor=op, case_id=case.pk)
    case_services.case_dispatch(actor=op, case_id=case.pk, department_id=tree.department.pk)
    case_services.case_accept(actor=people.handler, case_id=case.pk)
    case_services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    case_services.case_verify(actor=op, case_id=case.pk, passed=True)
    case_services.case_callback(actor=op, case_id=case.pk, solved=True, rating="satisfied")
    # Another one past its deadline.
    late = scene.a_new[1]
    case_services.case_register(actor=op, case_id=late.pk)
    clock.advance(days=30)
    p, weeks = selectors.progress_and_effect(campaign)
    assert (p.total, p.open, p.closed, p.closed_on_time, p.callbacks, p.satisfied) == (
        5, 4, 1, 1, 1, 1,
    )  # fmt: skip
    assert p.overdue == 1
    assert p.satisfaction.value == 1.0 and p.on_time.value == 1.0
    # Before: the 8 weeks before opening (the case of 5 March and the window's five).
    assert [w["after"] for w in weeks].count(False) == 8
    assert sum(w["count"] for w in weeks if not w["after"]) == 6
    assert p.new_since == 0
    clock.set(2026, 4, 2, 9)
    scene.report(dt.date(2026, 4, 2), tree.grid_a, scene.x)
    clock.advance(days=30)
    p, weeks = selectors.progress_and_effect(campaign)
    assert p.new_since == 1 and p.total == 5
