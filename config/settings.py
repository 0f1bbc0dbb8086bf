"""Paddock settings, read from the environment.

Every deployment-specific value comes from an environment variable, with a safe
default for local development. With DJANGO_DEBUG off (the default) the site
refuses to start without DJANGO_SECRET_KEY.
"""

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.logconfig import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - used only in debug

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "config.admin_site.ClubAdminConfig",  # the admin, its index grouped (config/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    # allauth's e-mail addresses, named as the admin groups them (accounts/allauth_app.py).
    "accounts.allauth_app.AllauthAccountConfig",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_filters",
    "django_htmx",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    # The public API's docs (/api/docs/) from Swagger UI's files in django-ninja's static
    # folder: listed here, ninja serves them from the site, not from a CDN.
    "ninja",
    "accounts",
    "membership",
    "register",
    "meets",
]

MIDDLEWARE = [
    # First: /healthz answers a probe from 127.0.0.1 over plain HTTP, before the HTTPS
    # redirect and the ALLOWED_HOSTS check (config/health.py).
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RefuseNulQueryMiddleware",
    # The public API's HTTP rules (read-only, ETag, CORS), before CSRF: a POST there is a 405.
    "config.lib.api_http.PublicApiMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the browser's choice (LocaleMiddleware): a member's own language wins.
    "accounts.middleware.MemberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A form sent twice is handled once ({% form_once %}); after CSRF, log-in and messages.
    "accounts.middleware.OnceOnlyFormMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]
# Benchmarks only (make bench): an X-Query-Count header on every response. Off by default.
PADDOCK_QUERY_COUNT_HEADER = env_bool("PADDOCK_QUERY_COUNT_HEADER")
if PADDOCK_QUERY_COUNT_HEADER:
    # First, so that it counts the queries of every other middleware (the session, the user).
    MIDDLEWARE.insert(0, "config.middleware.QueryCountMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# Django's widget templates, with a faster select in front (config/lib/form_renderer.py).
FORM_RENDERER = "config.lib.form_renderer.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% form_once %} in every form of ours, beside {% csrf_token %}.
            "builtins": ["accounts.templatetags.once"],
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.club",
                "membership.context_processors.office",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or anything dj-database-url reads) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every atomic() take the write lock at its start, so a
    # check-then-insert (capacity, sequence numbers) cannot interleave.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Prepared statements: psycopg sends the parameters apart from the SQL (server-side
    # binding) and prepares a query once it has sent it five times on a connection, so
    # PostgreSQL stops parsing and planning the site's common queries on every request.
    # (Django leaves prepare_threshold off unless told.) Turn it off behind PgBouncer in
    # transaction mode older than 1.21 or without max_prepared_statements.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        _options["server_side_binding"] = True
        _options["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# JSON that keeps every microsecond, for backup_site (config/lib/fulljson.py).
SERIALIZATION_MODULES = {"fulljson": "config.lib.fulljson"}
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

SITE_ID = 1

# django-allauth 65
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Sign-up hashes the password also for a registered address: same answer, same time.
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
# Before a sensitive change (the e-mail address) a member confirms it is them with their
# password; a code by e-mail would make the inbox as good as the password.
ACCOUNT_REAUTHENTICATION_METHODS = ("password",)
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Failed log-ins (accounts/adapter.py, docs/deploy.md "Log-in limits"): 10 a minute from one
# client, 5 in 5 minutes for one account from one client ("key" is the address and the
# client together), and 100 an hour for one account from all clients together. One client
# can fail at most 60 times an hour on an account, so a stranger alone never locks a member
# out; many clients guessing one password are stopped.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login_failed_account": "100/h/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# The client's address for the limits: REMOTE_ADDR, unless the site runs behind proxies of
# its own (nginx, docs/deploy.md section 7), whose number this is: X-Forwarded-For is read
# from the right, so a client cannot claim another address.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("PADDOCK_TRUSTED_PROXY_COUNT", 0)
# Sightings anyone may report (register/sightings.py), in allauth's syntax: from one client
# address, and from one account or e-mail address.
PADDOCK_SIGHTING_RATE_LIMITS = {
    "sighting_ip": os.environ.get("PADDOCK_SIGHTING_RATE_IP", "5/h/ip"),
    "sighting_reporter": os.environ.get("PADDOCK_SIGHTING_RATE_REPORTER", "20/d/key"),
}
# Who reported a sighting is forgotten this many days after the registrar decided it
# (manage.py forget_sighting_reporters, daily from cron).
PADDOCK_SIGHTING_REPORTER_DAYS = env_int("PADDOCK_SIGHTING_REPORTER_DAYS", 90)
LOGIN_REDIRECT_URL = "accounts:profile"
LOGIN_URL = "account_login"

LANGUAGE_CODE = "en-gb"
# The site's languages: English (British spelling and dates) and German, the first club's
# other language. Each member's choice is kept on their profile and used for their e-mails.
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap lies in static/vendor/, copied from npm by `make vendor` (package-lock.json).
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Media on S3-compatible storage (django-storages), for several app servers: every server
# reads and writes the same bucket. boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
# from the environment itself. The bucket stays private: claim evidence (claims/) must
# never be public, so by default every media URL is signed and expires (staff read the
# evidence through the storage API, not a URL). A club that wants plain, cacheable URLs
# sets AWS_QUERYSTRING_AUTH=0 and makes only the public folders readable (docs/deploy.md).
_s3_bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if _s3_bucket:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _s3_bucket,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,  # objects inherit the bucket's (private) policy
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,  # like the file system: an upload never replaces a file
        },
    }
