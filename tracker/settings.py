"""Settings for the legal-challenge tracker, read from the environment.

Every value comes from an environment variable with a safe local default; a malformed value
raises ImproperlyConfigured at start-up rather than being silently ignored.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    """Read a true/false environment variable; reject anything else."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG", default=False)

# The development default starts with "django-insecure", which `check --deploy` rejects, so a
# production server cannot start its deploy checks clean without a real key.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-local-development-key"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "simple_history",
    "axes",
    "cases",
    "readers",
]

MIDDLEWARE = [
    # Outermost: a database outage becomes a static 503 page with Retry-After, not a 500.
    "tracker.middleware.DatabaseUnavailableMiddleware",
    # The headers every answer carries, the public pages' cached ones included.
    "django.middleware.security.SecurityMiddleware",
    "tracker.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, the header built once
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Public pages: ETag/304 and a page cache keyed on the data's version (cases.caching). For
    # a request without a session cookie it answers a public page itself (cached, or its view
    # called directly): nothing below serves a public page that no one is signed in to.
    "cases.caching.PublicPageCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records which editor made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login attempt into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# Rendered public pages and form choices are cached for this long, and in any case only until
# the next change to the data (cases.caching). 0 turns the page cache off; ETags remain.
PAGE_CACHE_SECONDS = env_int("DJANGO_PAGE_CACHE_SECONDS", 600)
# Each gunicorn worker keeps its own in-memory cache: the keys carry the data version read from
# the database, so workers never disagree about what is current.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tracker",
        "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_PAGE_CACHE_ENTRIES", 500)},
    }
}

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

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

# SQLite in the project folder by default; PostgreSQL in production through DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None

# PostgreSQL cancels any statement that runs longer than this, so one slow query cannot hold a
# gunicorn worker (and a connection) for ever. 0 turns the limit off, e.g. for a long migration.
STATEMENT_TIMEOUT_MS = env_int("DJANGO_STATEMENT_TIMEOUT_MS", 15000)
if STATEMENT_TIMEOUT_MS < 0:
    raise ImproperlyConfigured("DJANGO_STATEMENT_TIMEOUT_MS must be 0 or more")
# Parallel query: PostgreSQL may give a statement extra processes (2 by default). A page's
# queries take milliseconds, and on a server answering several requests at once the other cores
# are busy answering them: starting processes for each query then costs more than it saves
# (first views of /rulings/?court=ilnd at 300,000 rulings, 2 cores: 40 req/s with them, 46-48
# without). The web connection runs without them; an export's one long statement gets them
# back (exports.COPY_SETTINGS).
DB_PARALLEL_WORKERS = env_int("DJANGO_DB_PARALLEL_WORKERS", 0)
if DB_PARALLEL_WORKERS < 0:
    raise ImproperlyConfigured("DJANGO_DB_PARALLEL_WORKERS must be 0 or more")
# The planner's cost of reading a page out of order, against 1 for the next page in order: 4,
# PostgreSQL's default, models a spinning disk; 1.1 is the usual figure for an SSD or a database
# that fits in memory, where it makes the planner read a few thousand rows through an index
# (the facets' counts of a court's rulings per policy) instead of a whole table.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (
        f"{_options.get('options', '')} -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        " -c random_page_cost=1.1"
        f" -c max_parallel_workers_per_gather={DB_PARALLEL_WORKERS}"
    ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out client before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "tracker.middleware.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# whitenoise serves static files in every mode. Production runs collectstatic and sets
# DJANGO_STATIC_MANIFEST=true for compressed files with hashed, cache-forever names.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_flag("DJANGO_STATIC_MANIFEST")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The public site's name, shown in page titles and exports.
SITE_NAME = "Sanctuary Funding Litigation Tracker"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# --- Email (alert subscriptions and their confirmations) ------------------------------------
# DJANGO_EMAIL_BACKEND is a short name (smtp, console, file, locmem) or a dotted backend path.
# `make run` uses the console backend: messages are printed, never sent.
EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_email_backend = os.environ.get("DJANGO_EMAIL_BACKEND") or "smtp"
if _email_backend not in EMAIL_BACKENDS and "." not in _email_backend:
    raise ImproperlyConfigured(
        f"DJANGO_EMAIL_BACKEND must be one of {', '.join(EMAIL_BACKENDS)} or a dotted path, "
        f"got {_email_backend!r}"
    )
EMAIL_BACKEND = EMAIL_BACKENDS.get(_email_backend, _email_backend)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_flag("DJANGO_EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set DJANGO_EMAIL_USE_TLS or DJANGO_EMAIL_USE_SSL, not both")
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 30)
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH") or str(BASE_DIR / "sent-mail")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL") or "alerts@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's public address, for the links in emails (never taken from a request's Host).
SITE_URL = (os.environ.get("DJANGO_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"DJANGO_SITE_URL must start with http:// or https://: {SITE_URL}")
# Daily alert digests go out with the first `send_alerts` run after this hour (UTC).
ALERTS_DAILY_HOUR = env_int("DJANGO_ALERTS_DAILY_HOUR", 7)
if not 0 <= ALERTS_DAILY_HOUR <= 23:
    raise ImproperlyConfigured("DJANGO_ALERTS_DAILY_HOUR must be an hour from 0 to 23")

# --- HTTPS, cookies and security headers -----------------------------------------------------
# DJANGO_HTTPS says the site is reached over HTTPS (directly or through a TLS-terminating proxy).
# It defaults to true in production, i.e. when DEBUG is off and a real DJANGO_SECRET_KEY is set,
# so a deployment is secure without extra settings; `make run` and the tests (no key) serve
# plain http. A machine with a key that must serve plain http (CI) sets DJANGO_HTTPS=false.
HTTPS = env_flag("DJANGO_HTTPS", default=not DEBUG and bool(os.environ.get("DJANGO_SECRET_KEY")))

SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
# A load balancer may probe the health check over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # security.W021 asks for the HSTS "preload" flag. Asking browsers to preload HTTPS-only for a
    # domain and all its subdomains is a decision for whoever owns the parent domain, and hard to
    # undo, so it is opt-in (DJANGO_HSTS_PRELOAD=true) and its warning is silenced until then.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # the admin never reads the CSRF cookie from JavaScript
# Editors' sessions end after this many seconds (8 hours by default), even while in use.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_AGE", 8 * 60 * 60)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind a reverse proxy (DJANGO_BEHIND_PROXY=true) exactly one proxy must sit in front of
# gunicorn, and it must set X-Forwarded-Proto and append the client's address to
# X-Forwarded-For; both headers are then trusted (for HTTPS detection and login lockouts).
BEHIND_PROXY = env_flag("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): no inline script or style anywhere, admin included.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Admin login lockouts (django-axes) -------------------------------------------------------
# Five failed logins for one username lock out that username from that address (and no other
# username, and not from elsewhere) for 15 minutes; an address that failed for ten different
# usernames is locked out altogether (tracker/lockout.py). A locked-out attempt answers 429 even
# with the right password.
AXES_HANDLER = "tracker.lockout.LoginLockoutHandler"
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_LOCKOUT_ADDRESS_USERNAMES = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "429.html"
# The client's address: REMOTE_ADDR, or the address the one trusted proxy appended to
# X-Forwarded-For when DJANGO_BEHIND_PROXY=true (never an address the client wrote itself).
AXES_CLIENT_IP_CALLABLE = "tracker.middleware.client_ip"
AXES_IPWARE_PROXY_COUNT = 1 if BEHIND_PROXY else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if BEHIND_PROXY else ("REMOTE_ADDR",)
)
