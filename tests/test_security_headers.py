"""Security headers on every page: CSP without inline script, permissions, referrer, frames."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse


@pytest.fixture
def headers(client, db):
    return client.get(reverse("home")).headers


def directives(csp: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in csp.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_the_content_security_policy_allows_no_inline_or_foreign_script(headers):
    policy = directives(headers["Content-Security-Policy"])

    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_pages_refuse_to_be_framed_sniffed_or_to_leak_their_address(headers):
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]


def test_every_post_needs_a_csrf_token(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    response = strict.post(reverse("account_login"), {"login": "a@b.c", "password": "x"})

    assert response.status_code == 403


def test_production_settings_send_hsts_and_secure_httponly_cookies():
    env = {**os.environ, "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in (
        "DJANGO_DEBUG",
        "DJANGO_SECURE_COOKIES",
        "DJANGO_HSTS_SECONDS",
        "DJANGO_SECURE_SSL_REDIRECT",
    ):
        env.pop(name, None)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    ).stdout.split()

    assert int(out[0]) >= 31536000
    assert out[1:] == ["True", "True", "True", "True"]
