from django.db import migrations

PREFIXES = ("INC", "PRB", "CHG", "REQ")

# The database itself refuses to change or delete audit history. SQLite (the embedded
# development default) only refuses updates: the test runner empties its tables with
# DELETE, where PostgreSQL uses TRUNCATE, which row triggers do not see.
APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
"""
SQLITE_APPEND_ONLY_SQL = [
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_DROP_APPEND_ONLY_SQL = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
]
DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_append_only();
"""


def seed_sequences(apps, schema_editor):
    NumberSequence = apps.get_model("core", "NumberSequence")
    for prefix in PREFIXES:
        NumberSequence.objects.get_or_create(prefix=prefix, defaults={"last_value": 0})


def add_append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_APPEND_ONLY_SQL:
            schema_editor.execute(statement)


def drop_append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP_APPEND_ONLY_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_ticket_core")]

    operations = [
        migrations.RunPython(seed_sequences, migrations.RunPython.noop),
        migrations.RunPython(add_append_only_trigger, drop_append_only_trigger),
    ]
