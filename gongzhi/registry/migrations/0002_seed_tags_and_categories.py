"""Seed the editable lists: resident tags and premises categories (administrators may
change them in the admin afterwards)."""

from django.db import migrations

TAGS = [
    ("老年人", True),
    ("独居/孤寡", True),
    ("残疾人", True),
    ("低保", True),
    ("特困", True),
    ("留守儿童", True),
    ("重病", True),
    ("退役军人", False),
    ("党员", False),
    ("独生子女", False),
    ("志愿者", False),
]
CATEGORIES = ["沿街门店", "九小场所", "商务楼宇", "居民小区", "地下停车场", "餐饮场所", "学校幼儿园", "医疗机构", "宗教场所", "其他"]


def seed(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    Category = apps.get_model("registry", "PremisesCategory")
    for i, (name, care) in enumerate(TAGS):
        Tag.objects.get_or_create(name=name, defaults={"is_care": care, "sort": i * 10})
    for i, name in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"sort": i * 10})


def unseed(apps, schema_editor):
    apps.get_model("registry", "Tag").objects.filter(name__in=[t for t, _ in TAGS], residents=None).delete()
    apps.get_model("registry", "PremisesCategory").objects.filter(name__in=CATEGORIES, premises=None).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
