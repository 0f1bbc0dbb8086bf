"""A meet's map: the cars going, by the country they live in."""

import pytest
from django.core.cache import cache

from meets.models import Meet
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory
from tests.register.test_maps import figure, table_rows


@pytest.mark.django_db
def test_a_meet_page_maps_the_countries_of_the_cars_going(client):
    cache.clear()
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.ORGANISERS)
    for country in ["DE", "DE", "NL"]:
        person = MemberFactory()
        RSVPFactory(meet=meet, member=person, car=CarFactory(owner=person, country=country))
    WaitlistedRSVPFactory(meet=meet)  # not going: not counted

    # Shown to everyone, like the colour mix: it names nobody.
    html = client.get(meet.get_absolute_url()).content.decode()

    assert table_rows(figure(html, "meet-countries")) == [("Germany", "2"), ("Netherlands", "1")]
