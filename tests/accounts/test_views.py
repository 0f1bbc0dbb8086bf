"""The permission ladder of every accounts page.

Own pages (profile, edit, export, delete) are for anyone logged in, applicants too.
The directory and member pages are for active members: anonymous visitors are sent
to log in, pending and lapsed members get 403, and a member who is not in the
directory does not exist as far as the page is concerned (404).
"""

import json

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import member_delete, member_set_status
from tests.factories import MemberFactory, PendingMemberFactory

OWN_PAGES = ["accounts:profile", "accounts:profile_edit", "accounts:export", "accounts:delete"]
MEMBER_PAGES = ["members:directory", "members:detail"]


@pytest.fixture
def listed(db):
    """An active member in the directory, whose page the ladder climbs to."""
    return MemberFactory(
        display_name="Dora Directory",
        bio="Two 1Ms, one of them on track tyres.",
        name_visibility=User.Visibility.MEMBERS,
    )


def url_of(name: str, listed: User) -> str:
    if name == "members:detail":
        return reverse(name, args=[listed.membership_number])
    return reverse(name)


# --- Anonymous visitors -----------------------------------------------------------------


@pytest.mark.parametrize("name", OWN_PAGES + MEMBER_PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, listed, name):
    url = url_of(name, listed)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_it_does_not_show_anonymous_visitors_a_members_name_or_bio(client, listed):
    response = client.get(url_of("members:detail", listed), follow=True)

    html = response.content.decode()
    assert "Dora Directory" not in html
    assert "track tyres" not in html


# --- Own pages: everyone logged in --------------------------------------------------


@pytest.fixture(params=["pending", "lapsed", "active"])
def any_member(request, pending_member, lapsed_member, member):
    return {"pending": pending_member, "lapsed": lapsed_member, "active": member}[request.param]


def test_every_member_sees_their_own_profile(client, any_member):
    client.force_login(any_member)

    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 200
    html = response.content.decode()
    assert any_member.email in html
    assert any_member.get_membership_status_display() in html


def test_every_member_can_open_the_profile_form_filled_with_their_details(client, any_member):
    client.force_login(any_member)

    response = client.get(reverse("accounts:profile_edit"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Edit your profile" in html
    assert f'value="{any_member.display_name}"' in html


def test_every_member_can_download_their_own_data(client, any_member):
    client.force_login(any_member)

    response = client.get(reverse("accounts:export"))

    assert response.status_code == 200
    assert json.loads(response.content)["account"]["email"] == any_member.email


def test_every_member_can_open_the_delete_page(client, any_member):
    client.force_login(any_member)

    response = client.get(reverse("accounts:delete"))

    assert response.status_code == 200
    assert "This cannot be undone." in response.content.decode()


def test_a_pending_applicant_is_told_they_are_waiting_for_approval(client, pending_member):
    client.force_login(pending_member)

    html = client.get(reverse("accounts:profile")).content.decode()

    assert "Pending approval" in html
    assert "will review your application soon" in html
    assert "Membership number" not in html


def test_an_active_member_sees_their_number_on_their_profile(member_client, member):
    html = member_client.get(reverse("accounts:profile")).content.decode()

    assert f"No. {member.membership_number}" in html


# --- The directory and member pages: active members only -----------------------------


@pytest.mark.parametrize("name", MEMBER_PAGES)
@pytest.mark.parametrize(
    ("who", "reason"),
    [
        # The membership says why, and what to do instead (membership.rights).
        ("pending_member", "the members&#x27; directory is open to you; we will e-mail you."),
        ("lapsed_member", "renew it to see the members&#x27; directory again."),
    ],
)
def test_it_refuses_members_who_are_not_active(client, listed, name, who, reason, request):
    client.force_login(request.getfixturevalue(who))

    response = client.get(url_of(name, listed))

    assert response.status_code == 403
    html = response.content.decode()
    assert reason in html
    assert "Dora Directory" not in html


def test_it_tells_a_pending_member_why_they_cannot_see_the_directory(client, pending_member):
    client.force_login(pending_member)

    response = client.get(reverse("members:directory"))

    assert response.status_code == 403
    assert "still waiting for approval" in response.content.decode()


def test_an_active_member_sees_the_directory(member_client, listed):
    response = member_client.get(reverse("members:directory"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Members' directory" in html
    assert "Dora Directory" in html
    assert reverse("members:detail", args=[listed.membership_number]) in html


def test_an_active_member_sees_another_members_page(member_client, listed):
    response = member_client.get(url_of("members:detail", listed))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dora Directory" in html
    assert f"Member No. {listed.membership_number}" in html
    assert "Two 1Ms, one of them on track tyres." in html


def test_staff_see_the_directory_even_without_an_active_membership(client, listed):
    registrar = PendingMemberFactory(display_name="Rita Registrar", is_staff=True)
    client.force_login(registrar)

    response = client.get(reverse("members:directory"))

    assert response.status_code == 200
    assert "Dora Directory" in response.content.decode()


# --- Member pages that must not be found ----------------------------------------------


def _unlisted(member):
    member.directory_listed = False
    member.save(update_fields=["directory_listed"])


def _nameless(member):
    member.name_visibility = User.Visibility.NOBODY
    member.save(update_fields=["name_visibility"])


def _pending_with_reserved_number(member):
    # A pending row may hold a number (the constraint allows it); it is still not a member.
    User.objects.filter(pk=member.pk).update(membership_status=User.Status.PENDING)


def _lapsed(member):
    member_set_status(member=member, status=User.Status.LAPSED)


def _resigned(member):
    member_set_status(member=member, status=User.Status.RESIGNED)


def _deactivated(member):
    member.is_active = False
    member.save(update_fields=["is_active"])


def _deleted(member):
    member_delete(member=member)


@pytest.mark.parametrize(
    "hide",
    [
        _unlisted,
        _nameless,
        _pending_with_reserved_number,
        _lapsed,
        _resigned,
        _deactivated,
        _deleted,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_it_answers_not_found_for_a_member_who_is_not_in_the_directory(member_client, listed, hide):
    hide(listed)

    response = member_client.get(url_of("members:detail", listed))

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Dora Directory" not in html


def test_it_answers_not_found_for_a_number_nobody_holds(member_client, listed):
    response = member_client.get(reverse("members:detail", args=[listed.membership_number + 1]))

    assert response.status_code == 404
