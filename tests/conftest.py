import pytest

pytest_plugins = ["tests.fakes.fixtures"]

_throwaway_server = pytest.StashKey()


def pytest_addoption(parser):
    parser.addoption(
        "--postgres",
        action="store_true",
        help="Run the suite on a throwaway PostgreSQL with pgvector (started with pgserver, deleted at exit) "
        "instead of the embedded SQLite. To use a server of your own, set DATABASE_URL instead.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if config.getoption("postgres"):
        from django.conf import settings
        from django.db import connections

        from tests.postgres import database_settings, start_throwaway_server

        server = config.stash[_throwaway_server] = start_throwaway_server()
        settings.DATABASES["default"] = database_settings(server.get_uri())
        # Importing the models already made a (still unconnected) SQLite connection object and cached the settings
        # it was made from: drop both, so the next use builds a PostgreSQL connection from the new entry.
        del connections["default"]
        connections.__dict__.pop("settings", None)


def pytest_unconfigure(config):
    if server := config.stash.get(_throwaway_server, None):
        server.cleanup()


@pytest.fixture(scope="session", autouse=True)
def _postgres_sessions_end_before_teardown(request):
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    from tests.postgres import terminate_other_sessions

    request.getfixturevalue("django_db_setup")  # set up first, so torn down after this fixture's cleanup
    yield
    with request.getfixturevalue("django_db_blocker").unblock():
        terminate_other_sessions(connection)
