"""Database connections under load: a waiting send holds none, and a request that finds none free in time answers 503.

Under ASGI, Django runs each request's synchronous work on a thread of the request's own (asgiref's
ThreadSensitiveContext), and a connection belongs to the thread that opened it until request_finished closes it.
A send spends most of its time waiting for the model between short database stages, so every send in flight used to
keep a PostgreSQL connection to the end: a burst of a few hundred passed PostgreSQL's max_connections and answered
500. On PostgreSQL, connections now come from a pool (LETTA_DB_POOL_MAX, settings.py) where closing one gives it
back, and the loop gives its connection back (`released`) before it waits: a connection is held only while a stage
runs, so a small pool serves hundreds of sends, and its size bounds the threads that hold a connection at any moment.
Beyond it, requests queue in the pool for up to LETTA_DB_POOL_TIMEOUT, then answer 503 (never a 500).

A pooled connection goes back only when `close()` runs on the thread that holds it; one that is dropped instead
(its thread ends, or idles forever) is lost to the pool for good, and enough of them leave every request waiting.
Django closes a request's connection when the request finishes, on the request's thread. Work that outlives a
request or has none (a queued run in the worker, a streamed run whose reader left, the worker's polling) therefore
runs as its own `unit_of_work`: its database work on a thread of its own, whose connection is closed when it ends.
Before this rule, such a task inherited the request's thread-sensitive context, asgiref gave the ended context a
fresh thread, and that thread's connection (opened by the run's last writes) was never closed.
"""

import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

RETRY_AFTER_SECONDS = 2


def release_connection() -> None:
    """Give this thread's connection back to the pool, unless a transaction still needs it. Without a pool (SQLite,
    or LETTA_DB_POOL_MAX=0) the connection stays: there it costs nobody else anything, and reopening it costs."""
    if connection.connection is None or connection.in_atomic_block:
        return
    if getattr(connection, "pool", None) is not None:
        connection.close()


def released(function):
    """`function`, giving the connection back when it returns: for a stage after which the caller waits."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            release_connection()

    return wrapper


def close_connection() -> None:
    """Close this thread's connection (giving it back to the pool, if any), unless a transaction still needs it
    (a test's): the end of a unit of work, after which this thread does no more database work."""
    if not connection.in_atomic_block:
        connection.close()


@contextlib.asynccontextmanager
async def unit_of_work():
    """Run the block's synchronous database work (`sync_to_async`, the async ORM) on a thread of its own, and close
    that thread's connection when the block ends, however it ends.

    For async work with no request of its own, or one that outlives the request it began in: a task started from a
    request would otherwise keep using the request's thread context after Django closed the request's connection.
    A sync caller waiting above (a test's `async_to_sync`) keeps the work on its own thread, as asgiref always does,
    so a test's transaction still sees it."""
    context = ThreadSensitiveContext()
    token = SyncToAsync.thread_sensitive_context.set(context)
    try:
        yield
    finally:
        try:
            await sync_to_async(close_connection)()
        finally:
            SyncToAsync.thread_sensitive_context.reset(token)
            executor: ThreadPoolExecutor | None = SyncToAsync.context_to_thread_executor.pop(context, None)
            if executor is not None:
                executor.shutdown(wait=False)  # its one thread is idle now; it ends once the executor is gone


def as_unit_of_work(function):
    """The coroutine function `function`, each call run as a `unit_of_work`."""

    @functools.wraps(function)
    async def wrapper(*args, **kwargs):
        async with unit_of_work():
            return await function(*args, **kwargs)

    return wrapper


class _SharedThread:
    """One long-lived thread for synchronous stages: asgiref runs the thread-sensitive calls made under one
    ThreadSensitiveContext on one thread, its own."""

    __slots__ = ("context", "requests")

    def __init__(self) -> None:
        self.context = ThreadSensitiveContext()
        self.requests = 0


_shared_threads: list[_SharedThread] = []


@contextlib.asynccontextmanager
async def on_shared_thread():
    """Run the block's synchronous stages (`sync_to_async`, the async ORM) on one of the process's LETTA_SYNC_THREADS
    long-lived threads, the one serving the fewest requests now, instead of the request's own new thread.

    Django starts a thread for each ASGI request and joins it when the request ends. A send crosses into synchronous
    code a few times around a long wait for its model, so a burst of 500 sends kept 500 threads, each runnable for
    moments, taking turns for the interpreter with the event loop that serves them all: measured, half the process's
    CPU under that burst (12.9 s for 500 sends; 6.6 s on four shared threads). Requests sharing a thread interleave
    only between stages, and a stage is a unit of its own (its own transaction, never one left open), so they cannot
    see each other's half-done work. With a pool, the thread's connection goes back to it when the block ends: an
    idle shared thread holds none. For views whose synchronous stages are short (`api_view`); others keep Django's
    thread per request. A sync caller waiting above (a test's `async_to_sync`) keeps the work on its own thread, as
    asgiref always does."""
    if not settings.SYNC_THREADS:
        yield
        return
    if not _shared_threads:
        _shared_threads.extend(_SharedThread() for _ in range(settings.SYNC_THREADS))
    shared = min(_shared_threads, key=lambda thread: thread.requests)
    shared.requests += 1
    token = SyncToAsync.thread_sensitive_context.set(shared.context)
    try:
        yield
    finally:
        try:
            if "pool" in settings.DATABASES["default"].get("OPTIONS", {}):
                await sync_to_async(release_connection)()
        finally:
            SyncToAsync.thread_sensitive_context.reset(token)
            shared.requests -= 1


def fresh_connection(function):
    """`function`, after closing this thread's connection if an error left it unusable (Django's check when a request
    starts): for a request's first stage on a shared thread. That connection is kept from request to request (opening
    one per request cost a tenth of a burst's CPU on SQLite); with a pool it goes back at each request's end instead
    (`on_shared_thread`)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        # In a test, the caller's transaction on its own thread above is not ours to end.
        if connection.connection is not None and connection.errors_occurred and not connection.in_atomic_block:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()
        return function(*args, **kwargs)

    return wrapper


def is_pool_exhausted(exc: BaseException) -> bool:
    """Whether `exc` comes of waiting longer than the pool's timeout for a connection (Django wraps the pool's
    PoolTimeout in its own OperationalError)."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # no pool installed, so none can run dry
        return False
    seen: BaseException | None = exc
    for _ in range(10):  # a chain of causes is short; the bound only guards against a cycle
        if seen is None:
            return False
        if isinstance(seen, PoolTimeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def pool_exhausted_message() -> str:
    return (
        f"The server is too busy to answer now: no database connection came free within "
        f"{settings.DB_POOL_TIMEOUT:g} s. Try again in a moment. (The server's operator can "
        "raise LETTA_DB_POOL_MAX, with PostgreSQL's max_connections, or run more server processes.)"
    )


class PoolExhaustedMiddleware(MiddlewareMixin):
    """A view that could not get a connection answers 503 with Retry-After: JSON under /v1/, text elsewhere. The
    DRF views answer it through the API's exception handler (accounts.api_errors), which comes first."""

    def process_exception(self, request, exception):
        if not is_pool_exhausted(exception):
            return None
        if request.path.startswith("/v1/"):
            response = JsonResponse({"detail": pool_exhausted_message()}, status=503)
        else:
            response = HttpResponse(pool_exhausted_message(), status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
