"""Tilios settings. Everything a deployment changes comes from TILIOS_* environment variables."""
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = BASE_DIR / "data"
VAR_DIR = Path(os.environ.get("TILIOS_VAR_DIR", Path.cwd() / "var"))


def _flag(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("TILIOS_DEBUG")
SECRET_KEY = os.environ.get("TILIOS_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("TILIOS_REQUIRE_SECRET"):
        raise RuntimeError("TILIOS_SECRET_KEY must be set in production")
    # A per-installation key kept beside the embedded database, so sessions survive restarts.
    _key_file = VAR_DIR / "secret_key"
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        if not _key_file.exists():
            from django.core.management.utils import get_random_secret_key

            _key_file.write_text(get_random_secret_key())
            _key_file.chmod(0o600)
        SECRET_KEY = _key_file.read_text().strip()
    except OSError:
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = [h for h in os.environ.get("TILIOS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("TILIOS_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "tilios.accounts",
    "tilios.revisions",
    "tilios.territories",
    "tilios.sources",
    "tilios.places",
    "tilios.media",
    "tilios.watchlist",
    "tilios.pages",
    "tilios.census",
    "tilios.policy",
    "tilios.activity",
    "tilios.opendata",
    "tilios.instance",
    "tilios.api",
    "tilios.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tilios.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "tilios.api.middleware.ApiBodyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tilios.urls"
WSGI_APPLICATION = "tilios.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tilios.web.context_processors.site",
            ],
        },
    },
]

# --- Database: embedded SQLite by default, any URL (PostgreSQL in production) otherwise.
DEFAULT_SQLITE = VAR_DIR / "tilios.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("TILIOS_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock up front
        # so concurrent writers queue instead of failing half-way with "database is locked".
        # mmap and a larger page cache let counts scan their covering index without copying it.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456; "
                        "PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        # Seconds a writer waits for the lock before the request is answered 503 (see tilios.failures).
        "timeout": float(os.environ.get("TILIOS_SQLITE_TIMEOUT", 20)),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language: French first, English available.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (tilios.media.storage): served by Tilios's own view, which checks who may see them.
MEDIA_ROOT = VAR_DIR / "media"
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:  # a read-only data folder: still serve what can be read (WhiteNoise uses the app dirs)
    pass
# Static files are collected at each start (`tilios serve`, or the tests' session) under hashed names with
# gzip and brotli copies: WhiteNoise serves those compressed with a one-year cache, a new version a new name.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "tilios.web.storage.StaticStorage"},
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Source maps are for the API documentation's developers: served, not worth compressing at every start.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# --- Security headers (the CSP is set by tilios.web.middleware).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Who may frame the embeddable map (/embed/), as CSP frame-ancestors sources; every other page: nobody.
EMBED_FRAME_ANCESTORS = os.environ.get("TILIOS_EMBED_FRAME_ANCESTORS", "*")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _flag("TILIOS_HTTPS")
CSRF_COOKIE_SECURE = _flag("TILIOS_HTTPS")

# --- Map tiles: any XYZ template. Without network the map falls back to bundled outlines.
TILE_URL = os.environ.get("TILIOS_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TILE_ATTRIBUTION = os.environ.get(
    "TILIOS_TILE_ATTRIBUTION", "© contributeurs OpenStreetMap"
)

NINJA_PAGINATION_PER_PAGE = 50

# --- Accounts. Password-reset mails go to the console unless an SMTP URL-less setup says otherwise.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
EMAIL_BACKEND = os.environ.get("TILIOS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("TILIOS_FROM_EMAIL", "tilios@localhost")
PASSWORD_RESET_TIMEOUT = 3 * 3600

# --- Rate limits count in the cache: in-process by default (no server needed); set
# TILIOS_REDIS_URL to share the counters between several server processes.
if os.environ.get("TILIOS_REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["TILIOS_REDIS_URL"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tilios"}}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_ENABLE = not _flag("TILIOS_NO_RATELIMIT")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
