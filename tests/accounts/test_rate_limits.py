"""Log-in and sign-up rate limits (allauth's), and no way to learn who is registered."""

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD

# The production limits (config/settings.py); the test settings turn them off.
PRODUCTION_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login_failed_account": "100/h/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}


@pytest.fixture
def limits(settings):
    settings.ACCOUNT_RATE_LIMITS = PRODUCTION_LIMITS


def test_the_production_settings_have_these_limits():
    import importlib
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 60, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DJANGO_DEBUG", None)
    code = "from django.conf import settings; print(settings.ACCOUNT_RATE_LIMITS)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    ).stdout
    assert importlib.import_module("ast").literal_eval(out.strip()) == PRODUCTION_LIMITS


@pytest.mark.django_db
def test_failed_log_ins_are_stopped_after_five_tries_on_one_address(client, member, limits):
    url = reverse("account_login")
    pages = [
        client.post(url, {"login": member.email, "password": f"wrong-{n}"}).content.decode()
        for n in range(6)
    ]

    assert not any("Too many failed attempts to log in" in page for page in pages[:5])
    assert "Too many failed attempts to log in. Try again later." in pages[5]
    # Even the right password is refused while the limit holds.
    right = client.post(url, {"login": member.email, "password": TEST_PASSWORD})
    assert right.status_code == 200
    assert "Too many failed attempts to log in" in right.content.decode()
    assert "_auth_user_id" not in client.session


def log_in(client, email, password, ip):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


TOO_MANY = "Too many failed attempts to log in. Try again later."


@pytest.mark.django_db
def test_a_strangers_wrong_passwords_do_not_lock_the_member_out(member, limits):
    stranger, own = Client(), Client()
    pages = [
        log_in(stranger, member.email, f"guess-{n}", "203.0.113.7").content.decode()
        for n in range(20)
    ]
    assert TOO_MANY in pages[-1]  # the stranger is stopped ...

    response = log_in(own, member.email, TEST_PASSWORD, "198.51.100.20")
    assert response.status_code == 302  # ... and the member, elsewhere, logs in
    assert own.session["_auth_user_id"] == str(member.pk)


@pytest.mark.django_db
def test_one_client_is_stopped_after_ten_failures_on_any_accounts(db, limits):
    client = Client()
    pages = [log_in(client, f"someone-{n}@example.org", "wrong", "203.0.113.7") for n in range(11)]
    assert all(p.status_code == 200 for p in pages)
    assert not any(TOO_MANY in p.content.decode() for p in pages[:10])
    assert TOO_MANY in pages[10].content.decode()


@pytest.mark.django_db
def test_an_account_guessed_at_from_many_clients_is_stopped(member, settings):
    settings.ACCOUNT_RATE_LIMITS = {**PRODUCTION_LIMITS, "login_failed_account": "12/h/key"}
    client = Client()
    pages = [
        log_in(client, member.email, f"guess-{n}", f"203.0.113.{n // 4}").content.decode()
        for n in range(12)
    ]
    assert not any(TOO_MANY in page for page in pages)

    refused = log_in(client, member.email, TEST_PASSWORD, "198.51.100.20")
    assert refused.status_code == 200
    assert TOO_MANY in refused.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_successful_log_in_does_not_count_against_the_account(member, settings):
    settings.ACCOUNT_RATE_LIMITS = {**PRODUCTION_LIMITS, "login_failed_account": "3/h/key"}
    for n in range(3):
        client = Client()
        assert log_in(client, member.email, TEST_PASSWORD, f"198.51.100.{n}").status_code == 302
    assert log_in(Client(), member.email, TEST_PASSWORD, "198.51.100.9").status_code == 302


@pytest.mark.django_db
def test_behind_the_sites_proxy_each_client_is_counted_apart(member, limits, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = Client()
    for n in range(6):
        client.post(
            reverse("account_login"),
            {"login": member.email, "password": f"guess-{n}"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    own = Client()
    response = own.post(
        reverse("account_login"),
        {"login": member.email, "password": TEST_PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        # A client may send its own X-Forwarded-For: nginx appends the real address.
        HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.20",
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_sign_ups_from_one_address_are_limited(client, limits):
    url = reverse("account_signup")
    statuses = [
        client.post(
            url,
            {"email": f"new{n}@example.org", "password1": "a-long-pass-2026", "password2": "x"},
        ).status_code
        for n in range(22)
    ]

    assert 429 in statuses[20:]


@pytest.mark.django_db
def test_password_reset_answers_alike_for_a_known_and_an_unknown_address(
    client, member, django_capture_on_commit_callbacks
):
    url = reverse("account_reset_password")

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(url, {"email": member.email}, follow=True)
        unknown = client.post(url, {"email": "nobody-here@example.org"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert len(mail.outbox) == 2  # a reset link, and a "no account here" note to the stranger
    assert {m.to[0] for m in mail.outbox} == {member.email, "nobody-here@example.org"}


@pytest.mark.django_db
def test_signing_up_with_a_registered_address_looks_like_any_sign_up(client, member):
    url = reverse("account_signup")
    data = {"password1": "a-long-pass-2026", "password2": "a-long-pass-2026"}

    taken = client.post(url, {**data, "email": member.email})
    fresh = client.post(url, {**data, "email": "brand-new@example.org"})

    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
