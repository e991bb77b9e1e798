"""Settings for the agent server.

Every environment variable the server reads is read here, once, through the typed readers of
`letta_project.env` (a malformed value stops start-up with a message naming the variable). With none set, the
server runs on the embedded default: SQLite in WAL mode, the in-memory channel layer, one ASGI process. The README
lists every variable.
"""

from datetime import timedelta
from pathlib import Path

from django.utils.csp import CSP

from letta_project.env import (
    env_bool,
    env_choice,
    env_int,
    env_int_map,
    env_list,
    env_path,
    env_seconds,
    env_str,
    env_url,
)
from letta_project.secret_key import missing_secret_key, stored_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("LETTA_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)


DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI as static files: the docs page works offline
    "channels",
    "django_htmx",
    "axes",  # sign-in throttling (see "Sign-in throttling" below)
    "django_tasks_db",  # the task queue's tables (see "Task queue" below)
    "accounts",
    "memory",
    "tools",
    "agents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A body over its cap answers 413 before any view or form reads it (letta_project/limits.py).
    "letta_project.limits.BodyLimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "agents.api.storable_input.StorableQueryMiddleware",
    # A view that waited too long for a database connection answers 503 (letta_project/db.py).
    "letta_project.db.PoolExhaustedMiddleware",
    # Last, as django-axes asks: it turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The REST API's stack (/v1/, letta_project/middleware.py): an API request is authenticated by its key in its view,
# so what serves signed-in browsers (sessions, CSRF, the user, messages, htmx, the lockout page) is left out, and
# Django's pure middleware (no I/O) comes in versions that run on the event loop, not a worker thread. (The pages
# keep Django's own classes, by the names `manage.py check --deploy` looks for.)
API_MIDDLEWARE = [
    "letta_project.middleware.SecurityMiddleware",
    "letta_project.middleware.ContentSecurityPolicyMiddleware",
    "letta_project.middleware.CommonMiddleware",
    "letta_project.middleware.XFrameOptionsMiddleware",
    "letta_project.limits.BodyLimitMiddleware",
    "agents.api.storable_input.StorableQueryMiddleware",
    "letta_project.db.PoolExhaustedMiddleware",
]

ROOT_URLCONF = "letta_project.urls"
ASGI_APPLICATION = "letta_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL (e.g. postgresql://user:pass@host/db, or postgresql://user@/db?host=/run/postgresql for a unix
# socket) selects the database; PostgreSQL needs the pgvector extension (the memory migrations create it).
# Unset, the server runs on the embedded SQLite file.
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "pgsql"))
# On PostgreSQL, connections come from a pool of at most LETTA_DB_POOL_MAX per server process (0: no pool, a new
# connection per request, e.g. behind PgBouncer), and a run gives its connection back while it waits for the model
# (letta_project/db.py): a pool this size serves hundreds of concurrent sends. A request that finds no connection
# free queues for up to LETTA_DB_POOL_TIMEOUT seconds, then answers 503. Keep the pool size times the number of
# server processes (and workers) below PostgreSQL's max_connections (100 by default): 20 leaves room for four.
DB_POOL_MAX = env_int("LETTA_DB_POOL_MAX", 20)
DB_POOL_TIMEOUT = env_seconds("LETTA_DB_POOL_TIMEOUT", 30)
# The async API views (sends, streams, tool runs) run their short synchronous stages on this many long-lived threads
# of the process, shared by all their requests, instead of a new thread per request (letta_project/db.py,
# `on_shared_thread`); 0: a thread per request, as Django does.
SYNC_THREADS = env_int("LETTA_SYNC_THREADS", 4)
if DATABASE_URL:
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DB_POOL_MAX:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_MAX),
            "max_size": DB_POOL_MAX,
            "timeout": DB_POOL_TIMEOUT,
        }
else:
    # SQLite: WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two writers
    # queue on the busy timeout instead of one failing with "database is locked" when it upgrades its lock. Django's
    # backend, with the writers of one process taking turns in the process (letta_project/sqlite/base.py).
    DATABASES = {
        "default": {
            "ENGINE": "letta_project.sqlite",
            "NAME": env_path("LETTA_SQLITE_PATH", DATA_DIR / "letta.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": env_path("LETTA_TEST_SQLITE_PATH", DATA_DIR / "test.sqlite3")},
        }
    }

