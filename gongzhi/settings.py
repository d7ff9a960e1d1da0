"""All settings, read from the environment in this one module.

GONGZHI_ENV       development (default) | production
DATABASE_URL      default: SQLite (WAL) at var/gongzhi.sqlite3; postgres://… for PostgreSQL
SECRET_KEY        required in production
ALLOWED_HOSTS     comma list; default localhost names in development
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGZHI_VAR_DIR", BASE_DIR / "var"))

ENV = os.environ.get("GONGZHI_ENV", "development")
if ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"GONGZHI_ENV must be development or production, not {ENV!r}")
PRODUCTION = ENV == "production"

# Any key that is not set explicitly is a development key; production refuses it.
_DEV_SECRET_KEY = "dev-insecure-gongzhi-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "生产模式必须设置 SECRET_KEY 环境变量（至少 50 个随机字符）。"
        " Production mode requires a SECRET_KEY of at least 50 random characters."
    )

DEBUG = not PRODUCTION and os.environ.get("DEBUG", "1") == "1"

_hosts = os.environ.get(
    "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
)
ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "huey.contrib.djhuey",
    "gongzhi.core",
    "gongzhi.orgs",
    "gongzhi.accounts",
    "gongzhi.registry",
    "gongzhi.imports",
    "gongzhi.notifications",
    "gongzhi.points",
    "gongzhi.cases",
    "gongzhi.hotline",
    "gongzhi.selfservice",
    "gongzhi.open311",
    "gongzhi.campaigns",
    "gongzhi.inspections",
    "gongzhi.care",
    "gongzhi.sharing",
    "gongzhi.disputes",
    "gongzhi.patrols",
    "gongzhi.volunteers",
    "gongzhi.decide",
    "gongzhi.fieldwork",
    "gongzhi.command",
    "gongzhi.api",
    "gongzhi.web",
]

MIDDLEWARE = [
    # First, so every response has them, static files included (core/http/security_headers.py).
    "gongzhi.core.http.security_headers.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: size, boundary, NUL; errors in the way in's shape.
    "gongzhi.core.http.guard.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gongzhi.core.middleware.RequestContextMiddleware",
    "gongzhi.core.http.error_page.DomainErrorMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

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
                "gongzhi.web.context_processors.navigation",
            ],
        },
    },
]

# Database: one variable selects it. SQLite runs in WAL mode with a busy timeout so
# the demo's web process and its jobs can write side by side.
VAR_DIR.mkdir(parents=True, exist_ok=True)
_db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gongzhi.sqlite3'}"
# Persistent connections outside DEBUG, each checked before a request first uses it, so
# a connection that a database restart broke is replaced instead of failing a request.
DATABASES = {
    "default": dj_database_url.parse(
        _db_url, conn_max_age=0 if DEBUG else 60, conn_health_checks=not DEBUG
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend with one writer a process at a time (gongzhi/core/db/sqlite3).
    DATABASES["default"]["ENGINE"] = "gongzhi.core.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # In memory, Django's default for SQLite test databases, said explicitly: pytest-django
    # knows SQLite by Django's engine path and would name a per-worker file after NAME.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
else:
    # Test databases are named after this one, <name>_test (pytest-xdist's workers add _gw0,
    # _gw1, …), so on a shared server they begin as the databases of this project do.
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}_test"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: this many failures in a row locks the account for LOCKOUT_MINUTES.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "gongzhi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Number of reverse proxies in front of the app whose X-Forwarded-For may be trusted.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))

NINJA_PAGINATION_PER_PAGE = 50

# Personal data (个人信息保护法): 身份证号 and phone numbers are encrypted with AES-256-GCM.
# DATA_KEYS: "version:base64-32-bytes" comma list, so keys can rotate (old versions still
# decrypt; `manage.py rotate_data_keys` re-encrypts); the newest version encrypts.
# HASH_KEY: base64 key of the keyed hash (HMAC-SHA256) used for exact lookup and
# de-duplication. Development derives both from SECRET_KEY; production requires them.
DATA_KEYS = os.environ.get("DATA_KEYS", "")
HASH_KEY = os.environ.get("HASH_KEY", "")
if PRODUCTION and not (DATA_KEYS and HASH_KEY):
    raise ImproperlyConfigured(
        "生产模式必须设置 DATA_KEYS 和 HASH_KEY（个人信息加密密钥）。"
        " Production mode requires DATA_KEYS and HASH_KEY for personal-data encryption."
    )

# Map tiles: empty means boundaries on a plain background (offline intranets); an
# intranet or 天地图 server's URL template ({z}/{x}/{y}) adds a tile layer.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

# Jobs (huey): SQLite storage beside the database by default, Redis with REDIS_URL.
# Tests run tasks immediately; `make demo` runs a consumer thread in the web process.
_redis_url = os.environ.get("REDIS_URL", "")
HUEY = {
    "name": "gongzhi",
    "immediate": os.environ.get("HUEY_IMMEDIATE", "0") == "1",
    "results": False,
    **(
        {"huey_class": "huey.RedisHuey", "connection": {"url": _redis_url}}
        if _redis_url
        else {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "jobs.sqlite3")}
    ),
}
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))

# The case loop's rules (cases.repeats, cases.kpis).
GONGZHI_REPEAT_DAYS = int(os.environ.get("GONGZHI_REPEAT_DAYS", "30"))
GONGZHI_REPEAT_RADIUS_M = float(os.environ.get("GONGZHI_REPEAT_RADIUS_M", "50"))
GONGZHI_REPEAT_SIMILARITY = float(os.environ.get("GONGZHI_REPEAT_SIMILARITY", "60"))
GONGZHI_REPEAT_LEADER_AT = int(os.environ.get("GONGZHI_REPEAT_LEADER_AT", "3"))
GONGZHI_SATISFIED_RATINGS = tuple(
    r.strip()
    for r in os.environ.get("GONGZHI_SATISFIED_RATINGS", "satisfied,basically").split(",")
    if r.strip()
)
# Hotspots 高频共性问题 (campaigns.hotspots): a category in a grid, community or building
# is a hotspot when its count over the last WINDOW_DAYS is at least MIN_COUNT and at least
# FACTOR times its usual count (the weekly mean of the HISTORY_WEEKS before, + PRIOR).
GONGZHI_HOTSPOT_WINDOW_DAYS = int(os.environ.get("GONGZHI_HOTSPOT_WINDOW_DAYS", "7"))
GONGZHI_HOTSPOT_HISTORY_WEEKS = int(os.environ.get("GONGZHI_HOTSPOT_HISTORY_WEEKS", "8"))
GONGZHI_HOTSPOT_MIN_COUNT = int(os.environ.get("GONGZHI_HOTSPOT_MIN_COUNT", "3"))
GONGZHI_HOTSPOT_FACTOR = float(os.environ.get("GONGZHI_HOTSPOT_FACTOR", "2.0"))
# Open311 GeoReport v2 (gongzhi.open311): when set, a request naming another
# jurisdiction_id is answered 404; unset, any jurisdiction_id is accepted.
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "")
# Resident self-service (gongzhi.selfservice): SMS codes and the limits of the
# anonymous steps (counted in the database, so they hold across app processes).
SELFSERVICE_CODE_TTL_MINUTES = int(os.environ.get("SELFSERVICE_CODE_TTL_MINUTES", "10"))
SELFSERVICE_CODE_MAX_ATTEMPTS = int(os.environ.get("SELFSERVICE_CODE_MAX_ATTEMPTS", "5"))
SELFSERVICE_VERIFIED_MINUTES = int(os.environ.get("SELFSERVICE_VERIFIED_MINUTES", "120"))
# The points bank: how long a resident's one-time redemption QR is valid.
POINTS_QR_MINUTES = int(os.environ.get("POINTS_QR_MINUTES", "5"))
SELFSERVICE_CODE_INTERVAL_SECONDS = int(os.environ.get("SELFSERVICE_CODE_INTERVAL_SECONDS", "60"))
SELFSERVICE_CODES_PER_PHONE_HOUR = int(os.environ.get("SELFSERVICE_CODES_PER_PHONE_HOUR", "5"))
SELFSERVICE_REPORTS_PER_PHONE_HOUR = int(os.environ.get("SELFSERVICE_REPORTS_PER_PHONE_HOUR", "10"))
SELFSERVICE_PER_IP_HOUR = int(os.environ.get("SELFSERVICE_PER_IP_HOUR", "20"))
# The 12345 exchange (gongzhi.hotline, docs/integrations.md): the secret both sides sign
# with, where status changes are pushed, and how far a request's timestamp may be off.
HOTLINE_SHARED_SECRET = os.environ.get("HOTLINE_SHARED_SECRET", "")
HOTLINE_WEBHOOK_URL = os.environ.get("HOTLINE_WEBHOOK_URL", "")
HOTLINE_MAX_SKEW_SECONDS = int(os.environ.get("HOTLINE_MAX_SKEW_SECONDS", "300"))
if PRODUCTION and HOTLINE_WEBHOOK_URL and not HOTLINE_SHARED_SECRET:
    raise ImproperlyConfigured(
        "设置了 HOTLINE_WEBHOOK_URL 时必须设置 HOTLINE_SHARED_SECRET。"
        " HOTLINE_WEBHOOK_URL requires HOTLINE_SHARED_SECRET."
    )
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Outside production the console SMS backend's messages (a resident's verification
    # code in the demo) are printed; in production a real gateway sends them.
    "loggers": {"gongzhi.notifications.sms": {"level": "WARNING" if PRODUCTION else "INFO"}},
}
