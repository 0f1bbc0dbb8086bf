"""Test settings: the real settings with debug off, made fast and self-contained."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
# The test client's host: links in e-mails lead back to it.
os.environ.setdefault("PADDOCK_SITE_URL", "https://testserver")
os.environ.setdefault("DJANGO_DEFAULT_FROM_EMAIL", "1M Register <register@paddock.test>")

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = tempfile.mkdtemp(prefix="paddock-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
# Mail goes through the outbox, as in production, to Django's test outbox (mail.outbox).
# Django's test set-up sets EMAIL_BACKEND to locmem: tests/conftest.py puts the outbox back.
EMAIL_BACKEND = "accounts.outbox.QueuedEmailBackend"
PADDOCK_EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(MEDIA_ROOT, "test.sqlite3")}
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT = os.path.join(MEDIA_ROOT, "static-root")
os.makedirs(STATIC_ROOT, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run at once, in the test's thread: a test sees their e-mails in mail.outbox.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
