"""The demo club: `manage.py seed_demo` loads it, and running it again changes nothing."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import (
    DEMO_MEMBER_EMAIL,
    DEMO_ORGANISER_EMAIL,
    DEMO_PASSWORD,
    DEMO_STAFF_EMAIL,
)
from accounts.models import Sequence, User


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    """Run seed_demo once (with on-commit callbacks run, as in real life)."""

    def seed() -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo", stdout=out)
        return out.getvalue()

    seed.output = seed()
    return seed


def snapshot() -> dict:
    return {
        "users": sorted(
            User.objects.values_list(
                "email", "membership_number", "membership_status", "name_visibility"
            )
        ),
        "addresses": EmailAddress.objects.count(),
        "last_number": Sequence.objects.get(name="membership-number").last_value,
    }


def test_seeding_twice_changes_nothing(seeded):
    first = snapshot()

    seeded()

    assert snapshot() == first
    assert len(first["users"]) > 30


def test_the_demo_club_has_active_lapsed_and_pending_members(seeded):
    statuses = set(User.objects.values_list("membership_status", flat=True))

    assert statuses == {User.Status.ACTIVE, User.Status.LAPSED, User.Status.PENDING}
    assert User.objects.in_directory().count() > 10


@pytest.mark.parametrize(
    ("email", "is_staff", "is_organiser"),
    [
        (DEMO_STAFF_EMAIL, True, True),
        (DEMO_ORGANISER_EMAIL, False, True),
        (DEMO_MEMBER_EMAIL, False, False),
    ],
)
def test_the_demo_accounts_can_log_in_with_a_verified_address(
    seeded, client, email, is_staff, is_organiser
):
    user = User.objects.get(email=email)

    assert user.is_active_member
    assert user.is_staff is is_staff
    assert user.is_organiser is is_organiser
    assert EmailAddress.objects.get(user=user).verified is True
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_seeding_sends_no_email(seeded):
    seeded()

    assert mail.outbox == []


def test_seeding_says_how_to_log_in(seeded):
    assert DEMO_STAFF_EMAIL in seeded.output
    assert DEMO_PASSWORD in seeded.output
