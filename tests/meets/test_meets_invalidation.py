"""A change makes stale only the meets pages that show it (meets/invalidation.py)."""

import pytest
from django.core.cache import cache

from accounts.models import User
from meets import services
from meets.apps import MeetsConfig
from meets.cache import meets_cache
from meets.models import Meet
from tests.factories import MemberFactory
from tests.meets.factories import GateDayMeetFactory, MeetFactory, RSVPFactory
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
    meet = GateDayMeetFactory()
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


def test_a_meet_made_members_only_leaves_the_public_car_pages_of_its_album(
    client, organiser, django_capture_on_commit_callbacks
):
    from tests.meets.factories import PastMeetFactory
    from tests.meets.test_albums import photo_of

    meet = PastMeetFactory(slug="ring-2025", title="Ring 2025", organisers=[organiser])
    car = CarFactory()
    with django_capture_on_commit_callbacks(execute=True):
        photo_of(meet, organiser, car=car)  # tagged, never checked in
    assert "Ring 2025" in client.get(car.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        meet.members_only = True
        services.meet_save(meet=meet)

    assert "Ring 2025" not in client.get(car.get_absolute_url()).content.decode()


def test_a_recount_tells_the_list_and_the_meets_page(django_capture_on_commit_callbacks):
    """Counters move with update() (no signal): an offer withdrawn moves no RSVP."""
    from meets.counts import counts_refresh

    meet = MeetFactory()
    before = versions("list", f"meet:{meet.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        counts_refresh(meet.pk)
    after = versions("list", f"meet:{meet.pk}")
    assert after[0] == before[0] and after[1] > before[1] and after[2] > before[2]


def test_a_colour_renamed_reaches_the_meets_pages(django_capture_on_commit_callbacks):
    car = CarFactory()
    before = versions()
    with django_capture_on_commit_callbacks(execute=True):
        car.colour.name = "Alpine White III"
        car.colour.save()
    assert versions()[0] > before[0]
