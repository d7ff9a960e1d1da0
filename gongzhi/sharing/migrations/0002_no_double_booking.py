"""No double booking, by construction, on PostgreSQL: bookings that hold a room (not
cancelled, not denied) never overlap, the room's buffer included — an exclusion
constraint over the room and [starts_at, blocked_until). Equality on the room id in a
GiST index needs btree_gist. SQLite has neither: there the booking service checks the
same rule under the room's lock (every write transaction is BEGIN IMMEDIATE), and this
migration does nothing."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE sharing_booking ADD CONSTRAINT sharing_booking_no_overlap
    EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&)
    WHERE (state IN ('requested', 'confirmed', 'checked_in', 'no_show'));
"""
DROP = "ALTER TABLE sharing_booking DROP CONSTRAINT IF EXISTS sharing_booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_rooms_and_tools")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
