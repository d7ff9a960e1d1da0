"""Seed the dispute types and the register's non-public case category
(gongzhi/disputes/seed.py)."""

from django.db import migrations

from gongzhi.disputes.seed import CATEGORY, GROUP, TYPES, ensure


def seed(apps, schema_editor):
    ensure(apps.get_model("cases", "Category"), apps.get_model("disputes", "DisputeType"))


def unseed(apps, schema_editor):
    apps.get_model("disputes", "DisputeType").objects.filter(name__in=TYPES).delete()
    category = apps.get_model("cases", "Category")
    category.objects.filter(code=CATEGORY[0], cases__isnull=True).delete()
    category.objects.filter(code=GROUP[0], children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
        ("cases", "0002_seed_categories_and_policies"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
