"""Inspection fixtures: checklists made through the service, premises in grids A, B and C
of the shared tree (gongzhi/conftest.py), a campaign over the subdistrict with a round."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from gongzhi.cases.models import Category
from gongzhi.inspections import services
from gongzhi.registry import services as registry
from gongzhi.registry.models import PremisesCategory

SHOP_ITEMS = [
    {"key": "extinguisher", "text": "灭火器在有效期内", "severity": "high"},
    {"key": "exits", "text": "疏散通道畅通", "severity": "medium"},
    {"key": "count", "text": "灭火器数量", "answer": "number", "min": 2, "required": False},
]
FOOD_ITEMS = [
    {"key": "gas_alarm", "text": "安装燃气报警器及紧急切断装置", "severity": "high",
     "category": "0702", "basis": "《城镇燃气管理条例》第二十八条"},
    {"key": "gas_hose", "text": "燃气胶管无老化", "severity": "medium", "category": "0702"},
]  # fmt: skip
TODAY = dt.date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def insp(people, tree):
    s = SimpleNamespace()
    s.shop_cat, _ = PremisesCategory.objects.get_or_create(name="沿街门店")
    s.food_cat, _ = PremisesCategory.objects.get_or_create(name="餐饮场所")
    s.other_cat, _ = PremisesCategory.objects.get_or_create(name="宗教场所")
    # The seeded checklists belong to the installation; these tests make their own.
    from gongzhi.inspections.models import ChecklistTemplate

    ChecklistTemplate.objects.update(is_active=False)
    fire = Category.objects.get(code="0701")
    s.shop_tpl = services.template_save(
        actor=people.admin, name="门店表", category_ids=[s.shop_cat.pk],
        case_category_id=fire.pk, items=SHOP_ITEMS,
    )  # fmt: skip
    s.food_tpl = services.template_save(
        actor=people.admin, name="餐饮表", category_ids=[s.food_cat.pk],
        case_category_id=fire.pk, items=FOOD_ITEMS,
    )  # fmt: skip

    def premises(actor, grid, name, category, **kw):
        return registry.premises_save(
            actor=actor, grid_id=grid.pk, name=name, category_id=category.pk,
            address=f"{name}地址", **kw,
        )  # fmt: skip

    s.shop_a = premises(people.gw_a, tree.grid_a, "老王杂货店", s.shop_cat, lng=112.41, lat=34.61)
    s.food_a = premises(people.gw_a, tree.grid_a, "川味小馆", s.food_cat, lng=112.42, lat=34.62)
    s.micro_a1 = premises(people.gw_a, tree.micro_a1, "微网格便利店", s.shop_cat)
    s.shop_b = premises(people.gw_b, tree.grid_b, "阿香理发店", s.shop_cat)
    s.food_c = premises(people.admin, tree.grid_c, "翠竹面馆", s.food_cat)
    s.temple = premises(people.gw_a, tree.grid_a, "城隍庙", s.other_cat)
    s.closed = premises(people.gw_a, tree.grid_a, "已关停网吧", s.shop_cat)
    s.closed.is_active = False
    s.closed.save(update_fields=["is_active"])
    s.campaign = services.campaign_create(
        actor=people.op_sub, unit_code=tree.sub.code, name="安全集中整治月",
        starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=30),
        category_ids=[s.shop_cat.pk, s.food_cat.pk, s.other_cat.pk],
    )  # fmt: skip
    s.round1 = services.round_add(
        actor=people.op_sub, campaign_id=s.campaign.pk,
        starts_on=TODAY, due_on=TODAY + dt.timedelta(days=10),
    )  # fmt: skip

    def task(premises, round_=None):
        return (round_ or s.round1).tasks.get(premises=premises)

    s.task = task
    return s
