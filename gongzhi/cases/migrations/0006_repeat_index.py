from django.conf import settings
from django.db import migrations, models


def analyze_on_sqlite(apps, schema_editor):
    """SQLite plans from sqlite_stat1; an index with no row there looks more selective
    than any other, and in a database that was analysed before, SQLite would then read
    every case of a category to answer a list. Analyse the table once it has the index
    (PostgreSQL keeps its statistics itself)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE cases_case")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_rollups"),
        ("orgs", "0002_org_unit_boundaries"),
        ("registry", "0002_seed_tags_and_categories"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["category", "lat"], name="case_category_lat"),
        ),
        migrations.RunPython(analyze_on_sqlite, migrations.RunPython.noop, elidable=True),
    ]
