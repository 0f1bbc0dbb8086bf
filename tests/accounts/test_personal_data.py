"""A member's own data: downloading it, and deleting the account for good."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.images import jpeg_bytes
from tests.factories import TEST_PASSWORD

EXPORT = reverse("accounts:export")
DELETE = reverse("accounts:delete")


# --- The export ----------------------------------------------------------------------


@pytest.fixture
def exported(member_client, member, other_member):
    member.bio = "Le Mans blue, the third car of the batch."
    member.save(update_fields=["bio"])
    EmailAddress.objects.create(user=member, email="olga@work.example", verified=False)
    other_member.bio = "Otto's secret garage code is 4711."
    other_member.save(update_fields=["bio"])
    return member_client.get(EXPORT)


def test_the_export_is_a_json_file_to_download(exported):
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/json"
    disposition = exported["Content-Disposition"]
    assert disposition.startswith('attachment; filename="paddock-my-data-')
    assert disposition.endswith('.json"')
    assert isinstance(json.loads(exported.content), dict)


def test_the_export_holds_the_members_account_membership_and_addresses(exported, member):
    data = json.loads(exported.content)

    assert data["account"]["email"] == member.email
    assert data["account"]["display_name"] == "Olga Owner"
    assert data["account"]["country"] == "DE"
    assert data["account"]["bio"] == "Le Mans blue, the third car of the batch."
    assert data["account"]["name_visibility"] == "members"
    assert data["membership"] == {
        "number": member.membership_number,
        "status": "active",
        "member_since": member.member_since.isoformat(),
        "renewal_date": member.renewal_date.isoformat(),
        # The club office's part: the level, the term, invoices and SEPA mandates.
        "level": "Full member",
        "valid_until": member.renewal_date.isoformat(),
        "invoices": [],
        "mandates": [],
    }
    assert data["email_addresses"] == [
        {"email": "olga@work.example", "verified": False, "primary": False},
        {"email": member.email, "verified": True, "primary": True},
    ]


def test_the_export_holds_nothing_of_another_member(exported, other_member):
    text = exported.content.decode()

    assert other_member.email not in text
    assert "Otto" not in text
    assert "4711" not in text


def test_the_export_of_an_applicant_has_no_number_yet(client, pending_member):
    client.force_login(pending_member)

    data = json.loads(client.get(EXPORT).content)

    assert data["membership"]["number"] is None
    assert data["membership"]["status"] == "pending"


# --- Deleting the account ----------------------------------------------------------------


@pytest.fixture
def member_with_avatar(member):
    member.avatar.save("olga.jpg", ContentFile(jpeg_bytes()), save=True)
    member.city = "Cologne"
    member.bio = "Alpine white."
    member.save(update_fields=["city", "bio"])
    return member


def test_the_delete_page_asks_for_the_password_and_a_confirmation(member_client):
    html = member_client.get(DELETE).content.decode()

    assert 'name="password"' in html
    assert 'name="confirm"' in html
    assert "download your data" in html


def test_it_refuses_a_wrong_password_and_changes_nothing(
    member_client, member_with_avatar, media_files
):
    files_before = media_files()

    response = member_client.post(DELETE, {"password": "not-my-password", "confirm": "on"})

    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    member = User.objects.get(pk=member_with_avatar.pk)
    assert member.email == member_with_avatar.email
    assert member.display_name == "Olga Owner"
    assert member.is_active
    assert member.check_password(TEST_PASSWORD)
    assert EmailAddress.objects.filter(user=member).exists()
    assert media_files() == files_before
    assert member_client.get(reverse("accounts:profile")).status_code == 200


def test_it_refuses_without_the_confirmation_tick(member_client, member):
    response = member_client.post(DELETE, {"password": TEST_PASSWORD})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    member.refresh_from_db()
    assert member.is_active
    assert member.display_name == "Olga Owner"


@pytest.fixture
def deleted(member_client, member_with_avatar, media_files, django_capture_on_commit_callbacks):
    """The member deletes their account; returns the response after the redirect."""
    assert media_files() == {member_with_avatar.avatar.name}
    with django_capture_on_commit_callbacks(execute=True):
        return member_client.post(DELETE, {"password": TEST_PASSWORD, "confirm": "on"}, follow=True)


def test_deleting_the_account_anonymises_the_row(deleted, member_with_avatar):
    number = member_with_avatar.membership_number

    member = User.objects.get(pk=member_with_avatar.pk)

    assert member.email == f"deleted-{member.pk}@invalid"
    assert member.display_name == ""
    assert member.bio == ""
    assert member.city == ""
    assert not member.country
    assert not member.avatar
    assert not member.has_usable_password()
    assert member.is_active is False
    assert member.membership_status == User.Status.RESIGNED
    assert member.membership_number == number
    assert not EmailAddress.objects.filter(user=member).exists()


def test_deleting_the_account_deletes_the_photo(deleted, media_files):
    assert media_files() == set()


def test_deleting_the_account_logs_out_and_says_goodbye(deleted, client):
    assert deleted.redirect_chain == [(reverse("home"), 302)]
    assert "Your account has been deleted." in deleted.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_deleting_the_account_ends_its_sessions_on_other_devices(
    member_client, member, other_member, django_capture_on_commit_callbacks
):
    phone, others_laptop = Client(), Client()
    phone.force_login(member)
    others_laptop.force_login(other_member)
    assert phone.get(reverse("accounts:profile")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(DELETE, {"password": TEST_PASSWORD, "confirm": "on"})

    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert others_laptop.get(reverse("accounts:profile")).status_code == 200
    sessions_of_member = [
        s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(member.pk)
    ]
    assert sessions_of_member == []


def test_a_deleted_account_cannot_log_in(deleted, member_with_avatar, client):
    response = client.post(
        reverse("account_login"),
        {"login": member_with_avatar.email, "password": TEST_PASSWORD},
    )

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_the_old_address_can_sign_up_again(deleted, member_with_avatar, client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": member_with_avatar.email,
            "password1": "a-fresh-start-2026",
            "password2": "a-fresh-start-2026",
        },
    )

    assert response.status_code == 302
    newcomer = User.objects.get(email=member_with_avatar.email)
    assert newcomer.pk != member_with_avatar.pk
    assert newcomer.membership_status == User.Status.PENDING
    assert newcomer.membership_number is None
