"""`among`: IN with the values in the statement (so SQLite can match a partial index),
for fixed sets of identifiers only."""

import pytest

from gongzhi.cases.models import RUNNING_STATES, Case, State


def test_among__the_same_rows_as_in_with_the_values_in_the_sql(people, report):
    case = report()
    qs = Case.objects.filter(state__among=[State.REPORTED, State.REGISTERED])
    assert list(qs) == [case] == list(Case.objects.filter(state__in=["reported", "registered"]))
    sql, params = qs.query.sql_with_params()
    assert "IN ('reported', 'registered')" in sql and params == ()
    assert not Case.objects.filter(state__among=RUNNING_STATES).exists()


@pytest.mark.parametrize("values", [["reported'); DROP TABLE x; --"], ["新"], [], ["a b"]])
def test_among__refuses_anything_but_identifiers(db, values):
    with pytest.raises(ValueError):
        list(Case.objects.filter(state__among=values))
