from types import SimpleNamespace

import pytest
from stdnum.cn import ric

from gongzhi.registry import services
from gongzhi.registry.models import PremisesCategory, Tag


def make_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


ID_A = make_id("41030219500101123")  # born 1950, male
ID_B = make_id("41030219900202124")  # born 1990, female


@pytest.fixture
def places(people, tree):
    """A building with a household and a resident in grid A, and the same in grid B."""
    s = SimpleNamespace()
    s.building_a = services.building_save(
        actor=people.gw_a, grid_id=tree.grid_a.pk, name="六安公寓1号楼"
    )
    s.building_b = services.building_save(
        actor=people.gw_b, grid_id=tree.grid_b.pk, name="牡丹小区2号楼"
    )
    s.old = Tag.objects.get(name="老年人")
    s.resident_a = services.resident_save(
        actor=people.gw_a,
        data=services.ResidentInput(
            name="李大爷",
            id_number=ID_A,
            phone="13812345678",
            building_id=s.building_a.pk,
            unit_name="1单元",
            room="301",
            relationship="head",
            tag_ids=[s.old.pk],
        ),
    )
    s.resident_b = services.resident_save(
        actor=people.gw_b,
        data=services.ResidentInput(
            name="王阿姨",
            id_number=ID_B,
            phone="13987654321",
            building_id=s.building_b.pk,
            room="502",
        ),
    )
    s.category = PremisesCategory.objects.get(name="沿街门店")
    return s