# --- Secret key and HTTPS --------------------------------------------------------------------------
# DJANGO_SECRET_KEY signs sessions and, unless LETTA_ENCRYPTION_KEY is set, derives the key secrets at rest are
# encrypted with. Unset on the embedded default (or with DEBUG on), one is generated into LETTA_DATA_DIR/secret_key
# on the first start and reused; a server on DATABASE_URL may run as several processes or machines, which must
# share one key, so there it has to be set. Keys it replaces go in DJANGO_SECRET_KEY_FALLBACKS (comma-separated):
# sessions signed with them stay valid, and secrets encrypted under them stay readable until
# `manage.py rotate_encryption_key`.
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if DATABASE_URL and not DEBUG:
        raise missing_secret_key()
    SECRET_KEY = stored_secret_key(DATA_DIR)
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])

# LETTA_BEHIND_TLS_PROXY=1: the server is reached over HTTPS through a proxy that terminates TLS and sets
# X-Forwarded-Proto (overwriting any the client sent). Then plain-http requests are redirected to https, cookies
# are sent over https only and browsers are told to keep to https (HSTS, LETTA_HSTS_SECONDS, 0 for none). Off
# (the embedded default on http://127.0.0.1), none of this applies. DJANGO_CSRF_TRUSTED_ORIGINS lists origins
# (https://host) the ADE's forms may be posted from when the proxy does not pass the Host header through.
BEHIND_TLS_PROXY = env_bool("LETTA_BEHIND_TLS_PROXY", False)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A load balancer's health probe often comes over plain http straight to the server; it learns nothing secret.
    SECURE_REDIRECT_EXEMPT = [r"^v1/health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("LETTA_HSTS_SECONDS", 365 * 24 * 3600)
    # Subdomains of the server's own host name only (HSTS never reaches up to the parent domain).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # "preload" lets anyone submit the domain to the browsers' built-in HTTPS-only list, a decision for the
    # domain's owner: off unless asked for, and then Django's reminder about it (W021) is not a warning.
    SECURE_HSTS_PRELOAD = env_bool("LETTA_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# REDIS_URL (redis://host:6379/0) shares run events between several server processes; unset, events stay in
# this process's memory, which is all one process needs.
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))


def redis_channel_layer(url: str) -> dict:
    # A reader waits for its next event with a blocking pop of 5 s (channels_redis); redis-py 8's default socket
    # timeout is also 5 s, so every websocket idle that long died with "Timeout reading from" Redis (code 1011).
    host = {"address": url, "socket_timeout": 30}
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}}


if REDIS_URL:
    CHANNEL_LAYERS = redis_channel_layer(REDIS_URL)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

# The ADE signs people in with Django's auth; every page under /ade/ needs it.
LOGIN_URL = "ade-login"
LOGIN_REDIRECT_URL = "ade-agents"
LOGOUT_REDIRECT_URL = "ade-login"
# An htmx post with a stale CSRF token (a sign-in in another tab renewed it) reloads its page instead of failing
# silently.
CSRF_FAILURE_VIEW = "accounts.access.csrf_failure"

# --- Sign-in throttling (django-axes) ------------------------------------------------------------
# Password guessing on the sign-in page: after LETTA_LOGIN_FAILURE_LIMIT failures for one username from one
# address, that pair is refused (the right password too) for LETTA_LOGIN_COOLOFF_MINUTES, with a page saying
# until when; anyone else, and the API (keys, not passwords), is unaffected. `manage.py axes_reset` lifts every
# lock (`axes_reset_username NAME`, `axes_reset_ip ADDRESS` one). Behind a proxy, every request comes from the
# proxy's address unless AXES_IPWARE_* settings say which header carries the client's.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LETTA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LETTA_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Attempts while locked do not push the end of the lock further away, so the time the page names holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures are what the lock needs; a row per successful sign-in would only grow the database.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# --- Content-Security-Policy ---------------------------------------------------------------------
# The ADE runs only its own static scripts (no inline script, handler or eval: htmx's allowEval is off too) and
# stylesheets; websockets go to this host ('self' covers ws: and wss: of it in current browsers).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Style attributes only (never <style> elements): the context window's bars are sized by `style="width: …"`
    # computed on the server. An attribute cannot run code, and templates escape everything put into one.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# The API's Swagger UI page (/v1/docs/) starts itself with an inline script and styles itself inline; it is the
# only page allowed to, through its own policy (agents/api/urls.py), so the ADE's policy stays strict.
API_DOCS_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}

