"""Settings for smi-ui, read from the environment with safe defaults.

Every variable is documented in README.md ("Configuration"). With no variables set,
the dashboard runs on the embedded default: SQLite in the data directory and an
in-memory channel layer.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from smi_ui.env import env_bool, env_float, env_json_object, env_list, persisted_secret, secret_key_weakness

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SMI_UI_DATA_DIR", BASE_DIR / "var")).resolve()

DEBUG = env_bool("DEBUG", default=False)

if os.environ.get("SECRET_KEY"):
    SECRET_KEY = os.environ["SECRET_KEY"]
elif os.environ.get("SECRET_KEY_FILE"):
    SECRET_KEY = persisted_secret(Path(os.environ["SECRET_KEY_FILE"]))
elif DEBUG:
    SECRET_KEY = persisted_secret(DATA_DIR / "secret_key")
else:
    raise ImproperlyConfigured(
        "SECRET_KEY is required when DEBUG is off: set SECRET_KEY, or SECRET_KEY_FILE to a file "
        "that holds it (created with a random key if missing). `make run` does the latter for you."
    )
if not DEBUG and (_weakness := secret_key_weakness(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak ({_weakness}): generate one with "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "channels",
    "smi_ui.core",
    "smi_ui.clusters",
    "smi_ui.inventory",
    "smi_ui.live",
    "smi_ui.sandbox",
    "smi_ui.web",
    "smi_ui.ops",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",  # before smi_ui.accounts, whose audit receivers follow its lockout decisions
    "smi_ui.accounts",
    "smi_ui.audit",
    "smi_ui.changes",
    "smi_ui.api",
    "smi_ui.metrics",
]

MIDDLEWARE = [
    "smi_ui.ops.middleware.RequestMetricsMiddleware",
    "smi_ui.core.middleware.ApiErrorBodyMiddleware",
    "smi_ui.core.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "smi_ui.ops.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smi_ui.audit.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its page (or API error body)
]

ROOT_URLCONF = "smi_ui.urls"
ASGI_APPLICATION = "smi_ui.asgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'smi-ui.sqlite3'}"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while a sync worker writes.
    # IMMEDIATE transactions wait for the write lock instead of failing when a reader upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request may run on another thread, so per-thread persistent connections
    # pile up until PostgreSQL refuses clients; a pool per process bounds them instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool checks a connection at checkout, so one the server dropped (restart, failover)
    # is replaced instead of failing the request that drew it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "20")),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# HTTP requests each web process runs at once, each on a reused thread (more wait their turn).
# Every running request may hold a database connection: keep this below DATABASE_POOL_SIZE.
HTTP_THREADS = int(os.environ.get("HTTP_THREADS", "8"))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Cluster credentials are encrypted with these Fernet keys, newest first (see clusters/crypto.py).
CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS", [])
# The audit chain is sealed with HMAC keys, newest first (see audit/keys.py); default derived from SECRET_KEY.
AUDIT_HMAC_KEYS = env_list("AUDIT_HMAC_KEYS", [])
# API tokens expire at most this many days after they are issued (0: no maximum).
API_TOKEN_MAX_DAYS = int(env_float("API_TOKEN_MAX_DAYS", 90, minimum=0))
# Commands kubeconfig exec plugins may run (names looked up on PATH, or absolute paths); only
# `clusters add --kubeconfig` accepts exec plugins at all, and only for these (kube/kubeconfig.py).
KUBECONFIG_EXEC_ALLOWED_COMMANDS = env_list("KUBECONFIG_EXEC_ALLOWED_COMMANDS", [])
SYNC_LEASE_SECONDS = float(os.environ.get("SYNC_LEASE_SECONDS", "15"))
SYNC_REDISCOVER_SECONDS = float(os.environ.get("SYNC_REDISCOVER_SECONDS", "60"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:overview"
LOGOUT_REDIRECT_URL = "login"
# Login lockout (django-axes, smi_ui.accounts.lockout): after LOGIN_FAILURE_LIMIT failures for one
# username or from one address, logins are refused for LOGIN_LOCKOUT_MINUTES, even with the right password.
AUTHENTICATION_BACKENDS = ["smi_ui.accounts.backends.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(env_float("LOGIN_FAILURE_LIMIT", 20, minimum=1))
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = "smi_ui.accounts.lockout.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "smi_ui.accounts.lockout.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lockout ends when it says, however often it is hit
AXES_ENABLE_ADMIN = False  # smi_ui.accounts.admin shows attempts read-only and audits unlocking
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))

# Cookies: mark them Secure when the dashboard is served over HTTPS (SECURE_COOKIES=true).
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over HTTPS (SECURE_COOKIES or BEHIND_TLS_PROXY): plain HTTP is redirected and browsers are
# told to use HTTPS only (HSTS). Probes and /metrics stay reachable over plain HTTP inside the cluster.
_HTTPS_ONLY = SECURE_COOKIES or BEHIND_TLS_PROXY
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_HTTPS_ONLY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(env_float("SECURE_HSTS_SECONDS", 31_536_000 if _HTTPS_ONLY else 0, minimum=0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Proxies whose X-Forwarded-For names the client when BEHIND_TLS_PROXY is on (smi_ui.ops.proxy):
# by default loopback and the private ranges, where an ingress controller's pods live.
# Only loopback by default: a client inside a trusted range could otherwise choose its own address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.0/8", "::1/128"])
# Content-Security-Policy (django-csp; smi_ui.ops.security adds the websocket origin to connect-src):
# every script and style is a static file of this origin, so nothing inline is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API tokens first: unauthenticated requests then get 401 with a WWW-Authenticate challenge.
        "smi_ui.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["smi_ui.api.parsers.NulFreeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "smi_ui.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "smi_ui.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"tokens": os.environ.get("API_TOKEN_RATE", "20/minute")},  # issuing, revoking
    "UNICODE_JSON": False,  # \u-escapes: any string, even a lone surrogate from bad input, renders as JSON
}
SPECTACULAR_SETTINGS = {
    "TITLE": "smi-ui API",
    "DESCRIPTION": "SMI policy across clusters: inventory, edits (validated, dry-run, audited) and the audit log.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Self-hosted Swagger UI assets: the dashboard must work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Writes impersonate the dashboard user (Impersonate-User/-Group), so the cluster's RBAC applies too.
WRITE_AS_DASHBOARD_USER = env_bool("WRITE_AS_DASHBOARD_USER", default=False)

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json" for one JSON object per line
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "smi_ui.ops.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# /metrics: bearer token for scrapers on other hosts (without it only loopback may scrape).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Live traffic figures (smi_ui.metrics.conf documents each). METRICS_PROVIDERS is JSON:
# {"<cluster name>" or "*": {"provider": "smi-metrics-api"} | {"provider": "prometheus",
#  "url": "http://prometheus:9090", "flavour": "linkerd" | "istio", "queries": {...}}}
METRICS_POLL_SECONDS = env_float("METRICS_POLL_SECONDS", 5.0, minimum=1.0)
METRICS_WINDOW_SECONDS = env_float("METRICS_WINDOW_SECONDS", 30.0, minimum=1.0)
METRICS_PROVIDERS = env_json_object("METRICS_PROVIDERS") or {}
# Open websockets re-check their user's grants and session (and rejoin their groups) this often.
LIVE_REAUTHORIZE_SECONDS = env_float("LIVE_REAUTHORIZE_SECONDS", 30.0, minimum=1.0)
# Services in view above which the topology draws each namespace as one summary node.
TOPOLOGY_COLLAPSE_ABOVE = int(env_float("TOPOLOGY_COLLAPSE_ABOVE", 150, minimum=1))
# Whether each cluster's mesh denies what no TrafficTarget allows (the SMI default): "true" or
# "false" for every cluster, or JSON per cluster name with "*" for the rest: {"*": true, "lab": false}.
SMI_ACCESS_CONTROL: bool | dict = (env_json_object("SMI_ACCESS_CONTROL")
                                   if os.environ.get("SMI_ACCESS_CONTROL", "").lstrip().startswith("{")
                                   else env_bool("SMI_ACCESS_CONTROL", True))
