"""Full-text index on Message.text for recall search: FTS5 + triggers on SQLite (keyed by sequence_id, the
integer primary key), a GIN tsvector index on PostgreSQL, none elsewhere. See `memory.search_index`.
"""

from django.db import migrations

from memory import search_index


def install(apps, schema_editor):
    search_index.install_text_index(schema_editor, table="agents_message", rowid="sequence_id")


def remove(apps, schema_editor):
    search_index.remove_text_index(schema_editor, table="agents_message")


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