# Django serves /media/ from MEDIA_ROOT unless the proxy does it, or the media live on S3.
PADDOCK_SERVE_MEDIA = env_bool("PADDOCK_SERVE_MEDIA", not _s3_bucket)

# Uploads: Django spools large files to disk; the image helpers enforce the real limits.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PADDOCK_MAX_UPLOAD_BYTES = env_int("PADDOCK_MAX_UPLOAD_MB", 10) * 1024 * 1024
PADDOCK_MAX_IMAGE_PIXELS = 40_000_000
# Meet albums: attendees add photos from the start of a meet until this many days after
# its end, at most this many each per meet.
PADDOCK_ALBUM_DAYS = env_int("PADDOCK_ALBUM_DAYS", 90)
PADDOCK_ALBUM_PER_MEMBER = env_int("PADDOCK_ALBUM_PER_MEMBER", 20)

# Cache: shared by every worker on this machine (files), scoped to this database so two
# sites (or a benchmark's two databases) never read each other's figures.
_db = DATABASES["default"]
CACHES = {
    "default": {
        "BACKEND": "config.lib.filecache.FileCache",
        "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / ".cache")),
        "KEY_PREFIX": hashlib.sha1(  # noqa: S324 - a namespace, not a secret
            f"{_db['ENGINE']}:{_db.get('HOST', '')}:{_db.get('PORT', '')}:{_db['NAME']}".encode(),
            usedforsecurity=False,
        ).hexdigest()[:10],
        # Over MAX_ENTRIES files, a third of them (chosen at random) are deleted: a register
        # of 100,000 cars has more pages than 5,000 worth keeping, and a cull that drops
        # the cars visited most makes them cold again (make bench saw it).
        "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_CACHE_MAX_ENTRIES", 30_000)},
    }
}
# PADDOCK_PAGE_CACHE=0: no cached pages or figures (config/lib/versioned_cache.py); every
# page is built from the database. The benchmark's cold pass; never needed in production.
PADDOCK_PAGE_CACHE = env_bool("PADDOCK_PAGE_CACHE", True)
# Several app servers share one Redis: cached figures, their invalidation (register/cache.py)
# and allauth's rate limits then hold for the whole site, not for one machine.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Scoped to the database, as the file cache is: the servers of one site share
            # their keys, and two sites on one Redis never read each other's.
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", CACHES["default"]["KEY_PREFIX"]),
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }

