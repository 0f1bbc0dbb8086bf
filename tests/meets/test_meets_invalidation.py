"""A change makes stale only the meets pages that show it (meets/invalidation.py)."""

import pytest
from django.core.cache import cache

from accounts.models import User
from meets import services
from meets.apps import MeetsConfig
from meets.cache import meets_cache
from meets.models import Meet
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def versions(*scopes):
    return meets_cache.versions([None, *scopes])


def test_an_rsvp_at_one_meet_leaves_another_meet_and_every_car_page_alone(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    a = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC, capacity=5)
    b = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC, capacity=5)
    at_b = RSVPFactory(meet=b)
    assert "0 cars going" in client.get(a.get_absolute_url()).content.decode()
    client.get(b.get_absolute_url())
    before = versions(f"meet:{b.pk}", f"car:{at_b.car_id}")
    member = MemberFactory()
    car = CarFactory(owner=member)
    car_version = MeetsConfig.car_page_version(None, car)

    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_create(meet=a, member=member, car=car)

    assert versions(f"meet:{b.pk}", f"car:{at_b.car_id}") == before
    assert MeetsConfig.car_page_version(None, car) == car_version
    assert "1 car going" in client.get(a.get_absolute_url()).content.decode()
    # B's cars come from the cache still: no query for its RSVPs or their colours.
    with django_assert_max_num_queries(1):  # the meet itself
        response = client.get(b.get_absolute_url())
    assert "1 car going" in response.content.decode()


def test_a_check_in_refreshes_the_cars_page_section(django_capture_on_commit_callbacks):
    meet = MeetFactory()
    rsvp = RSVPFactory(meet=meet)
    car_version = MeetsConfig.car_page_version(None, rsvp.car)

    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_check_in(rsvp=rsvp, by=None)

    assert MeetsConfig.car_page_version(None, rsvp.car) != car_version


def test_a_car_edit_refreshes_only_the_meets_it_is_going_to(
    client, django_capture_on_commit_callbacks
):
    going = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC)
    other = MeetFactory()
    rsvp = RSVPFactory(meet=going)
    client.get(going.get_absolute_url())
    before = versions(f"meet:{other.pk}", "list")

    with django_capture_on_commit_callbacks(execute=True):
        rsvp.car.plaque_number = 4242
        rsvp.car.save()

    assert versions(f"meet:{other.pk}", "list") == before
    assert "No. 4242" in client.get(going.get_absolute_url()).content.decode()


def test_a_members_name_change_still_refreshes_every_meet_page(
    client, django_capture_on_commit_callbacks
):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC)
    rsvp = RSVPFactory(meet=meet, member__display_name="Greta Public")
    rsvp.member.name_visibility = User.Visibility.PUBLIC
    rsvp.member.save()
    assert "Greta Public" in client.get(meet.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        rsvp.member.display_name = "Greta Renamed"
        rsvp.member.save()

    assert "Greta Renamed" in client.get(meet.get_absolute_url()).content.decode()
