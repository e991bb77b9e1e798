"""A throwaway PostgreSQL (with pgvector) for `pytest --postgres`, and the way a subprocess reaches the test database.

`pgserver` ships the server binaries, so CI needs no service container: the server lives in a temporary directory,
listens only on a unix socket, and is stopped and deleted when the test session ends.
"""

import logging
import tempfile
import warnings
from urllib.parse import quote, urlencode

import dj_database_url

# Durability buys nothing for a database deleted at exit; without fsync, each test's flush and commit is cheaper.
_THROWAWAY_SETTINGS = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


def start_throwaway_server():
    """Start PostgreSQL in a new temporary directory; `.get_uri()` reaches it, `.cleanup()` stops and deletes it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns, on import, that CI has no XDG_RUNTIME_DIR
        import pgserver
    # It logs every command it runs at INFO, which the server's logging configuration would print.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # A short path, as the socket lives in it and a unix socket path is limited to about 100 bytes.
    server = pgserver.get_server(tempfile.mkdtemp(prefix="letta-pg-"), cleanup_mode="delete")
    for setting in _THROWAWAY_SETTINGS:
        server.psql(f"ALTER SYSTEM SET {setting};")
    server.psql("SELECT pg_reload_conf();")
    return server


def database_settings(url: str) -> dict:
    return dj_database_url.parse(url)


def terminate_other_sessions(connection) -> None:
    """End every other session on this connection's database, so that it can be dropped at once. The async ORM's
    shared thread keeps its connection open after the last async test; DROP DATABASE would wait for it, then fail."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def database_env(settings_dict: dict) -> dict[str, str]:
    """The environment variables that point a server subprocess at the database `settings_dict` describes."""
    if settings_dict["ENGINE"] in ("django.db.backends.sqlite3", "letta_project.sqlite"):
        return {"LETTA_SQLITE_PATH": str(settings_dict["NAME"])}
    user, password = quote(settings_dict.get("USER", ""), safe=""), quote(settings_dict.get("PASSWORD", ""), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    host, port = settings_dict.get("HOST", ""), settings_dict.get("PORT")
    address = "" if host.startswith("/") else f"{host}{f':{port}' if port else ''}"
    # A socket directory and connection options (sslmode, ...) travel as query parameters, as in DATABASE_URL.
    # The pool is the server's own (its settings read LETTA_DB_POOL_*), not a connection parameter.
    options = {key: value for key, value in settings_dict.get("OPTIONS", {}).items() if key != "pool"}
    options |= {"host": host} if host.startswith("/") else {}
    query = f"?{urlencode(options)}" if options else ""
    return {"DATABASE_URL": f"postgresql://{credentials}{address}/{settings_dict['NAME']}{query}"}