# Sessions every app server can read. Without Redis they live in the database (Django's
# default), which all servers share. With Redis, cached_db writes each session to the
# database and to the shared cache, and reads it from the cache: fast, and a Redis restart
# logs nobody out. cached_db is only safe with a shared cache — over the per-machine file
# cache another server could keep reading a session that was logged out.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The club this site runs for.
PADDOCK_CLUB_NAME = os.environ.get("PADDOCK_CLUB_NAME", "BMW 1 Series M Register")
PADDOCK_CLUB_SHORT_NAME = os.environ.get("PADDOCK_CLUB_SHORT_NAME", "1M Register")
# The line under the club's name, in English: a language without its own line shows it.
_TAGLINE_EN = "Every 1 Series M Coupé, chassis by chassis — and the people who drive them."
PADDOCK_CLUB_TAGLINE = os.environ.get("PADDOCK_CLUB_TAGLINE", _TAGLINE_EN)
# The same line in the site's other languages: PADDOCK_CLUB_TAGLINE_DE for German. The
# German default goes only with the English default: a club that words its own English
# line is not shown ours in German.
_TAGLINE_DEFAULTS = {
    "de": "Jedes 1er M Coupé, Fahrgestell für Fahrgestell – und die Menschen, die es fahren."
}
PADDOCK_CLUB_TAGLINES = {
    code: os.environ.get(
        f"PADDOCK_CLUB_TAGLINE_{code.upper()}",
        "" if "PADDOCK_CLUB_TAGLINE" in os.environ else _TAGLINE_DEFAULTS.get(code, ""),
    ).strip()
    for code, _name in LANGUAGES
    if code != LANGUAGE_CODE
}

# The club's office (membership/): dues, invoices, SEPA direct debit, bank statements.
# Money is integer cents in this currency (SEPA: euro only).
PADDOCK_CURRENCY = os.environ.get("PADDOCK_CURRENCY", "EUR")
# The letters in every payment reference (RF… creditor reference) and invoice PDF.
PADDOCK_INVOICE_PREFIX = os.environ.get("PADDOCK_INVOICE_PREFIX", "PDK")
# The club's postal address on invoices and receipts, lines separated by ";".
PADDOCK_CLUB_ADDRESS = [
    line.strip()
    for line in os.environ.get(
        "PADDOCK_CLUB_ADDRESS", "Musterstraße 1; 80331 München; Germany" if DEBUG else ""
    ).split(";")
    if line.strip()
]
# A line printed on every invoice, e.g. that dues carry no VAT (blank: none).
PADDOCK_INVOICE_NOTE = os.environ.get("PADDOCK_INVOICE_NOTE", "")
# The club's bank account: where transfers go and direct debits are credited. The defaults in
# debug are the well-known example IBAN and the Bundesbank's example creditor id.
PADDOCK_BANK_IBAN = os.environ.get("PADDOCK_BANK_IBAN", "DE89370400440532013000" if DEBUG else "")
PADDOCK_BANK_BIC = os.environ.get("PADDOCK_BANK_BIC", "COBADEFFXXX" if DEBUG else "")
PADDOCK_BANK_ACCOUNT_HOLDER = os.environ.get("PADDOCK_BANK_ACCOUNT_HOLDER", PADDOCK_CLUB_NAME)
PADDOCK_SEPA_CREDITOR_ID = os.environ.get(
    "PADDOCK_SEPA_CREDITOR_ID", "DE98ZZZ09999999999" if DEBUG else ""
)
# Members are told of a debit at least this many days before the collection date.
PADDOCK_SEPA_PRENOTIFICATION_DAYS = env_int("PADDOCK_SEPA_PRENOTIFICATION_DAYS", 14)
# The renewal cycle (manage.py run_renewals, daily from cron): the notice with its invoice
# this many days before the renewal date; a reminder every REMINDER_DAYS after the due date
# while unpaid, at most REMINDERS; and lapse GRACE_DAYS after the due date.
PADDOCK_INVOICE_DUE_DAYS = env_int("PADDOCK_INVOICE_DUE_DAYS", 14)
PADDOCK_RENEWAL_NOTICE_DAYS = env_int("PADDOCK_RENEWAL_NOTICE_DAYS", 30)
PADDOCK_RENEWAL_REMINDER_DAYS = env_int("PADDOCK_RENEWAL_REMINDER_DAYS", 14)
PADDOCK_RENEWAL_REMINDERS = env_int("PADDOCK_RENEWAL_REMINDERS", 2)
PADDOCK_RENEWAL_GRACE_DAYS = env_int("PADDOCK_RENEWAL_GRACE_DAYS", 30)
# After this many days, purge_old_rsvps removes who came to a meet (the counts stay).
PADDOCK_RSVP_RETENTION_DAYS = env_int("PADDOCK_RSVP_RETENTION_DAYS", 730)
# A car's listing for sale ends by itself after this many days (manage.py expire_listings).
PADDOCK_LISTING_DAYS = env_int("PADDOCK_LISTING_DAYS", 60)
# The site's public address, for links in e-mails, calendar files and QR codes. Required with
# debug off: a system check (config/checks.py) stops the server without a real https address.
PADDOCK_SITE_URL = (
    os.environ.get("PADDOCK_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").strip().rstrip("/")
)
# In debug the site answers on its own address too (make run HOST=0.0.0.0 RUN_URL=http://<this
# machine>:8000, to scan a QR code with a phone).
_site_host = urlsplit(PADDOCK_SITE_URL).hostname
if (
    DEBUG
    and _site_host
    and _site_host not in ALLOWED_HOSTS
    and not os.environ.get("DJANGO_ALLOWED_HOSTS")
):
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, _site_host]
# allauth's links use the site's address too (accounts/adapter.py); this is their scheme.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(PADDOCK_SITE_URL).scheme or ("http" if DEBUG else "https")

