"""The category an order falls back to when the hotline's category matches none of ours:
民生诉求 / 其他 (code 0899). Administrators may rename or move it in the admin."""

from django.db import migrations

CODE = "0899"


def add(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    group = Category.objects.filter(code="08", parent__isnull=True).first()
    if group is None or Category.objects.filter(code=CODE).exists():
        return
    Category.objects.create(code=CODE, name="其他", parent=group, is_public=True, sort=990)


def remove(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(code=CODE, cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0001_initial"),
        ("cases", "0002_seed_categories_and_policies"),
    ]

    operations = [migrations.RunPython(add, remove)]
