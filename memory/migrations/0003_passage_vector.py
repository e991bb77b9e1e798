"""pgvector on PostgreSQL: the extension, and a generated `vector` column beside Passage.embedding.

Both are PostgreSQL-only and outside Django's model state (the column is read by raw SQL in `memory.vector_index`),
so CreateExtension and the column install check the database vendor; SQLite keeps comparing the JSON embeddings.
"""

from django.contrib.postgres.operations import CreateExtension
from django.db import migrations

from memory import vector_index


def install(apps, schema_editor):
    vector_index.install_vector_column(schema_editor, table="memory_passage")


def remove(apps, schema_editor):
    vector_index.remove_vector_column(schema_editor, table="memory_passage")


class Migration(migrations.Migration):
    dependencies = [("memory", "0002_passage_text_search")]

    operations = [CreateExtension("vector"), migrations.RunPython(install, remove)]
