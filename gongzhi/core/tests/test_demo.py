from io import StringIO

from django.core.management import call_command
from django.db import connection

from gongzhi.accounts.models import Position, User
from gongzhi.core.roles import Level, Role
from gongzhi.orgs.models import Department, OrgUnit


def _counts():
    from gongzhi.registry.models import Building, Household, Premises, Resident

    return (
        OrgUnit.objects.count(),
        OrgUnit.objects.filter(boundary__isnull=False).count(),
        Department.objects.count(),
        User.objects.count(),
        Position.objects.count(),
        Building.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        Premises.objects.count(),
    )


def test_demo__builds_the_district(db):
    # The one test of the full demo (`make demo`); the others use the small one.
    out = StringIO()
    call_command("demo", stdout=out)
    first = _counts()
    levels = dict.fromkeys(Level.values, 0)
    for level in OrgUnit.objects.values_list("level", flat=True):
        levels[level] += 1
    assert levels["district"] == 1 and levels["subdistrict"] == 2 and levels["community"] == 6
    assert levels["grid"] == 40 and levels["microgrid"] >= 80
    assert set(Position.objects.values_list("role", flat=True)) == set(Role.values)
    assert "admin" in out.getvalue() and "gongzhi2026" in out.getvalue()
    assert all(first)


def test_demo__running_it_again_adds_nothing(small_demo):
    # The same steps as the full demo's, on fewer grids: a second `make demo` on the same
    # database leaves every table as it was.
    def rows():
        with connection.cursor() as cursor:
            counts = {}
            for table in connection.introspection.table_names(include_views=False):
                if table != "django_migrations" and not table.startswith("sqlite_"):
                    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                    counts[table] = cursor.fetchone()[0]
            return counts

    before = rows()
    call_command("demo", "--small", stdout=StringIO())
    after = rows()
    assert {t: (before[t], n) for t, n in after.items() if n != before[t]} == {}


def test_demo__every_code_extends_its_parent(small_demo):
    # The small demo has the whole org tree; only people, places and cases are fewer.
    assert OrgUnit.objects.filter(level=Level.GRID).count() == 40
    for unit in OrgUnit.objects.select_related("parent").exclude(parent=None):
        assert unit.code.startswith(unit.parent.code)
        unit.full_clean(validate_unique=False, validate_constraints=False)


def test_demo__small_fills_only_a_few_grids(small_demo):
    from gongzhi.registry.models import Building

    assert Building.objects.values("grid__parent_id").distinct().count() <= 3
    assert Building.objects.exists()
