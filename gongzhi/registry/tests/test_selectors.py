from gongzhi.registry import selectors
from gongzhi.registry.tests.conftest import ID_A


def _names(qs):
    return sorted(r.name for r in qs)


def test_residents_visible_to__scoped_by_grid(places, people):
    assert _names(selectors.residents_visible_to(people.gw_a)) == ["李大爷"]
    assert _names(selectors.residents_visible_to(people.community_worker)) == ["李大爷", "王阿姨"]
    assert _names(selectors.residents_visible_to(people.resident)) == []
    assert _names(selectors.residents_visible_to(people.handler)) == []


def test_residents_search__by_id_number_phone_suffix_mobile_name_address(places, people):
    cw = people.community_worker
    assert _names(selectors.residents_search(cw, q=ID_A)) == ["李大爷"]
    assert _names(selectors.residents_search(cw, q=ID_A.lower())) == ["李大爷"]
    assert _names(selectors.residents_search(cw, q="5678")) == ["李大爷"]
    assert _names(selectors.residents_search(cw, q="13987654321")) == ["王阿姨"]
    assert _names(selectors.residents_search(cw, q="阿姨")) == ["王阿姨"]
    assert _names(selectors.residents_search(cw, q="六安公寓")) == ["李大爷"]
    assert _names(selectors.residents_search(cw, tag_id=places.old.pk)) == ["李大爷"]
    assert _names(selectors.residents_search(people.gw_b, q=ID_A)) == []


def test_residents_search__numbers_as_people_type_them(places, people):
    cw = people.community_worker
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    spaced_id = f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}"
    for q in (spaced_id, spaced_id.lower(), ID_A.translate(wide)):
        assert _names(selectors.residents_search(cw, q=q)) == ["李大爷"], q
    for q in ("139 8765 4321", "+86 139-8765-4321", "0086 13987654321", "１３９８７６５４３２１"):
        assert _names(selectors.residents_search(cw, q=q)) == ["王阿姨"], q
    assert _names(selectors.residents_search(cw, q="５６７８")) == ["李大爷"]


def test_grid_statistics__counts_per_grid(places, people):
    rows = {r["code"]: r for r in selectors.grid_statistics(people.community_worker)}
    a = rows[places.building_a.org_code]
    assert (a["buildings"], a["households"], a["residents"]) == (1, 1, 1)
    assert a["by_type"] == {"registered": 1} and a["by_tag"] == {"老年人": 1}
    assert list(rows) == sorted(rows) and len(rows) == 2
    assert [r["code"] for r in selectors.grid_statistics(people.gw_a)] == [
        places.building_a.org_code
    ]


def test_grid_statistics__query_count_is_constant(places, people, django_assert_max_num_queries):
    # Positions, four GROUP BYs, tag names, unit names: the same for 2 grids or 2,000.
    with django_assert_max_num_queries(8):
        selectors.grid_statistics(people.community_worker)