# Tasks (django-tasks): every e-mail is queued in the database and sent by a worker,
# `manage.py db_worker` (docs/deploy.md), and so are e-mails that need not hold up a page even
# while they are written — RSVP confirmations, waiting-list promotions, organisers' messages,
# cancellations. PADDOCK_TASKS=immediate sends them once the request's change is saved instead,
# with no worker: the default in debug, so `make run` shows them at once.
PADDOCK_TASKS = os.environ.get("PADDOCK_TASKS", "immediate" if DEBUG else "database")
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if PADDOCK_TASKS == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

# E-mail: every e-mail waits in the outbox (accounts/outbox.py), saved with the change that
# causes it, until the task worker hands it to the transport, with retries: a mail server that
# is down never breaks a page. The transport prints on the console in debug, and is SMTP (or
# the backend the EMAIL_BACKEND environment variable names) in production.
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Paddock <noreply@localhost>")
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_BACKEND = "accounts.outbox.QueuedEmailBackend"
# send_queued_mail deletes sent e-mails from the outbox after this many days.
PADDOCK_MAIL_RETENTION_DAYS = env_int("PADDOCK_MAIL_RETENTION_DAYS", 30)
if DEBUG and not os.environ.get("EMAIL_HOST"):
    PADDOCK_EMAIL_TRANSPORT = "django.core.mail.backends.console.EmailBackend"
else:
    PADDOCK_EMAIL_TRANSPORT = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
    )
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = 20
# The folder of django.core.mail.backends.filebased.EmailBackend, which cannot send without it.
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

# Content Security Policy (django-csp): no inline script anywhere, nothing from other sites.
# Style attributes are allowed (a car's colour swatch is a CSS variable in one); <style>
# elements are not. Bootstrap's icons are data: SVGs. Media on S3 come from its domain.
_img_src = [SELF, "data:"]
if _s3_bucket:
    _img_src.append(
        f"https://{os.environ['AWS_S3_CUSTOM_DOMAIN']}"
        if os.environ.get("AWS_S3_CUSTOM_DOMAIN")
        else "https:"
    )
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": _img_src,
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The public API (/api/): requests per client address and period ("60/m", "1000/h"; empty
# for none), and how long browsers and proxies may keep an answer.
PADDOCK_API_RATE_LIMIT = os.environ.get("PADDOCK_API_RATE_LIMIT", "60/m")
PADDOCK_API_MAX_AGE = env_int("PADDOCK_API_MAX_AGE", 60)

# Nothing on the site needs these browser features.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# Security: strict by default when not debugging; a reverse proxy terminates TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)

# One line per event on stderr (a refused request without its traceback), as text or, for a
# log collector, JSON (config/logconfig.py).
LOGGING = logging_config(
    level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    log_format=os.environ.get("DJANGO_LOG_FORMAT", "text"),
)

# Errors to Sentry, when a DSN is given, without personal data (config/lib/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    from config.lib.sentry import sentry_options

    sentry_sdk.init(
        **sentry_options(
            dsn=SENTRY_DSN,
            environment=os.environ.get("SENTRY_ENVIRONMENT") or None,
            traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
        )
    )
