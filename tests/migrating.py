"""Migrating the test database inside a test (a pytest plugin, loaded by tests/conftest.py): `migrated_to` moves it
to a migration and answers that state's apps, to write rows as an older release did; after the test the database
is back at the latest migrations."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.fixture
def migrated_to(transactional_db):
    def migrated_to(target: tuple[str, str]):
        executor = migrate([target])
        executor.loader.build_graph()
        return executor.loader.project_state([target]).apps

    yield migrated_to
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
