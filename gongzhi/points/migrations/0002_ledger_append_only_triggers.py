"""The ledger is append-only in the database too: triggers refuse an UPDATE or a DELETE of
a transfer or a movement, whoever runs the SQL.

- PostgreSQL: UPDATE and DELETE are refused. TRUNCATE (a test database's flush) is not a
  row change and stays possible for the tables' owner.
- SQLite: UPDATE is refused. DELETE is not refused by the database: Django empties an
  SQLite database between transactional tests (and `manage.py flush`) with DELETE FROM,
  and a trigger has no way to tell that apart. The models refuse it (delete() and the
  queryset's delete() raise), the admin does not show the ledger, and the foreign keys
  (PROTECT) keep a transfer with its movements."""

from django.db import migrations

TABLES = ("points_transfer", "points_movement")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION points_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only (%% on %%)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION points_append_only()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE",):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS points_append_only()")
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_ledger")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
