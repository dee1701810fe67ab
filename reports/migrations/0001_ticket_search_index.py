"""The GIN index of the ticket search vector, on PostgreSQL only (SQLite searches with LIKE)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "ticket_search_gin"


def _index():
    from servicedesk.core.search import ticket_search_vector

    # Exactly the expression the search filters on, so the planner can use it.
    return GinIndex(ticket_search_vector(), name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("core", "Ticket"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("core", "Ticket"), _index())


class Migration(migrations.Migration):
    dependencies = [("core", "0001_ticket_core")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
