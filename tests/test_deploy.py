"""Production settings: a clean `check --deploy`, and no start without a secret key."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides) -> dict[str, str]:
    """This process's environment without any of the settings the test run added."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PADDOCK_", "DATABASE_", "EMAIL_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
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


def test_production_settings_pass_the_deployment_checklist():
    env = production_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="club.example.org",
        PADDOCK_SITE_URL="https://club.example.org",
        DJANGO_DEFAULT_FROM_EMAIL="1M Register <register@club.example.org>",
    )
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    assert "DJANGO_DEBUG" not in env
    assert "DATABASE_URL" not in env

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_checklist_fails_with_a_short_secret_key():
    env = production_env(
        DJANGO_SECRET_KEY="too-short",
        DJANGO_ALLOWED_HOSTS="club.example.org",
        PADDOCK_SITE_URL="https://club.example.org",
    )

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_settings_refuse_to_load_without_a_secret_key():
    env = production_env(DJANGO_ALLOWED_HOSTS="club.example.org")

    result = run(["-c", "import django; django.setup()"], env)

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr


def test_debug_settings_load_without_a_secret_key():
    env = production_env(DJANGO_DEBUG="1")

    result = run(["-c", "from django.conf import settings; print(settings.DEBUG)"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
