"""The meets pages' cached fragments never outlive a change, above all a privacy choice."""

import pytest

from accounts.models import User
from meets.models import Meet
from tests.meets.factories import MeetFactory, RSVPFactory

pytestmark = pytest.mark.django_db


def test_a_member_who_hides_their_name_disappears_from_a_cached_meet_page(
    client, django_capture_on_commit_callbacks
):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC)
    rsvp = RSVPFactory(meet=meet, member__display_name="Greta Public")
    rsvp.member.name_visibility = User.Visibility.PUBLIC
    rsvp.member.save()
    assert "Greta Public" in client.get(meet.get_absolute_url()).content.decode()

    rsvp.member.name_visibility = User.Visibility.NOBODY
    with django_capture_on_commit_callbacks(execute=True):
        rsvp.member.save()

    assert "Greta Public" not in client.get(meet.get_absolute_url()).content.decode()


def test_a_new_rsvp_shows_on_a_cached_meet_page_and_list(
    client, django_capture_on_commit_callbacks
):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC, capacity=5)
    RSVPFactory(meet=meet)
    assert "1 car going" in client.get(meet.get_absolute_url()).content.decode()
    assert "1 of 5 cars going" in client.get("/meets/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        RSVPFactory(meet=meet)

    assert "2 cars going" in client.get(meet.get_absolute_url()).content.decode()
    assert "2 of 5 cars going" in client.get("/meets/").content.decode()


def test_the_meets_list_is_served_from_the_cache_the_second_time(
    client, django_assert_max_num_queries
):
    MeetFactory.create_batch(3)
    client.get("/meets/")

    # Nothing but the page's own work: no query for the meets or their counts.
    with django_assert_max_num_queries(0):
        response = client.get("/meets/")

    assert response.content.decode().count("card-link-stretched") == 3
