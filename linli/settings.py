"""Linli settings. Everything that differs between machines is read from the environment.

Environment variables (all optional in development):
- LINLI_DEBUG            "1" (default when unset) or "0" in production
- LINLI_SECRET_KEY       Django's secret key (required when LINLI_DEBUG=0)
- LINLI_FIELD_KEY        key that encrypts ID numbers at rest and keys their search hash
                         (required when LINLI_DEBUG=0; a development key is generated under var/)
- DATABASE_URL           e.g. postgres://linli@db.example/linli; default SQLite file var/linli.sqlite3
- LINLI_ALLOWED_HOSTS    comma-separated host names
- LINLI_CSRF_TRUSTED_ORIGINS comma-separated origins such as https://linli.example.org
- LINLI_STATIC_ROOT      where collectstatic writes (default staticfiles/ in the checkout)
- LINLI_BENCH_FLOOR      "1" serves /bench/floor/, the benchmark's floor page (make bench); off by default

Running as several instances (README, "Scaling past one machine"):
- DATABASE_REPLICA_URLS  comma-separated URLs of read replicas of DATABASE_URL; aliases replica1, replica2, ...
                         Only code inside linli.db_router.replica_reads() reads from them.
- LINLI_TASKS_BACKEND    "db" (default: django-tasks-db, run `manage.py db_worker`), "rq" (Redis at
                         LINLI_REDIS_URL, run `manage.py rqworker --job-class django_tasks_rq.Job`) or
                         "immediate" (in the web process, after the commit; development and tests)
- LINLI_REDIS_URL        e.g. redis://127.0.0.1:6379/0; when set, the cache is Redis (else in-process
                         memory); the rq backend and the cache session engine use it (default
                         redis://127.0.0.1:6379/0 for them)
- LINLI_SESSION_ENGINE   "db" (default) or "cache" (sessions in the Redis cache)
- LINLI_MEDIA_STORAGE    "filesystem" (default: under LINLI_VAR_DIR/media) or "s3" (S3-compatible storage
                         through django-storages) with LINLI_S3_BUCKET, LINLI_S3_ENDPOINT_URL,
                         LINLI_S3_ACCESS_KEY, LINLI_S3_SECRET_KEY, LINLI_S3_REGION and optionally
                         LINLI_S3_ADDRESSING_STYLE ("path" or "virtual") and LINLI_S3_PREFIX
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("LINLI_DEBUG", True)


def _development_secret(name: str) -> str:
    """A random per-checkout secret kept in var/, so development needs no configuration.

    Production (LINLI_DEBUG=0) never reaches this: it must set the environment variable.
    """
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / f".{name.lower()}"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _secret(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if not DEBUG:
        raise RuntimeError(f"{name} must be set in the environment when LINLI_DEBUG=0")
    return _development_secret(name)


SECRET_KEY = _secret("LINLI_SECRET_KEY")
LINLI_FIELD_KEY = _secret("LINLI_FIELD_KEY")

ALLOWED_HOSTS = [h for h in os.environ.get("LINLI_ALLOWED_HOSTS", "").split(",") if h] or (
    ["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("LINLI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",  # its table exists whatever the backend, so switching backends needs no migration
    "django_htmx",
    "ninja",  # serves the API docs' assets locally instead of from a CDN
    "simple_history",
    "axes",
    "accounts",
    "territory",
    "people",
    "leaders",
    "audit",
    "volunteers",
    "service_requests",
    "notices",
    "figures",
    "care",
    "campaigns",
    "inspections",
    "partition",
    "boards",
    "open311",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "web.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'linli.sqlite3'}",
        conn_max_age=int(os.environ.get("LINLI_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; the default journal blocks them.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Read replicas of the primary. Nothing reads from them unless it asks (linli.db_router.replica_reads):
# a replica lags, and a resident must see the request they have just filed.
LINLI_DATABASE_REPLICAS = []
for _number, _url in enumerate(
    (u.strip() for u in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if u.strip()), start=1
):
    _alias = f"replica{_number}"
    DATABASES[_alias] = dj_database_url.parse(
        _url, conn_max_age=int(os.environ.get("LINLI_CONN_MAX_AGE", "60"))
    )
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    LINLI_DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["linli.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = 8
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("LINLI_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    # On disk, uploads (photos, rosters waiting for confirm) are for this service's user alone.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"  # request photos; served only through views that check visibility

# Uploaded files (request photos, rosters waiting between preview and confirm): on this machine's disk,
# or in an S3-compatible bucket that every instance shares. Objects are private; no URL to them is ever
# handed out, the views that check visibility stream them.
LINLI_MEDIA_STORAGE = _env_choice("LINLI_MEDIA_STORAGE", "filesystem", ("filesystem", "s3"))
if LINLI_MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("LINLI_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("LINLI_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("LINLI_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("LINLI_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("LINLI_S3_REGION") or None,
            "addressing_style": os.environ.get("LINLI_S3_ADDRESSING_STYLE") or None,
            "location": os.environ.get("LINLI_S3_PREFIX", ""),
            # No ACL on uploads: objects are private by default, and buckets made with AWS's defaults
            # (ACLs disabled) refuse any other ACL than the owner's.
            "default_acl": None,
            "file_overwrite": False,
        },
    }
    if not STORAGES["default"]["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("LINLI_MEDIA_STORAGE=s3 needs LINLI_S3_BUCKET")

# Redis: the cache when LINLI_REDIS_URL is set, and the rq task backend and cache sessions (which then
# default to the local Redis).
LINLI_REDIS_URL = os.environ.get("LINLI_REDIS_URL", "")
_REDIS_URL = LINLI_REDIS_URL or "redis://127.0.0.1:6379/0"
LINLI_SESSION_ENGINE = _env_choice("LINLI_SESSION_ENGINE", "db", ("db", "cache"))
if LINLI_REDIS_URL or LINLI_SESSION_ENGINE == "cache":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "KEY_PREFIX": os.environ.get("LINLI_CACHE_PREFIX", "linli"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cache"
    if LINLI_SESSION_ENGINE == "cache"
    else "django.contrib.sessions.backends.db"
)

# Background work (notices.tasks): the Tasks API of Django 6 through its backport django-tasks.
LINLI_TASKS_BACKEND = _env_choice("LINLI_TASKS_BACKEND", "db", ("db", "rq", "immediate"))
TASKS = {
    "default": {
        "BACKEND": {
            "db": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[LINLI_TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
# django-tasks-rq enqueues on django-rq's queues; each queue in TASKS must be one of RQ_QUEUES.
RQ_QUEUES = {"default": {"URL": _REDIS_URL, "DEFAULT_TIMEOUT": 300}}
if LINLI_TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")  # its rqworker command; the backend's system check asks for it

# Where messages to reporters go: a class with send(phone, message). The default writes to the log.
LINLI_SMS_SENDER = os.environ.get("LINLI_SMS_SENDER", "notices.services.LogSmsSender")
# Email channels (notices.OutboundChannel kind "email"): printed to the console in development.
EMAIL_BACKEND = os.environ.get(
    "LINLI_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("LINLI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("LINLI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("LINLI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("LINLI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("LINLI_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("LINLI_EMAIL_FROM", "linli@localhost")

# Kinds of request whose details stay off the public Open311 API (they would show who is poor or ill).
LINLI_OPEN311_PRIVATE_KINDS = ["hardship"]

# Uploaded rosters are read in memory up to this size and refused above it.
LINLI_MAX_UPLOAD_BYTES = int(os.environ.get("LINLI_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = LINLI_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = LINLI_MAX_UPLOAD_BYTES + 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

LINLI_SITE_NAME = _("Linli")

# The benchmark's floor (web.views.bench_floor): the cheapest authenticated page, served only when asked.
LINLI_BENCH_FLOOR = _env_bool("LINLI_BENCH_FLOOR", False)
