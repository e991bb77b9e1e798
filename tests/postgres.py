"""A throwaway PostgreSQL (with pgvector) for `pytest --postgres`, and the way a subprocess reaches the test database.

`pgserver` ships the server binaries, so CI needs no service container: the server lives in a temporary directory,
listens only on a unix socket, and is stopped and deleted when the test session ends.
"""

import logging
import tempfile
import warnings

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
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def database_env(settings_dict: dict) -> dict[str, str]:
    """The environment variables that point a server subprocess at the database `settings_dict` describes."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return {"LETTA_SQLITE_PATH": str(settings_dict["NAME"])}
    host = settings_dict.get("HOST") or settings_dict.get("OPTIONS", {}).get("host", "")
    user, password, port = settings_dict.get("USER", ""), settings_dict.get("PASSWORD", ""), settings_dict.get("PORT")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return {"DATABASE_URL": f"postgresql://{credentials}/{settings_dict['NAME']}?host={host}"}
    return {"DATABASE_URL": f"postgresql://{credentials}{host}{f':{port}' if port else ''}/{settings_dict['NAME']}"}
