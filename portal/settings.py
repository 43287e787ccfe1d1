"""MLOps Portal settings: one file, driven by the environment.

Every knob is read through a typed helper so that a typo in a deployment fails at
start-up instead of silently meaning "off".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    # Only the two words: "yes", "1" or "on" have bitten too many deployments.
    value = os.environ.get(name, default).strip().lower()
    if value not in ("true", "false"):
        raise ImproperlyConfigured(f"{name} must be 'true' or 'false', got {value!r}")
    return value == "true"


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (Docker and Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points to an unreadable file: {exc}") from exc
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", "false")
# pytest imports settings before any conftest runs, so it is recognised here.
TESTING = envbool("PORTAL_TESTING", "true" if "pytest" in sys.modules else "false")
# PORTAL_PROFILE=production turns the secure defaults on (HSTS, secure cookies, HTTPS
# redirect, trust in the TLS proxy's X-Forwarded-Proto, JSON logs); each one can
# still be overridden by its own variable.
PORTAL_PROFILE = env("PORTAL_PROFILE", "development")
if PORTAL_PROFILE not in ("development", "production"):
    raise ImproperlyConfigured(
        f"PORTAL_PROFILE must be 'development' or 'production', got {PORTAL_PROFILE!r}"
    )
PRODUCTION = PORTAL_PROFILE == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be false when PORTAL_PROFILE=production")
_ON_IN_PRODUCTION = "true" if PRODUCTION else "false"

SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-not-for-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is false"
        )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# The portal's public address: e-mails and webhooks (sent by workers, with no
# request at hand) build their links from it. Unset in production, it is the first
# plain host of ALLOWED_HOSTS over https; SITE_URL_SET says whether it is known.
_PUBLIC_HOST = next((h for h in ALLOWED_HOSTS if h and "*" not in h and h[0] != "."), "")
SITE_URL = env("SITE_URL", "").rstrip("/")
SITE_URL_SET = bool(SITE_URL) or bool(_PUBLIC_HOST and not (DEBUG or TESTING))
if not SITE_URL:
    SITE_URL = (
        f"https://{_PUBLIC_HOST}"
        if _PUBLIC_HOST and not (DEBUG or TESTING)
        else "http://127.0.0.1:8000"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "portal",
    "procedures",
    "inventory",
    "knowledge",
    "data",
    "skills",
]

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    # Probes and scrapes come by pod IP over plain HTTP: answered before host checks.
    "portal.health.InternalEndpointsMiddleware",
    "portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL bytes, over-deep JSON and oversized uploads: refused before any view runs.
    "portal.validation.InputValidationMiddleware",
    # Refreshes Keycloak tokens and ends the session once Keycloak has ended it.
    "portal.auth.session.KeycloakSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "portal.middleware.WorkflowErrorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.context_processors.portal",
                "portal.notifications.context.notifications",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------
VAR_DIR = Path(env("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
DATABASE_URL = envsecret("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
DATABASES = {
    # A kept connection is checked before a request reuses it (a restarted server).
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let `make run` serve a page while a sync writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envsecret("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "portal"),
            # An unreachable Redis must fail a request (and /readyz) fast, not hang it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered pages kept until what they show changes (portal.page_cache), at most this
# long. Off without Redis (each process would keep its own, missing the others'
# changes), in development (templates edited live) and in tests (which write rows
# directly); its own tests turn it on.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 60 if REDIS_URL and not (DEBUG or TESTING) else 0)

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = envsecret("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = envsecret("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
# Without a broker the embedded default runs tasks in-process, right after commit.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false" if REDIS_URL else "true")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A prefork child that ends a task above this resident size (KiB) is replaced by a fresh
# one; a large sync releases what it freed (portal.celery.release_memory), this catches
# what fragmentation keeps. 0 turns it off.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 160_000) or None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_DEFAULT_QUEUE", "default")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Task outcome metrics (Celery signals) are connected when the worker imports this.
CELERY_IMPORTS = ["portal.metrics"]

# --- Auth -------------------------------------------------------------------------
if TESTING:
    # The personas sign in with real passwords; hashing is not what the tests test.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

KEYCLOAK_SERVER_URL = env("KEYCLOAK_SERVER_URL").rstrip("/")
KEYCLOAK_REALM = env("KEYCLOAK_REALM")
KEYCLOAK_CLIENT_ID = env("KEYCLOAK_CLIENT_ID")
KEYCLOAK_CLIENT_SECRET = envsecret("KEYCLOAK_CLIENT_SECRET")
KEYCLOAK_VERIFY_TLS = envbool("KEYCLOAK_VERIFY_TLS", "true")
# Seconds the portal waits for Keycloak; past it, Keycloak counts as unavailable.
KEYCLOAK_TIMEOUT = envint("KEYCLOAK_TIMEOUT", 10)
# What strangers can cost (portal/auth/limits.py): password sign-in (local and
# break-glass) locks an account+address out after this many failures for this long;
# back-channel logout calls per address and minute; refused bearer tokens audited
# at most once per address and interval (all are counted in /metrics).
AUTH_LOCKOUT_FAILURES = envint("AUTH_LOCKOUT_FAILURES", 5)
AUTH_LOCKOUT_SECONDS = envint("AUTH_LOCKOUT_SECONDS", 900)
BACKCHANNEL_RATE_PER_MINUTE = envint("BACKCHANNEL_RATE_PER_MINUTE", 120)
AUTH_REFUSAL_AUDIT_INTERVAL = envint("AUTH_REFUSAL_AUDIT_INTERVAL", 300)
KEYCLOAK_ENABLED = bool(KEYCLOAK_SERVER_URL and KEYCLOAK_REALM and KEYCLOAK_CLIENT_ID)
if KEYCLOAK_ENABLED:
    AUTHENTICATION_BACKENDS = ["portal.auth.backend.KeycloakBackend", *AUTHENTICATION_BACKENDS]

# --- I18n -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Limits -----------------------------------------------------------------------
MARKDOWN_MAX_BYTES = envint("MARKDOWN_MAX_BYTES", 1_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = MARKDOWN_MAX_BYTES * 3
# Uploads are written to disk and counted while they are read (portal/uploads.py):
# one file may be as large as the largest Markdown text, a whole request (every file
# and field) UPLOAD_MAX_REQUEST_BYTES. Keep the Ingress body-size annotation
# (deploy/kubernetes/ingress.yaml) at the same value.
UPLOAD_MAX_FILE_BYTES = envint("UPLOAD_MAX_FILE_BYTES", MARKDOWN_MAX_BYTES)
UPLOAD_MAX_REQUEST_BYTES = envint("UPLOAD_MAX_REQUEST_BYTES", 20_000_000)
FILE_UPLOAD_HANDLERS = ["portal.uploads.BoundedUploadHandler"]

# --- Inventory --------------------------------------------------------------------
# A sync lock older than this is a crashed worker's: it expires and the next sync runs.
INVENTORY_SYNC_LOCK_TTL = envint("INVENTORY_SYNC_LOCK_TTL", 900)
INVENTORY_GPU_IDLE_PCT = envint("INVENTORY_GPU_IDLE_PCT", 5)  # utilisation at or below: idle
INVENTORY_GPU_IDLE_HOURS = envint("INVENTORY_GPU_IDLE_HOURS", 24)  # idle this long: a finding
# Sync runs that changed nothing are deleted after this many days (agents write many).
INVENTORY_SYNC_RUN_RETENTION_DAYS = envint("INVENTORY_SYNC_RUN_RETENTION_DAYS", 30)
# Hours of GPU usage history (the sparklines) older than this many days are deleted.
INVENTORY_USAGE_RETENTION_DAYS = envint("INVENTORY_USAGE_RETENTION_DAYS", 8)
# `make run` has no beat: a thread in the runserver process runs due syncs instead
# (only with Celery eager, i.e. without Redis).
INVENTORY_INPROCESS_SYNC = envbool("INVENTORY_INPROCESS_SYNC", "false")

# --- Data and networks ------------------------------------------------------------
# A bulk copy gets this share of a link's bandwidth (protocol overhead, other traffic).
DATA_LINK_EFFICIENCY_PCT = envint("DATA_LINK_EFFICIENCY_PCT", 90)
DATA_PER_FILE_MS = envint("DATA_PER_FILE_MS", 2)  # opening, listing, small-file round trips
DATA_LOCAL_GBPS = envint("DATA_LOCAL_GBPS", 10)  # within a site (store and GPUs side by side)
DATA_DELIVERY_MAX_HOURS = envint("DATA_DELIVERY_MAX_HOURS", 4)  # longer: a finding
DATA_LINK_MEASURED_MIN_PCT = envint("DATA_LINK_MEASURED_MIN_PCT", 50)  # of declared: a finding

# --- REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.PortalReadWrite"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.portal_exception_handler",
    # Anonymous callers by address, signed-in ones per user. Off in the test suite
    # (thousands of requests from one address); tests of the limits set rates.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.auth.throttles.AnonymousThrottle",
        "portal.auth.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "" if TESTING else "120/minute") or None,
        "user": env("API_THROTTLE_USER", "" if TESTING else "2400/minute") or None,
    },
}
if KEYCLOAK_ENABLED:
    REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].insert(
        0, "portal.auth.drf.KeycloakBearerAuthentication"
    )
# Personal API tokens (Bearer mlp_…) first: any other Bearer token goes on to Keycloak.
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].insert(
    0, "portal.api_tokens.drf.ApiTokenAuthentication"
)
API_TOKEN_DEFAULT_DAYS = envint("API_TOKEN_DEFAULT_DAYS", 90)
SPECTACULAR_SETTINGS = {
    "TITLE": "MLOps Portal API",
    "DESCRIPTION": (
        "Procedures, knowledge and inventory of an ML platform team.\n\n"
        "**Scripts** sign in with a personal API token: create one on your own page "
        "(your name in the header → *API tokens*: a name, read-only or read-write, an "
        "expiry), copy it (it is shown once), and send it as a bearer token:\n\n"
        "```\ncurl -H 'Authorization: Bearer mlp_…' https://portal.example.org/api/v1/procedures/\n```\n\n"
        "A token acts with the roles its owner holds at the time of each call, never "
        "more; a read-only token is refused (403) on any write; an unknown, expired or "
        "revoked one gets 401. With Keycloak, its access tokens (JWT) work as bearer "
        "tokens too. The browser's session cookie works for the pages' own calls.\n\n"
        'Every error has one shape: `{"detail": …, "code": …, "errors": {field: '
        "[…]}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.declare_error_responses",
    ],
    # One schema name per choice set that several serializers use; without these
    # drf-spectacular invents names like "Status144Enum" (and `check --deploy` warns).
    "ENUM_NAME_OVERRIDES": {
        "AdrStatusEnum": "knowledge.choices.AdrStatus",
        "ElementCodeEnum": "portal.elements.ElementCode",
        "SkillLevelEnum": "skills.choices.Level",
        "ProcedureCategoryEnum": "procedures.api.serializers.CATEGORY_SLUGS",
        "SourceKindEnum": "inventory.choices.SourceKind",
        "VersionStatusEnum": "procedures.choices.VersionStatus",
    },
}

# --- Security ---------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", _ON_IN_PRODUCTION)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", _ON_IN_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_HSTS_PRELOAD:
    # Preloading puts the whole registrable domain into browsers' HTTPS-only lists, a
    # one-way step for the domain's owner, not a default for one internal portal.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if envbool("BEHIND_TLS_PROXY", _ON_IN_PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# /metrics wants "Authorization: Bearer <token>" when this is set; open otherwise.
METRICS_TOKEN = envsecret("METRICS_TOKEN")

# --- Mail -------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "portal@localhost")

# --- Logging ----------------------------------------------------------------------
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', got {LOG_FORMAT!r}")
# Celery's own log format would break the one-JSON-object-per-line stream.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING_CONFIG = "portal.logging.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
