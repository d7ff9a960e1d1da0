"""factory-boy factories for tests (not imported by the app)."""

import factory

from gongzhi.accounts.models import Position, User
from gongzhi.core.roles import Level
from gongzhi.orgs.models import Department, OrgUnit

PASSWORD = "Correct-Horse-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password(PASSWORD)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"单位{n}")
    level = Level.DISTRICT
    code = "990101"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"承办单位{n}")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    user = factory.SubFactory(UserFactory)
    org_code = factory.LazyAttribute(lambda p: p.org_unit.code if p.org_unit else "")
