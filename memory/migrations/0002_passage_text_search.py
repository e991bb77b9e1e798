"""Full-text index on Passage.text: FTS5 + triggers on SQLite, a GIN tsvector index on PostgreSQL, none elsewhere.

Both are outside Django's model state (a virtual table and an expression index it cannot describe), so RunPython
checks the database vendor; the schema itself is built in `memory.search_index`.
"""

from django.db import migrations

from memory import search_index


def install(apps, schema_editor):
    search_index.install_text_index(schema_editor, table="memory_passage")


def remove(apps, schema_editor):
    search_index.remove_text_index(schema_editor, table="memory_passage")


class Migration(migrations.Migration):
    dependencies = [("memory", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
