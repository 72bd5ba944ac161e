"""Settings shared by every environment; every deploy-specific value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

INSECURE_DEFAULT_SECRET_KEY = "django-insecure-local-development-only-do-not-deploy"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before organisations, whose admin module takes knox's English token admin away.
    "knox",
    # web first of ours, so that our templates (error pages) win over viewflow's.
    "web",
    "audit",
    "organisations",
    "declarations",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "django_celery_beat",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    # After viewflow: review's admin replaces viewflow's process and task admin pages.
    "review",
    "notifications",
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "web.middleware.StripNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.AuditContextMiddleware",
    "notifications.links.RequestSiteMiddleware",
    "config.busy.DatabaseBusyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# viewflow is the flow engine only: its pages are not routed, and without AUTOREGISTER it adds
# no middleware of its own (its Turbo middleware turned a form's 200 answer into 422).
VIEWFLOW = {"AUTOREGISTER": False}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "web.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Services own their transactions. Requests are not wrapped in one, because a refused attempt
# must stay in the audit log although the request that made it fails.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# Seconds a request waits for a lock (a declaration's row on PostgreSQL, the write lock on
# SQLite) before it answers 503 with Retry-After (config.busy).
DATABASE_LOCK_TIMEOUT = env.float("DATABASE_LOCK_TIMEOUT", default=5.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves many threads at once. WAL lets readers run beside the one
    # writer; IMMEDIATE takes the write lock when a transaction begins, since a transaction that
    # read first and then writes cannot wait for the lock and fails at once; the timeout makes
    # a writer wait its turn instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        transaction_mode="IMMEDIATE",
        timeout=DATABASE_LOCK_TIMEOUT,
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The owner of the tables, for `migrate` and `grant_app_role` only (audit/roles.py): web and
# worker processes connect with DATABASE_URL as a role that may only INSERT and SELECT the
# audit log, so that they cannot change or remove what it holds.
MIGRATION_DATABASE = (
    env.db("MIGRATION_DATABASE_URL") if env("MIGRATION_DATABASE_URL", default="") else None
)

# --- Cache: Redis when REDIS_URL is set, otherwise per-process memory ----------------------
# The cache only speeds things up and counts throttles: with its Redis down every page and API
# call keeps working (throttling is not enforced meanwhile, and each ignored error is logged).
REDIS_URL = env("REDIS_URL", default="")
# Short timeouts: a request makes up to six cache calls, and a slow answer only costs a miss.
REDIS_CACHE_OPTIONS = {
    "IGNORE_EXCEPTIONS": True,
    "SOCKET_CONNECT_TIMEOUT": 0.2,
    "SOCKET_TIMEOUT": 0.5,
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "perf",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: revokes the user's API tokens whenever a new password is saved.
    {"NAME": "organisations.tokens.RevokeApiTokensOnPasswordChange"},
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "config.staticfiles.AppDirectoriesWithoutViewflowFinder",
]

# --- Content-Security-Policy (django-csp), on every response ---------------------------------
# Pages load scripts and styles only from our own static files: no inline script, inline style,
# event-handler attribute or eval anywhere, so injected markup cannot run or restyle anything.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Where links in notices point when no request caused them (sweeps, digest); notices caused by
# a request link to the host that request came to (notifications.links).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="预算绩效审批 <noreply@localhost>")

# --- Celery ---------------------------------------------------------------------------------
# Without a broker the embedded default runs every task in-process, so it needs no Redis.
CELERY_BROKER_CONFIGURED = bool(env("CELERY_BROKER_URL", default=""))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "memory://"
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_CONFIGURED
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or (
    CELERY_BROKER_URL if CELERY_BROKER_CONFIGURED else None
)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The broker only speeds delivery up (the database is the outbox): sending a task never waits
# for an unreachable broker, retries, or touches the result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_PUBLISH_RETRY = False
# A worker killed with kill -9 leaves its message unacknowledged; Redis hands it out again after
# the visibility timeout. A taken message waits at most for one task (prefetch 1) and then runs,
# each stopped by the hard time limit, so no running task outlives its visibility timeout.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
    # How often a worker looks for such messages: every interval × throttle seconds (kombu's
    # defaults, 10 × 10); a short visibility timeout wants a short look too.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "max_retries": 0,
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_USER_RATE", default="3000/hour")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "预算绩效目标申报审批 API",
    "DESCRIPTION": "Declarations, review tasks, history, audit events and notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets are called `status`: the declaration's keeps its name, StatusEnum, and the
    # batch approval result's (approved or error) gets its own.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "declarations.models.DeclarationStatus",
        "BatchStatusEnum": [("approved", "已同意"), ("error", "未能同意")],
    },
}
# API tokens (django-rest-knox): expire after API_TOKEN_TTL_DAYS without use; a token in use has
# its expiry moved forward at most once an hour (or a tenth of the lifetime), not on every request.
API_TOKEN_TTL = timedelta(days=env.float("API_TOKEN_TTL_DAYS", default=7))
REST_KNOX = {
    "TOKEN_TTL": API_TOKEN_TTL,
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": int(min(3600, API_TOKEN_TTL.total_seconds() / 10)),
    "AUTH_HEADER_PREFIX": "Token",
}
# Failed logins (page and token), see organisations/signin.py: a browser or address that has
# logged in to an account is held only to its own failures on it, so no one can lock a user out.
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.int(
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default=5
)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=30)

# --- Audit log and attachments ----------------------------------------------------------------
# Key of the audit log's HMAC chain; defaults to SECRET_KEY. Changing it invalidates old events.
AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY", default="")
# The Merkle log's checkpoints are signed with this Ed25519 key (a PKCS#8 PEM file; write one
# with `python manage.py audit_keygen PATH`), never with SECRET_KEY. The embedded default
# creates it under var/ on first use; production refuses to start without AUDIT_SIGNING_KEY.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default=str(BASE_DIR / "var" / "audit-signing.pem"))
AUDIT_SIGNING_KEY_CREATE = True
# Every signed checkpoint is also appended here, outside the database: in production a volume
# or host the database's administrator cannot write. AUDIT_WITNESS_URL, if set, receives a copy.
AUDIT_ANCHOR_DIR = env("AUDIT_ANCHOR_DIR", default=str(BASE_DIR / "var" / "audit"))
AUDIT_WITNESS_URL = env("AUDIT_WITNESS_URL", default="")
# Behind a reverse proxy that sets X-Forwarded-For, record the client's address from it.
AUDIT_TRUST_X_FORWARDED_FOR = env.bool("AUDIT_TRUST_X_FORWARDED_FOR", default=False)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
