"""Joining, confirming the address, logging in and resetting a password (django-allauth)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import User
from tests.factories import TEST_PASSWORD

SIGNUP = reverse("account_signup")
LOGIN = reverse("account_login")
RESET = reverse("account_reset_password")
NEW_PASSWORD = "valencia-orange-2011"

pytestmark = pytest.mark.django_db


def sign_up(client, email="nina@example.org", password=NEW_PASSWORD):
    # The confirmation is delivered (to mail.outbox) once the sign-up commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(SIGNUP, {"email": email, "password1": password, "password2": password})


def ask_for_reset(client, email, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(RESET, {"email": email}, **kwargs)


def link_in(message) -> str:
    """The path of the one link in an e-mail."""
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def logged_in_as(client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def test_signing_up_creates_a_pending_applicant_and_sends_a_confirmation(client):
    response = sign_up(client, email="Nina@Example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "nina@example.org"
    assert user.membership_status == User.Status.PENDING
    assert user.membership_number is None
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina@example.org"]
    assert link_in(mail.outbox[0]).startswith("/accounts/confirm-email/")


def test_the_signup_page_asks_for_an_address_and_a_password_twice(client):
    html = client.get(SIGNUP).content.decode()

    assert 'name="email"' in html
    assert 'name="password1"' in html
    assert 'name="password2"' in html
    assert 'name="username"' not in html


def test_it_refuses_a_weak_password(client):
    response = sign_up(client, password="12345678")

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_confirming_the_address_from_the_email_logs_the_applicant_in(client):
    sign_up(client)
    confirm_url = link_in(mail.outbox[0])

    page = client.get(confirm_url)
    assert page.status_code == 200
    assert logged_in_as(client) is None  # a GET alone confirms nothing
    assert EmailAddress.objects.get(email="nina@example.org").verified is False
    response = client.post(confirm_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get(email="nina@example.org")
    assert EmailAddress.objects.get(user=user).verified is True
    assert logged_in_as(client) == user
    profile = client.get(response["Location"]).content.decode()
    assert "Pending approval" in profile


def test_logging_in_by_email_works_only_after_the_address_is_confirmed(client):
    sign_up(client)
    confirm_url = link_in(mail.outbox[0])
    browser = Client()

    before = browser.post(LOGIN, {"login": "nina@example.org", "password": NEW_PASSWORD})

    assert before.status_code == 302
    assert before["Location"] == reverse("account_email_verification_sent")
    assert logged_in_as(browser) is None

    client.post(confirm_url)
    after = browser.post(LOGIN, {"login": "nina@example.org", "password": NEW_PASSWORD})

    assert after.status_code == 302
    assert after["Location"] == reverse("accounts:profile")
    assert logged_in_as(browser) == User.objects.get(email="nina@example.org")


def test_logging_in_refuses_a_wrong_password(client, member):
    response = client.post(LOGIN, {"login": member.email, "password": "wrong-password"})

    assert response.status_code == 200
    assert "The e-mail address or the password is not right." in (response.content.decode())
    assert logged_in_as(client) is None


def test_a_member_logs_in_by_email_in_any_case(client, member):
    response = client.post(LOGIN, {"login": member.email.upper(), "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert logged_in_as(client) == member


def test_password_reset_sends_a_link_to_a_registered_address(client, member):
    response = ask_for_reset(client, member.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "/accounts/password/reset/key/" in link_in(mail.outbox[0])


def without_csrf(response) -> str:
    """The page, with the CSRF token (masked afresh on every rendering) left out."""
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def test_password_reset_does_not_reveal_whether_an_address_is_registered(client, member):
    known = ask_for_reset(client, member.email, follow=True)
    unknown = ask_for_reset(client, "stranger@example.org", follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known) == without_csrf(unknown)
    to_stranger = [m for m in mail.outbox if m.to == ["stranger@example.org"]]
    assert to_stranger
    assert all("/password/reset/key/" not in m.body for m in to_stranger)


def test_a_new_password_from_the_reset_link_works(client, member):
    ask_for_reset(client, member.email)
    key_url = client.get(link_in(mail.outbox[0]))["Location"]

    response = client.post(
        key_url, {"password1": "a-brand-new-secret-42", "password2": "a-brand-new-secret-42"}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-brand-new-secret-42")


@pytest.mark.parametrize("second_email", ["nina@example.org", "NINA@example.org"])
def test_signing_up_twice_with_the_same_address_makes_no_second_account(client, second_email):
    sign_up(client)
    first = User.objects.get()

    response = sign_up(Client(), email=second_email, password="another-password-2026")

    assert response.status_code == 302  # looks the same as a first signup: nothing revealed
    assert response["Location"] == reverse("account_email_verification_sent")
    assert list(User.objects.all()) == [first]
    first.refresh_from_db()
    assert first.check_password(NEW_PASSWORD)


def test_signing_up_with_an_active_members_address_leaves_the_member_alone(client, member):
    sign_up(client, email=member.email)

    assert User.objects.filter(email__iexact=member.email).count() == 1
    member.refresh_from_db()
    assert member.check_password(TEST_PASSWORD)
    assert member.membership_status == User.Status.ACTIVE
