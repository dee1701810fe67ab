"""The GIN index of the comment search vector, on PostgreSQL only."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "comment_search_gin"


def _index():
    from servicedesk.core.search import comment_search_vector

    # Exactly the expression the search filters on, so the planner can use it.
    return GinIndex(comment_search_vector(), name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("core", "Comment"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("core", "Comment"), _index())


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_ticket_search_index")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
