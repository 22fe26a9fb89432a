"""OneCua settings: one env-driven module (django-environ).

Every variable is explained in ``.env.example``. Defaults are safe for development on one
machine (SQLite file and a filesystem Celery broker under ``var/``); production sets
``DEBUG=false`` and must then provide ``SECRET_KEY``, ``DATABASE_URL`` and ``CELERY_BROKER_URL``.
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("ONECUA_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(see .env.example), or DEBUG=true for local development."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "dossiers",
    "reporting",
    "monitoring",
    "citizens",
    "papers",
    "connected",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onecua.middleware.NoStoreMiddleware",  # after whitenoise: static files stay cacheable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "onecua.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dossiers.middleware.PasswordChangeRequiredMiddleware",  # first login after import_staff
    "papers.upload.UploadLimitMiddleware",  # uploads stream to disk, hashed; 413 above DOCUMENT_MAX_BYTES
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "onecua.urls"
WSGI_APPLICATION = "onecua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dossiers.context_processors.nav",
            ],
        },
    },
]

# Database: an SQLite file under var/ by default; DATABASE_URL=postgres://… in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'onecua.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks instead of failing, take the write
    # lock at BEGIN so two writers cannot deadlock, and let readers run beside a writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # SQLite has no INCLUDE: its covering indexes (Dossier.Meta) carry every column in the key,
    # built so by the migrations (dossiers 0014_indexes_declared_here).
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameter binding, and statements prepared once a connection has run them
    # DATABASE_PREPARE_THRESHOLD times: PostgreSQL then skips parsing and planning the hot
    # statements (intake, transitions, sweeps) and psycopg skips quoting their parameters:
    # about a quarter of an intake's CPU (bench/bench_intake.py). Behind a transaction-pooling
    # PgBouncer set DATABASE_PREPARE_THRESHOLD= (empty: never prepare).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
            "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=5) if env.str(
                "DATABASE_PREPARE_THRESHOLD", default="5") else None,
        }
    )
    # A prepared statement is still planned for its parameters every time: after five runs
    # PostgreSQL may switch to one generic plan for any parameters, and for the lists' "received
    # since" or a state it picked plans that read every open dossier (the API list filtered by
    # a receipt window: 60 ms, then 500–800 ms from the eleventh request on; bench/bench_scale.py).
    # Parsing is still saved. DATABASE_PLAN_CACHE_MODE= (empty) leaves the server's setting,
    # e.g. behind a PgBouncer that refuses startup options (then ALTER DATABASE … SET it).
    _plan_cache_mode = env.str("DATABASE_PLAN_CACHE_MODE", default="force_custom_plan")
    if _plan_cache_mode:
        _options = DATABASES["default"]["OPTIONS"]
        _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode={_plan_cache_mode}".strip()
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# With persistent connections, check a reused one before the request (after a database restart
# the first request would otherwise fail on the dead connection).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
# A read replica (PostgreSQL streaming replica) for reports, exports and drill-downs
# (onecua/replica.py): used only while it answers and is at most REPLICA_MAX_LAG_SECONDS behind,
# checked at most every REPLICA_CHECK_SECONDS per process. In tests it mirrors the default
# database (tests/test_replica.py points it at a real replica).
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=5.0)
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        DATABASES["replica"][_key] = DATABASES["default"][_key]
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["onecua.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (shared by every process), else a file cache under var/
# (still shared between web, worker and beat on one machine, which task locks rely on).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Accounts and login security (var/readme/sec.md) ------------------------------------------
# Passwords: at least PASSWORD_MIN_LENGTH characters, not like the user's name, not a common
# password, not all digits (admin, password change; the demo loader sets passwords directly).
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=10)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failed logins for one username from one
# IP address lock that pair out for LOGIN_LOCKOUT_MINUTES, on the login page, the admin and
# POST /api/v1/auth/token/ alike. A successful login resets the count.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AUTHENTICATION_BACKENDS = [
    "onecua.security.LoginThrottleBackend",  # axes: refuses a locked-out username + IP first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends LOGIN_LOCKOUT_MINUTES after it began
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged
AXES_LOCKOUT_CALLABLE = "onecua.security.lockout_response"  # templates/registration/lockout.html, 429
AXES_CLIENT_IP_CALLABLE = "onecua.security.client_ip"
#: networks of the reverse proxies in front of the app (e.g. "10.0.0.0/8,172.16.0.0/12"): only a
#: request whose REMOTE_ADDR is in one of them has its X-Forwarded-For believed, and the client is
#: the rightmost entry that is not a trusted proxy (onecua/security.py::client_ip). Empty: every
#: request is REMOTE_ADDR. Without it every client behind the proxy shares the proxy's address.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
try:
    import ipaddress as _ipaddress

    for _network in TRUSTED_PROXIES:
        _ipaddress.ip_network(_network.strip(), strict=False)
except ValueError as _exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_exc} (a comma-separated list of addresses or networks)") from None
if env.int("TRUSTED_PROXY_COUNT", default=0):
    # The count believed X-Forwarded-For from whoever sent it (a client reaching gunicorn directly
    # chose its own address): refused rather than silently ignored, so a deployment notices.
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is replaced by TRUSTED_PROXIES: list the networks of your reverse proxies, "
        "e.g. TRUSTED_PROXIES=172.16.0.0/12 (see .env.example)."
    )
# API tokens (POST /api/v1/auth/token/) expire this many hours after they were issued, and die
# at once when their user logs out or gets a new password (onecua/tokens.py).
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=12)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Vietnamese first, English available; dates dd/mm/yyyy in the UI
# (onecua/formats), ISO 8601 in the API (DRF default).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["onecua.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- Papers (papers app, domain.md D21): the object store of documents, signing keys -----------
# DOCUMENT_STORE=filesystem (default: var/documents, nothing to install) or s3 (SeaweedFS in CI
# and docker compose, any S3-compatible store in production).
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOCUMENT_ORPHAN_HOURS = env.int("DOCUMENT_ORPHAN_HOURS", default=24)
DOCUMENT_STORE = env.str("DOCUMENT_STORE", default="filesystem")
if DOCUMENT_STORE == "s3":
    from botocore.config import Config as _BotoConfig

    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DOCUMENT_S3_BUCKET", default="onecua-documents"),
            "endpoint_url": env.str("DOCUMENT_S3_ENDPOINT_URL"),
            "access_key": env.str("DOCUMENT_S3_ACCESS_KEY"),
            "secret_key": env.str("DOCUMENT_S3_SECRET_KEY"),
            "region_name": env.str("DOCUMENT_S3_REGION", default="us-east-1"),
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": True,  # keys are fresh UUIDs: no HEAD before each write
            "default_acl": None,
            "querystring_auth": False,
            "max_memory_size": 1024 * 1024,  # reads spill to disk past 1 MB
            # fail fast when the store is down: the page says so instead of hanging
            "client_config": _BotoConfig(connect_timeout=3, read_timeout=30, retries={"max_attempts": 2}),
        },
    }
elif DOCUMENT_STORE == "filesystem":
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("DOCUMENT_DIR", default=str(VAR_DIR / "documents")), "base_url": None},
    }
else:
    raise ImproperlyConfigured("DOCUMENT_STORE must be 'filesystem' or 's3'.")
# Upload bodies spill to disk past this (the papers' own handler always streams files to disk).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The default key that signs electronic results when a unit has none of its own (papers.signing).
SIGNING_PKCS12 = env.str("SIGNING_PKCS12", default="")
SIGNING_PKCS12_PASSWORD = env.str("SIGNING_PKCS12_PASSWORD", default="")
SIGNING_PKCS11_MODULE = env.str("SIGNING_PKCS11_MODULE", default="")
SIGNING_PKCS11_TOKEN = env.str("SIGNING_PKCS11_TOKEN", default="")
SIGNING_PKCS11_PIN = env.str("SIGNING_PKCS11_PIN", default="")
SIGNING_PKCS11_KEY_LABEL = env.str("SIGNING_PKCS11_KEY_LABEL", default="")
# CA certificates (PEM) that make a valid signature "trusted" when it is shown.
SIGNING_TRUST_ROOTS = env.str("SIGNING_TRUST_ROOTS", default="")

# Email: console in development, SMTP (EMAIL_URL=smtp+tls://user:pass@host:587) in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="OneCua <noreply@onecua.local>")

# Celery: a filesystem broker under var/ by default (no server needed), Redis in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # broadcast (ping, inspect) exchanges
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs live here (synced into django-celery-beat's tables, editable in admin).
# Crontabs are read in CELERY_TIMEZONE (Asia/Ho_Chi_Minh). "Working day" is checked inside the
# tasks against the OneCua calendar (holidays, nghỉ bù, làm bù Saturdays), not by the crontab.
CELERY_BEAT_SCHEDULE: dict = {
    # Overdue / due-soon / apology-reminder sweep, every 10 minutes (https://crontab.guru/#*/10_*_*_*_*)
    "monitoring-deadline-sweep": {
        "task": "monitoring.deadline_sweep",
        "schedule": crontab(minute="*/10"),
        "options": {"expire_seconds": 9 * 60},
    },
    # The same sweep at the start of the office day, 07:30 (https://crontab.guru/#30_7_*_*_*)
    "monitoring-deadline-sweep-start-of-day": {
        "task": "monitoring.deadline_sweep",
        "schedule": crontab(minute="30", hour="7"),
        "options": {"expire_seconds": 60 * 60},
    },
    # Daily digest per supervisor, 07:30; skipped by the task on non-working days (https://crontab.guru/#30_7_*_*_*)
    "monitoring-supervisor-digest": {
        "task": "monitoring.supervisor_digest",
        "schedule": crontab(minute="30", hour="7"),
        "options": {"expire_seconds": 4 * 60 * 60},
    },
    # Outbox relay, every minute: delivers what waited while the broker was down (https://crontab.guru/#*_*_*_*_*)
    "monitoring-outbox-relay": {
        "task": "monitoring.outbox_relay",
        "schedule": crontab(minute="*"),
        "options": {"expire_seconds": 50},
    },
    # Intake idempotency keys past their 24 hours, hourly at :05 (https://crontab.guru/#5_*_*_*_*)
    "dossiers-intake-keys-purge": {
        "task": "dossiers.intake_keys_purge",
        "schedule": crontab(minute="5"),
        "options": {"expire_seconds": 50 * 60},
    },
    # Objects of interrupted uploads (no document row), older than DOCUMENT_ORPHAN_HOURS, 02:40 (https://crontab.guru/#40_2_*_*_*)
    "papers-orphans-remove": {
        "task": "papers.orphans_remove",
        "schedule": crontab(minute="40", hour="2"),
        "options": {"expire_seconds": 6 * 60 * 60},
    },
    # Webhooks and notices to citizens that are due (retries, kicks lost while the broker was
    # down), every minute (https://crontab.guru/#*_*_*_*_*)
    "connected-due": {
        "task": "connected.due",
        "schedule": crontab(minute="*"),
        "options": {"expire_seconds": 50},
    },
    # Report roll-up: rebuild yesterday and every stale or missing day, 01:15 (https://crontab.guru/#15_1_*_*_*)
    "reporting-rollup-nightly": {
        "task": "reporting.tasks.rollup_nightly_task",
        "schedule": crontab(minute="15", hour="1"),
        "options": {"expire_seconds": 6 * 60 * 60},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "onecua.tokens.ExpiringTokenAuthentication",  # API_TOKEN_TTL_HOURS; dies on logout and new password
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "onecua.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OneCua API",
    "DESCRIPTION": "Phần mềm một cửa điện tử: tiếp nhận, xử lý và báo cáo hồ sơ thủ tục hành chính.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the wheel: counters often have no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Personal data (NĐ 13/2023): every handler masks CCCD-like numbers and phone numbers in the
    # message and the traceback (onecua/logging.py); a new handler must list "mask_pii" too.
    "filters": {"mask_pii": {"()": "onecua.logging.PiiMaskingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pii"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # django-axes logs every successful login at INFO; failures and lockouts are WARNING.
        "axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")},
        # Django's default handlers (console, mail_admins, django.server) do not mask: its
        # loggers go through the root handler instead (once, not twice).
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# --- HTTPS, cookies, sessions ----------------------------------------------------------------
# Served behind a TLS-terminating proxy that sets X-Forwarded-Proto (README "Docker"). Each
# flag is an env variable; the default is on in production (DEBUG=false) and off with
# DEBUG=true, so that `make run` over plain http keeps working. `manage.py check --deploy` is
# clean with the production defaults (tests/hardening/test_accounts.py).
_SECURE_DEFAULT = not DEBUG
if env.bool("SECURE_PROXY_SSL_HEADER", default=_SECURE_DEFAULT):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_SECURE_DEFAULT)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_SECURE_DEFAULT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_SECURE_DEFAULT)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365 if _SECURE_DEFAULT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_SECURE_DEFAULT)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_SECURE_DEFAULT)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A session lasts one office day at most and ends when the browser closes (shared counter PCs).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)

# Content-Security-Policy (django-csp 4.x format): scripts, styles, images and fonts from this
# site only, no inline script or style anywhere (page scripts and styles are static files:
# static/js/common.js, static/css/pages/), data: images for the receipt's QR fallback, no
# framing, forms post only here. CSP_REPORT_ONLY=true sends it as Report-Only (to try a change).
from csp.constants import NONE, SELF  # noqa: E402

_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# Citizens' public pages (citizens app). SITE_URL: the address citizens reach from outside
# (e.g. https://motcua.hoabinh.gov.vn), used for the lookup link in the receipt's QR code;
# empty = the address of the request that printed the receipt.
SITE_URL = env.str("SITE_URL", default="")
# Lookups (dossier code + 4 digits) allowed per client address per window: guessing stays slow.
PUBLIC_LOOKUP_RATE_LIMIT = env.int("PUBLIC_LOOKUP_RATE_LIMIT", default=10)
PUBLIC_LOOKUP_RATE_WINDOW_SECONDS = env.int("PUBLIC_LOOKUP_RATE_WINDOW_SECONDS", default=60)
# Behind a reverse proxy the client's address comes from TRUSTED_PROXIES (above).
# Wrong tails for one dossier code, from any address, before the code is locked for everybody
# for LOOKUP_CODE_LOCK_MINUTES (codes are sequential: guesses spread over addresses meet here).
LOOKUP_CODE_FAILURE_LIMIT = env.int("LOOKUP_CODE_FAILURE_LIMIT", default=5)
LOOKUP_CODE_LOCK_MINUTES = env.int("LOOKUP_CODE_LOCK_MINUTES", default=30)
# The counter kiosk's own budget per registered kiosk device (never the lookup's per-address one).
KIOSK_RATE_LIMIT = env.int("KIOSK_RATE_LIMIT", default=30)
KIOSK_RATE_WINDOW_SECONDS = env.int("KIOSK_RATE_WINDOW_SECONDS", default=600)
# Citizens' writes: feedback per dossier per day, evaluation attempts per dossier per day, and
# feedback + evaluation posts per address per hour (each feedback is an answer obligation).
FEEDBACK_RATE_PER_DOSSIER = env.int("FEEDBACK_RATE_PER_DOSSIER", default=3)
EVALUATION_RATE_PER_DOSSIER = env.int("EVALUATION_RATE_PER_DOSSIER", default=5)
CITIZEN_POST_RATE_PER_ADDRESS = env.int("CITIZEN_POST_RATE_PER_ADDRESS", default=20)
# Live intake (API received_at of an online dossier) may be backdated at most this many days;
# import_dossiers is not bound by it (dossiers/intake_bounds.py).
INTAKE_BACKDATE_DAYS = env.int("INTAKE_BACKDATE_DAYS", default=30)
# A public verification (code + 4 digits) lasts this long in the browser's session.
PUBLIC_VERIFICATION_MINUTES = env.int("PUBLIC_VERIFICATION_MINUTES", default=30)

# Connected systems and notices to citizens (connected app; interfaces.md "Connected systems", D22).
# Webhook targets on loopback/private addresses are refused unless allowed (tests, a closed LAN).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# A receiver's connect/read timeout (seconds); the whole exchange is cut at twice that.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Retries: delays base × 2^(n−1) up to an hour, for WEBHOOK_RETRY_HOURS after the event.
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24.0)
# SMS gateway for notices to citizens: JSON over HTTP (empty: SMS are only logged, phone masked).
SMS_URL = env.str("SMS_URL", default="")
SMS_PROVIDER = env.str("SMS_PROVIDER", default="json")
SMS_TOKEN = env.str("SMS_TOKEN", default="")
NOTICE_RETRY_BASE_SECONDS = env.float("NOTICE_RETRY_BASE_SECONDS", default=60.0)
