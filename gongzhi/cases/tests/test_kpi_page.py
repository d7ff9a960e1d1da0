"""The KPI page: rates with counts for a unit in the user's area, per child unit too."""

from django.utils import translation

from gongzhi.cases import services


def _closed_case(people, tree, report):
    case = report()
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    services.case_callback(actor=people.op_sub, case_id=case.pk, solved=True, rating="satisfied")
    return case


def test_operator_sees_the_rates_with_their_counts(people, tree, report, login):
    _closed_case(people, tree, report)
    report()  # one more, not handled yet
    response = login(people.op_sub).get(f"/cases/kpis/?unit={tree.sub.code}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kpi="handling"' in page
    assert "50.0%" in page and "1 / 2" in page  # 处置率: one of the two handled
    assert "100.0%" in page  # 满意率: the one callback was satisfied
    assert tree.community.name in page and tree.community2.name in page  # rows per community
    assert "处置率" in page


def test_a_unit_outside_the_area_is_not_found(people, tree, login):
    response = login(people.gw_b).get(f"/cases/kpis/?unit={tree.sub.code}")
    assert response.status_code == 404
    assert login(people.resident).get("/cases/kpis/").status_code == 404


def test_a_bad_period_is_explained_and_shows_no_numbers(people, tree, login):
    client = login(people.op_sub)
    with translation.override("zh-hans"):
        response = client.get(f"/cases/kpis/?unit={tree.sub.code}&start=2026-13-01")
        assert response.status_code == 400
        assert "起止日期" in response.content.decode()
        response = client.get(f"/cases/kpis/?unit={tree.sub.code}&start=2026-05-01&end=2026-04-01")
        assert response.status_code == 400
        assert "开始日期晚于结束日期" in response.content.decode()
        assert 'data-kpi="handling"' not in response.content.decode()


def test_the_page_costs_the_same_whatever_the_number_of_cases(
    people, tree, report, login, django_assert_max_num_queries
):
    client = login(people.op_sub)
    report()
    url = f"/cases/kpis/?unit={tree.sub.code}"
    client.get(url)
    for _ in range(5):
        report()
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
