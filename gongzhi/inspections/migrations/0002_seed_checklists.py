"""Seed the checklists (gongzhi/inspections/seed.py); administrators edit them afterwards:
an edit adds a version."""

from django.db import migrations

from gongzhi.inspections.seed import TEMPLATES, ensure_checklists


def seed(apps, schema_editor):
    ensure_checklists(
        apps.get_model("inspections", "ChecklistTemplate"),
        apps.get_model("inspections", "ChecklistVersion"),
        apps.get_model("registry", "PremisesCategory"),
        apps.get_model("cases", "Category"),
    )


def unseed(apps, schema_editor):
    names = [t[0] for t in TEMPLATES]
    apps.get_model("inspections", "ChecklistVersion").objects.filter(template__name__in=names).delete()
    apps.get_model("inspections", "ChecklistTemplate").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0001_initial"),
        ("cases", "0002_seed_categories_and_policies"),
        ("registry", "0002_seed_tags_and_categories"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
