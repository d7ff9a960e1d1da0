from importlib import import_module

from django.db import migrations, models

# The same step as 0006: SQLite's planner needs the new index's statistics.
analyze_on_sqlite = import_module("gongzhi.cases.migrations.0006_repeat_index").analyze_on_sqlite


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_repeat_index")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("state__in", ("registered", "dispatched", "in_progress", "handled"))
                ),
                fields=["due_at", "org_code"],
                name="case_running_due",
            ),
        ),
        migrations.RunPython(analyze_on_sqlite, migrations.RunPython.noop, elidable=True),
    ]
