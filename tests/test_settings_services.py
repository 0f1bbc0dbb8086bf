"""Shared services from the environment: Redis cache, cached_db sessions, media on S3.

Each test imports the production settings in a fresh interpreter with a chosen
environment, so nothing the test run configured leaks in. Nothing here needs a network:
the Redis client connects lazily, and boto3 signs URLs locally.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import storages

default_storage = storages["default"]
print(json.dumps({
    "cache": settings.CACHES["default"],
    "cache_class": type(caches["default"]).__name__,
    "session_engine": settings.SESSION_ENGINE,
    "storage": settings.STORAGES["default"],
    "storage_class": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "serve_media": settings.PADDOCK_SERVE_MEDIA,
    "photo_url": default_storage.url("cars/7/photo.jpg"),
    "evidence_url": default_storage.url("claims/evidence.jpg"),
}, default=str))
"""


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without any setting a deployment could pass in."""
    prefixes = ("DJANGO_", "PADDOCK_", "DATABASE_", "EMAIL_", "REDIS_", "AWS_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="club.example.org",
        PADDOCK_SITE_URL="https://club.example.org",
        DJANGO_DEFAULT_FROM_EMAIL="1M Register <register@club.example.org>",
        # boto3 must find no credentials or configuration of the machine's own.
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def probe(env: dict[str, str]) -> dict:
    result = run(["-c", "import django; django.setup()\n" + PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


SHARED = {
    "REDIS_URL": "redis://redis.internal:6379/2",
    "DJANGO_CACHE_PREFIX": "club-a",
    "AWS_STORAGE_BUCKET_NAME": "club-media",
    "AWS_S3_ENDPOINT_URL": "https://s3.provider.example",
    "AWS_S3_REGION_NAME": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
    "AWS_SECRET_ACCESS_KEY": "not-a-real-secret-key-only-for-signing-urls",
}


def test_without_shared_services_the_site_keeps_its_local_defaults():
    settings = probe(clean_env())

    assert settings["cache"]["BACKEND"] == "config.lib.filecache.FileCache"
    assert settings["cache_class"] == "FileCache"
    assert settings["session_engine"] == "django.contrib.sessions.backends.db"
    assert settings["storage"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert settings["storage_class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert settings["serve_media"] is True
    assert settings["photo_url"] == "/media/cars/7/photo.jpg"


def test_redis_url_gives_a_shared_cache_and_cached_db_sessions():
    settings = probe(clean_env(REDIS_URL=SHARED["REDIS_URL"]))

    assert settings["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["cache_class"] == "RedisCache"
    assert settings["cache"]["LOCATION"] == "redis://redis.internal:6379/2"
    # Scoped to the database, as the file cache is: one site's servers share it, and a
    # second site on the same Redis (another database) gets another prefix.
    assert settings["cache"]["KEY_PREFIX"] == probe(clean_env())["cache"]["KEY_PREFIX"]
    other_site = probe(
        clean_env(REDIS_URL=SHARED["REDIS_URL"], DATABASE_URL="postgres://db.internal/club_b")
    )
    assert other_site["cache"]["KEY_PREFIX"] != settings["cache"]["KEY_PREFIX"]
    assert settings["session_engine"] == "django.contrib.sessions.backends.cached_db"
    # Redis alone moves no media.
    assert settings["storage_class"].endswith("FileSystemStorage")


def test_a_bucket_puts_media_on_s3_with_signed_urls_and_no_media_view():
    settings = probe(clean_env(**SHARED))

    assert settings["cache"]["KEY_PREFIX"] == "club-a"
    assert settings["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert settings["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert settings["storage_class"] == "storages.backends.s3.S3Storage"
    options = settings["storage"]["OPTIONS"]
    assert options["bucket_name"] == "club-media"
    assert options["endpoint_url"] == "https://s3.provider.example"
    assert options["region_name"] == "eu-central-1"
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert settings["serve_media"] is False
    # The bucket stays private: every URL, claim evidence above all, is signed and expires.
    for url in (settings["photo_url"], settings["evidence_url"]):
        assert url.startswith("https://s3.provider.example/club-media/")
        assert "X-Amz-Signature=" in url
        assert "X-Amz-Expires=3600" in url
        assert "AKIAEXAMPLEEXAMPLE00" in url


def test_plain_media_urls_are_a_choice_the_club_makes():
    settings = probe(clean_env(**SHARED, AWS_QUERYSTRING_AUTH="0", PADDOCK_SERVE_MEDIA="1"))

    assert settings["photo_url"] == "https://s3.provider.example/club-media/cars/7/photo.jpg"
    assert settings["serve_media"] is True


def test_shared_services_pass_the_deployment_checklist():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], clean_env(**SHARED))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


DATABASE_PROBE = """
import json
from django.conf import settings
print(json.dumps(settings.DATABASES["default"].get("OPTIONS", {})))
"""


def database_options(env: dict[str, str]) -> dict:
    result = run(["-c", "import django; django.setup()\n" + DATABASE_PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_prepares_common_queries_unless_the_club_turns_it_off():
    url = "postgres://paddock@db.internal/club"

    postgresql = database_options(clean_env(DATABASE_URL=url))
    # Parameters apart from the SQL, and a query prepared once sent five times: Django
    # prepares nothing unless prepare_threshold is set.
    assert postgresql["server_side_binding"] is True
    assert postgresql["prepare_threshold"] == 5
    # Off for a club behind an old PgBouncer in transaction mode.
    off = database_options(clean_env(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="0"))
    assert "server_side_binding" not in off
    assert "prepare_threshold" not in off
    # SQLite has neither.
    sqlite = database_options(clean_env(DATABASE_URL="sqlite:////tmp/paddock-probe.sqlite3"))
    assert "server_side_binding" not in sqlite
    assert sqlite["timeout"] == 20


@pytest.mark.django_db
@pytest.mark.postgresql
def test_postgresql_prepares_a_query_the_site_sends_again_and_again():
    from accounts.models import User

    for _ in range(6):
        list(User.objects.filter(pk=0))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_user"' in statement for statement in prepared), prepared
