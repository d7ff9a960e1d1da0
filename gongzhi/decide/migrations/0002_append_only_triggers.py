"""Ballots, their choices, the frozen electorate and resolution progress entries are
append-only in the database too: triggers refuse UPDATE and DELETE on PostgreSQL, whoever
runs the SQL, and UPDATE on SQLite (DELETE stays possible there because Django empties an
SQLite test database with DELETE FROM; the models refuse it: see points' migration 0002)."""

from django.db import migrations

TABLES = ("decide_ballot", "decide_ballotchoice", "decide_voter", "decide_resolutionprogress")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION decide_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ballots are append-only (%% on %%)', TG_OP, TG_TABLE_NAME
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
                "FOR EACH ROW EXECUTE FUNCTION decide_append_only()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'ballots are append-only'); END"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS decide_append_only()")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [("decide", "0001_polls_deliberation_surveys_board")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