# A websocket signed in with a session or a key closes when the credential ends: at once on sign-out, key
# revocation or deactivation (a message to the socket), at the session's expiry (a timer), and otherwise when a
# re-check finds it gone; this is how often that re-check runs (a query per socket, not per event).
SOCKET_RECHECK_SECONDS = env_seconds("LETTA_SOCKET_RECHECK_SECONDS", 30)

# --- Limits on what comes in (letta_project/limits.py) ------------------------------------------------
# A request body larger than LETTA_MAX_REQUEST_BYTES is refused with a 413 naming the setting, before it is read
# (Django's own DATA_UPLOAD_MAX_MEMORY_SIZE is the same number). Agent files (POST /v1/agents/import and the ADE's
# import page) may be up to LETTA_MAX_AGENT_FILE_BYTES: Letta's files with their whole history are a few hundred
# kilobytes, so 20 MB holds any real one while a stray upload cannot make the import (which decodes the file whole,
# several times its size in memory) take gigabytes.
MAX_REQUEST_BYTES = env_int("LETTA_MAX_REQUEST_BYTES", 2_621_440, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
MAX_AGENT_FILE_BYTES = env_int("LETTA_MAX_AGENT_FILE_BYTES", 20 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_HANDLERS = [
    "letta_project.limits.UploadCapHandler",  # first: it stops an upload past the cap before the others store it
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# No memory block's value may be longer than this, nor its limit higher, on any path (API, ADE, memory tools, agent
# files): twice the default limit a block gets (100,000) and ten times Letta's usual 20,000, so no real block is
# refused, while one block stays a small part of a context window (about 50,000 tokens).
MAX_BLOCK_CHARS = env_int("LETTA_MAX_BLOCK_CHARS", 200_000, minimum=1000)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON refusing text no database can store (agents/api/storable.py). Only JSON: the agent-file upload takes its
    # own form parsers, and a form type documented for every route would invite multipart bodies, which the HTTP
    # server (Twisted, under daphne) answers with a bare 400 when malformed, before the request reaches Django.
    "DEFAULT_PARSER_CLASSES": ["agents.api.storable_input.StorableJSONParser"],
    # Every API view needs a key unless it says otherwise; no key answers 401 with a Bearer challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.APIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The reference's error body, {"detail": ...}, for every error, and JSON (never HTML) for unexpected ones.
    "EXCEPTION_HANDLER": "accounts.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "agents.api.schema_generator.AutoSchema",
}

# The OpenAPI schema at /v1/openapi.json; what each route accepts and answers is declared in agents/api/schema.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "Letta-compatible agent server API",
    "DESCRIPTION": (
        "Stateful LLM agents with editable memory blocks, archival memory and tools. Wire-compatible with "
        "Letta's v1 REST API: the official `letta-client` SDK works with `base_url` set to this server. "
        "Authenticate with `Authorization: Bearer <API key>` (keys come from the ADE or "
        '`manage.py create_api_key`). Errors answer `{"detail": "..."}`.'
    ),
    "VERSION": "1.0.0",
    "DEFAULT_GENERATOR_CLASS": "agents.api.schema_generator.SchemaGenerator",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several response shapes have a `status` field with different choices; each enum gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "agents.api.serializers.RUN_STATUSES",
        "StepStatusEnum": "agents.api.serializers.STEP_STATUSES",
        "ToolResultStatusEnum": "agents.api.serializers.TOOL_RESULT_STATUSES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agents.api.schema_generator.postprocess",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Model providers -----------------------------------------------------------------------------
# Handles are "provider/model". "openai" and "anthropic" read the SDKs' usual variables (here: the clients are
# always handed their key and URL, never left to read the environment themselves); any other
# OpenAI-compatible server is declared with <NAME>_BASE_URL (e.g. OLLAMA_BASE_URL) and, if it needs one,
# <NAME>_API_KEY, then used as "<name>/<model>". Each entry's `kind` is the protocol it speaks ("openai",
# "anthropic" or "openai_compatible", as accounts.Provider.kind); an optional `provider_type` is Letta's type for
# it, which is otherwise its name (agents/providers.py resolves both).
LLM_PROVIDERS = {
    "openai": {
        "kind": "openai",
        "api_key": env_str("OPENAI_API_KEY"),
        "base_url": env_url("OPENAI_BASE_URL", schemes=("http", "https")),
    },
    "anthropic": {
        "kind": "anthropic",
        "api_key": env_str("ANTHROPIC_API_KEY"),
        "base_url": env_url("ANTHROPIC_BASE_URL", schemes=("http", "https")),
    },
}
for _name in ("ollama", "vllm", "lmstudio", "openrouter", "together", "groq", "google_ai"):
    _base = env_url(f"{_name.upper()}_BASE_URL", schemes=("http", "https"))
    if _base:
        LLM_PROVIDERS[_name] = {
            "kind": "openai_compatible",
            "api_key": env_str(f"{_name.upper()}_API_KEY"),
            "base_url": _base,
        }

# Where the server is reached, for the API client a custom tool gets (agents/runtime/tool_agent.py).
SERVER_URL = env_url("LETTA_SERVER_URL", schemes=("http", "https")) or f"http://127.0.0.1:{env_int('PORT', 8000)}"
# Wall-clock limit for one custom tool call in its sandbox.
TOOL_TIMEOUT_SECONDS = env_seconds("LETTA_TOOL_TIMEOUT", 30)
# Connecting to an MCP server and one call to it, together (a stdio server starts per call).
MCP_TIMEOUT_SECONDS = env_seconds("LETTA_MCP_TIMEOUT_SECONDS", 30)
# stdio MCP servers run in the tool sandbox; these host directories are bound into it, read-write, where they are
# (e.g. the repository an mcp-server-git serves). Every organization's stdio servers see them.
MCP_STDIO_PATHS = env_list("LETTA_MCP_STDIO_PATHS", [])
LLM_MAX_RETRIES = env_int("LETTA_LLM_MAX_RETRIES", 3)
LLM_TIMEOUT_SECONDS = env_seconds("LETTA_LLM_TIMEOUT", 600)
DEFAULT_MODEL = env_str("LETTA_DEFAULT_MODEL")
# The model that writes compaction summaries; the agent's own model when unset.
SUMMARIZER_MODEL = env_str("LETTA_SUMMARIZER_MODEL")
# Context window used when neither the agent nor a known model says otherwise (Letta's global cap).
DEFAULT_CONTEXT_WINDOW = env_int("LETTA_DEFAULT_CONTEXT_WINDOW", 128000, minimum=1)
# Context window of a model on an OpenAI-compatible server (not OpenAI's or Anthropic's own API) that neither the
# agent, a known model name, the server's model list nor the server itself (llama.cpp /props, Ollama /api/show)
# describes: small on purpose, since overrunning a local server's real window fails or silently truncates.
UNKNOWN_CONTEXT_WINDOW = env_int("LETTA_UNKNOWN_CONTEXT_WINDOW", 8192, minimum=1)
# Context windows of the environment's providers' models, by handle: "vllm/gemma-3-270m-it=8192,ollama/*=32768"
# ("name/*": that provider's default). API-created providers carry theirs in their record (agents/providers.py).
MODEL_CONTEXT_WINDOWS = env_int_map("LETTA_MODEL_CONTEXT_WINDOWS")
# Output cap sent with every model call when the agent sets no max_tokens (never more than half the context
# window), so a small model cannot run away filling its window.
DEFAULT_MAX_TOKENS = env_int("LETTA_DEFAULT_MAX_TOKENS", 4096, minimum=1)
# A run holds a lease that the process running it renews every quarter of this (from a thread, so a step waiting
# for the provider or a tool keeps it). A run whose lease lapsed has no live process: it is ended by the next start,
# send, cancel or stream read that meets it, and by the sweep every web process makes (LETTA_RUN_SWEEP). Each queue
# worker holds a lease of the same length, renewed with them: a task whose worker's lease lapsed is failed and what
# it carried recovered by the next worker that looks (agents/runtime/worker.py, fail_abandoned).
RUN_LEASE_SECONDS = env_seconds("LETTA_RUN_LEASE_SECONDS", 10)
RUN_SWEEP = env_bool("LETTA_RUN_SWEEP", True)
# How long a background run's events stay resumable after it ended (the reference's 3 hours); older ones are
# deleted when the organization starts its next background run, and resuming them answers 410.
RUN_EVENTS_KEEP_SECONDS = env_int("LETTA_RUN_EVENTS_KEEP_SECONDS", 3 * 3600)

# --- Task queue (agents/tasks.py, agents/runtime/worker.py) ----------------------------------------------
# Work that outlives a request (background runs and their callbacks) is a Django task stored in the database by
# django-tasks-db, so the queue needs nothing the server does not already have. Workers take tasks from it: each
# web process runs one on its own event loop unless LETTA_RUN_WORKER_IN_PROCESS=0, and `manage.py letta_worker`
# runs one as a process of its own (as many as wanted, on any machine sharing the database). A worker runs up to
# LETTA_WORKER_CONCURRENCY tasks at once (a run mostly awaits its provider) and looks for new ones every
# LETTA_WORKER_POLL_SECONDS. A web process with its own worker takes the runs it accepts itself, at once; other
# workers take such a run only if it is still waiting after LETTA_WORKER_HANDOFF_SECONDS (that worker was full).
# Background runs wait in the queue LETTA_RUN_QUEUE (`letta_worker --queue` names the queues a worker serves).
RUN_QUEUE = env_str("LETTA_RUN_QUEUE", "runs")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", RUN_QUEUE]}}
RUN_WORKER_IN_PROCESS = env_bool("LETTA_RUN_WORKER_IN_PROCESS", True)
WORKER_CONCURRENCY = env_int("LETTA_WORKER_CONCURRENCY", 100, minimum=1)
WORKER_POLL_SECONDS = env_seconds("LETTA_WORKER_POLL_SECONDS", 0.5)
WORKER_HANDOFF_SECONDS = env_seconds("LETTA_WORKER_HANDOFF_SECONDS", 5)
# Workers delete the queue's records of tasks that ended more than this many days ago (hourly); runs keep their own.
TASK_RESULTS_KEEP_DAYS = env_int("LETTA_TASK_RESULTS_KEEP_DAYS", 14, minimum=1)
# Scheduled messages (agents/schedules.py): at most this many live schedules per agent; a delivery that finds its
# agent busy with another run tries again after LETTA_SCHEDULE_RETRY_SECONDS.
SCHEDULES_PER_AGENT = env_int("LETTA_SCHEDULES_PER_AGENT", 100, minimum=1)
SCHEDULE_RETRY_SECONDS = env_seconds("LETTA_SCHEDULE_RETRY_SECONDS", 5)

# Provider traces (the exact request and answer of each step, shown by the ADE's run inspector and served on
# /v1/steps/{id}/trace and /v1/runs/{id}/trace): each side is cut to this many bytes of JSON, and traces are
# deleted this many days after they were written (0 stores none).
TRACE_MAX_BYTES = env_int("LETTA_TRACE_MAX_BYTES", 256 * 1024, minimum=1024)
TRACE_KEEP_DAYS = env_int("LETTA_TRACE_KEEP_DAYS", 7, minimum=0)
# Requests the server makes to URLs users supply (tools' fetches, MCP servers over HTTP, tools' network grants)
# refuse loopback, private, link-local and metadata addresses; these hosts, addresses or networks (CIDR) are let
# through anyway (letta_project/outbound.py).
OUTBOUND_ALLOW = env_list("LETTA_OUTBOUND_ALLOW", [])
# Secrets at rest (agents' secrets, MCP servers' headers and tokens, providers' API keys) are encrypted with these
# Fernet keys: the first encrypts, all decrypt. To rotate, put a new key first, keep the old one after it, run
# `manage.py rotate_encryption_key`, then drop the old key. Unset, a key derived from SECRET_KEY encrypts; keys
# derived from SECRET_KEY (and its fallbacks) always decrypt too (letta_project/encryption.py).
ENCRYPTION_KEYS = env_list("LETTA_ENCRYPTION_KEY", [])
TIKTOKEN_CACHE_DIR = env_path("TIKTOKEN_CACHE_DIR", DATA_DIR / "tiktoken")

# --- Built-in web and code tools (web_search, fetch_webpage, run_code) -----------------------------
# web_search asks Exa (EXA_API_KEY; EXA_BASE_URL for a proxy or a test server) or a SearXNG instance
# (LETTA_SEARXNG_URL, its JSON format enabled); "auto" takes Exa when its key is set, else SearXNG when its URL is.
# With neither, the tool tells the model that search is not configured. These URLs are the operator's, so they
# are trusted; the pages fetch_webpage reads are not (the outbound policy, LETTA_OUTBOUND_ALLOW, applies to them).
WEB_SEARCH_PROVIDER = env_choice("LETTA_WEB_SEARCH_PROVIDER", "AUTO", ("AUTO", "EXA", "SEARXNG")).lower()
EXA_API_KEY = env_str("EXA_API_KEY")
EXA_BASE_URL = env_url("EXA_BASE_URL", schemes=("http", "https")) or "https://api.exa.ai"
SEARXNG_URL = env_url("LETTA_SEARXNG_URL", schemes=("http", "https"))
WEB_SEARCH_TIMEOUT_SECONDS = env_seconds("LETTA_WEB_SEARCH_TIMEOUT", 20)
# fetch_webpage reads at most this many bytes of a page (the rest is dropped, with a note to the model).
FETCH_WEBPAGE_TIMEOUT_SECONDS = env_seconds("LETTA_FETCH_WEBPAGE_TIMEOUT", 15)
FETCH_WEBPAGE_MAX_BYTES = env_int("LETTA_FETCH_WEBPAGE_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
# run_code runs Python in the custom-tool sandbox, with this wall-clock limit.
RUN_CODE_TIMEOUT_SECONDS = env_seconds("LETTA_RUN_CODE_TIMEOUT", TOOL_TIMEOUT_SECONDS)

LOG_LEVEL = env_choice("LETTA_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # The SDKs log every HTTP request at INFO, django-axes every sign-in; that is noise next to the run's own
    # events (a failed sign-in and a lockout are warnings, and stay).
    "loggers": {name: {"level": "WARNING"} for name in ("httpx", "httpx2", "openai", "anthropic", "axes")},
}

# The custom-tool sandbox (tools/sandbox/; README "Tool sandbox"). "bwrap" (default) runs every custom tool in
# bubblewrap, found as LETTA_TOOL_SANDBOX_BWRAP when set, else on PATH, else beside the server's Python; without it
# custom tools are refused with a message saying how to enable it. "unsafe-none" runs them unconfined (a warning
# is logged at start): only for a trusted single-user server.
TOOL_SANDBOX = env_choice("LETTA_TOOL_SANDBOX", "BWRAP", ("BWRAP", "UNSAFE-NONE")).lower()
TOOL_SANDBOX_BWRAP = env_str("LETTA_TOOL_SANDBOX_BWRAP")
# Caps of one run: memory of the whole process tree and how many processes it may have at once (a per-run cgroup;
# where the host allows none, memory falls back to each process's address space and processes are not capped),
# CPU seconds, size of a written file, open files (rlimits, per process), and the scratch tmpfs.
TOOL_MEMORY_BYTES = env_int("LETTA_TOOL_MEMORY_MB", 512, minimum=16) << 20
TOOL_MAX_PROCESSES = env_int("LETTA_TOOL_MAX_PROCESSES", 64, minimum=4)
TOOL_CPU_SECONDS = env_int("LETTA_TOOL_CPU_SECONDS", 30, minimum=1)
TOOL_FILE_SIZE_BYTES = env_int("LETTA_TOOL_FILE_SIZE_MB", 64, minimum=1) << 20
TOOL_OPEN_FILES = env_int("LETTA_TOOL_OPEN_FILES", 256, minimum=16)
TOOL_SCRATCH_BYTES = env_int("LETTA_TOOL_SCRATCH_MB", 64, minimum=1) << 20
# What is kept of a run's stdout and of its stderr (bytes, and bytes per line; the rest is counted and noted),
# and the largest return value taken from it (before the tool's own return_char_limit).
TOOL_OUTPUT_MAX_BYTES = env_int("LETTA_TOOL_OUTPUT_MAX_BYTES", 64 * 1024, minimum=1024)
TOOL_OUTPUT_LINE_MAX = env_int("LETTA_TOOL_OUTPUT_LINE_MAX", 4096, minimum=80)
TOOL_RESULT_MAX_BYTES = env_int("LETTA_TOOL_RESULT_MAX_BYTES", 1024 * 1024, minimum=1024)
# Tool runs in flight at once per server process and per organization; a run waits this long for a slot, then
# the tool answers with an error naming the setting.
TOOL_CONCURRENCY = env_int("LETTA_TOOL_CONCURRENCY", 16, minimum=1)
TOOL_CONCURRENCY_PER_ORG = env_int("LETTA_TOOL_CONCURRENCY_PER_ORG", 4, minimum=1)
TOOL_SLOT_WAIT_SECONDS = env_seconds("LETTA_TOOL_SLOT_WAIT", 10)
# Network grants for tools (none by default): `ORG/TOOL=HOST,HOST;...` with `*` for any organization or tool, and
# hosts as `host`, `host:port`, `*.domain` or `*` (any public address). See tools/sandbox/egress.py.
TOOL_NETWORK = env_str("LETTA_TOOL_NETWORK", "")
