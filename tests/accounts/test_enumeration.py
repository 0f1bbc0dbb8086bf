"""Same answer, same time: sign-up, log-in and password reset tell no one who is registered.

Each flow is run for a registered and an unregistered address and compared twice: by the
work done (how many passwords are hashed, counted with a spy on the hasher) and by the page
the visitor gets. One test also times sign-up with the production hasher.
"""

import re
import statistics
import time
from unittest import mock

import pytest
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

NEW_PASSWORD = "a-long-pass-2026"
UNKNOWN = "nobody-here@example.org"


@pytest.fixture
def hashes():
    """Counts every password hash computed (encode: set_password, check_password)."""
    hasher = type(get_hasher("default"))
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as spy:
        yield spy


def same_page(html: str, *, email: str) -> str:
    """The page with what legitimately differs taken out: the address typed, CSRF tokens."""
    html = html.replace(email, "ADDRESS")
    return re.sub(r'name="(csrfmiddlewaretoken|once_token)" value="[^"]*"', "TOKEN", html)


def sign_up(email: str, password: str = NEW_PASSWORD):
    return Client().post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password},
        follow=True,
    )


@pytest.mark.django_db
def test_sign_up_hashes_the_password_whether_or_not_the_address_is_registered(member, hashes):
    sign_up(member.email)
    taken = hashes.call_count
    hashes.reset_mock()
    sign_up("brand-new@example.org")
    fresh = hashes.call_count

    assert fresh >= 1
    assert taken == fresh


@pytest.mark.django_db
def test_sign_up_shows_the_same_page_whether_or_not_the_address_is_registered(member):
    taken = sign_up(member.email)
    fresh = sign_up("brand-new@example.org")

    assert taken.redirect_chain == fresh.redirect_chain
    assert same_page(taken.content.decode(), email=member.email) == same_page(
        fresh.content.decode(), email="brand-new@example.org"
    )


def log_in(email: str, password: str):
    return Client().post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_a_failed_log_in_hashes_as_often_for_an_unknown_address(member, hashes):
    log_in(member.email, "not-the-password")
    known = hashes.call_count
    hashes.reset_mock()
    log_in(UNKNOWN, "not-the-password")
    unknown = hashes.call_count

    assert known >= 1
    assert known == unknown


@pytest.mark.django_db
def test_a_failed_log_in_shows_the_same_page_for_an_unknown_address(member):
    known = log_in(member.email, "not-the-password")
    unknown = log_in(UNKNOWN, "not-the-password")

    assert known.status_code == unknown.status_code == 200
    assert same_page(known.content.decode(), email=member.email) == same_page(
        unknown.content.decode(), email=UNKNOWN
    )


@pytest.mark.django_db
def test_a_password_reset_shows_the_same_page_for_an_unknown_address(member, hashes):
    url = reverse("account_reset_password")
    known = Client().post(url, {"email": member.email}, follow=True)
    unknown = Client().post(url, {"email": UNKNOWN}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert same_page(known.content.decode(), email=member.email) == same_page(
        unknown.content.decode(), email=UNKNOWN
    )
    assert hashes.call_count == 0  # neither way hashes anything


# --- Timing, with the production hasher -------------------------------------------------

# config/settings.py sets no PASSWORD_HASHERS: Django's default, PBKDF2 first.
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
ROUNDS = 5


def median_seconds(emails) -> float:
    times = []
    for email in emails:
        start = time.perf_counter()
        response = sign_up(email)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(times)


@pytest.mark.django_db
def test_sign_up_takes_as_long_for_a_registered_address(member):
    from django.conf import global_settings

    assert PRODUCTION_HASHERS == global_settings.PASSWORD_HASHERS
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        # Interleaved, so that a busy moment of the machine falls on both.
        taken, fresh = [], []
        for n in range(ROUNDS):
            taken.append(median_seconds([member.email]))
            fresh.append(median_seconds([f"new-{n}@example.org"]))
    ratio = statistics.median(taken) / statistics.median(fresh)
    # Before: about 0.05 (60 ms against 1,100 ms). Generous, for a busy two-core CI machine.
    assert 0.5 < ratio < 2, (taken, fresh)
