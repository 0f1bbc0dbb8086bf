"""A meet page: its cars a page at a time, and every member's page from the shared copy."""

from unittest import mock

import pytest
from django.core.cache import cache

from accounts.models import User
from meets.models import Meet
from meets.views import public
from tests.meets.factories import MeetFactory, RSVPFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_a_going_members_page_is_the_shared_copy_with_their_own_part(client_for):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.MEMBERS)
    ada = RSVPFactory(meet=meet, member__display_name="Ada Hidden").member
    ada.name_visibility = User.Visibility.NOBODY
    ada.save()
    bob = RSVPFactory(meet=meet, member__display_name="Bob Hidden").member
    bob.name_visibility = User.Visibility.NOBODY
    bob.save()

    with mock.patch.object(public, "_meet_cars_html", wraps=public._meet_cars_html) as build:
        ada_page = client_for(ada).get(meet.get_absolute_url()).content.decode()
        bob_page = client_for(bob).get(meet.get_absolute_url()).content.decode()

    assert build.call_count == 1  # Bob's page came from the copy built for Ada's
    # Each sees their own name on their own car, beside their own code; never the other's.
    assert "Ada Hidden" in ada_page and "Bob Hidden" not in ada_page
    assert "Bob Hidden" in bob_page and "Ada Hidden" not in bob_page
    assert "You&#x27;re going with your" in bob_page or "You're going with your" in bob_page
    assert f"Member No. {ada.membership_number}" in bob_page


def test_a_big_meet_shows_its_first_cars_and_loads_the_rest_a_page_at_a_time(client_for, member):
    meet = MeetFactory(capacity=200, attendee_visibility=Meet.AttendeeVisibility.MEMBERS)
    RSVPFactory.create_batch(public.CARS_PER_PAGE + 3, meet=meet)
    client = client_for(member)

    page = client.get(meet.get_absolute_url()).content.decode()
    more = client.get(f"/meets/{meet.slug}/cars/?page=2", HTTP_HX_REQUEST="true")
    plain = client.get(f"/meets/{meet.slug}/cars/?page=2")

    assert page.count('class="col"><article') == public.CARS_PER_PAGE
    assert f'href="/meets/{meet.slug}/cars/?page=2"' in page  # a plain link without JavaScript
    assert "htmx" in page
    assert more.content.decode().count("<article") == 3
    assert "<html" not in more.content.decode()  # the fragment alone
    assert plain.status_code == 200 and "<html" in plain.content.decode()
    assert "Show more cars" not in more.content.decode()
    assert len(page.encode()) < 150_000


@pytest.mark.parametrize("page", ["3", "0", "x", "-1", "99999999999999999999"])
def test_a_page_of_cars_that_does_not_exist_is_not_found(client_for, member, page):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.MEMBERS)
    RSVPFactory(meet=meet)
    assert client_for(member).get(f"/meets/{meet.slug}/cars/?page={page}").status_code == 404


def test_the_pages_of_cars_are_hidden_as_the_meet_page_hides_them(client, client_for, member):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.ORGANISERS)
    RSVPFactory(meet=meet)
    assert client.get(f"/meets/{meet.slug}/cars/").status_code == 404
    assert client_for(member).get(f"/meets/{meet.slug}/cars/").status_code == 404


def test_the_meets_head_comes_from_the_shared_copy_and_follows_an_edit(
    client, client_for, member, organiser, django_capture_on_commit_callbacks
):
    meet = MeetFactory(description="Bring a jacket.", organisers=[organiser])
    url = meet.get_absolute_url()
    with mock.patch.object(public, "render_to_string", wraps=public.render_to_string) as render:
        first = client.get(url).content.decode()
        client.get(url)
        client_for(member).get(url)
    # The head's three parts and the cars, once for visitors and once for members.
    assert render.call_count == 8
    assert "Bring a jacket." in first and "Organiser tools" not in first

    organisers_page = client_for(organiser).get(url).content.decode()
    assert "Organiser tools" in organisers_page  # their own copy, with their buttons

    meet.description = "Bring a raincoat."
    with django_capture_on_commit_callbacks(execute=True):
        meet.save()
    again = client.get(url).content.decode()
    assert "Bring a raincoat." in again and "Bring a jacket." not in again
