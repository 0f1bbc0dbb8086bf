"""The demo's offers and no-shows (seed_offers, called by seed_demo), on a small club of
factory members shaped like the demo's rather than the whole demo (that takes a minute)."""

import pytest
from django.urls import reverse

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL
from meets.demo_offers import OFFER_SLUG, seed_offers
from meets.models import RSVP, Meet
from meets.offer_models import Offer
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_offer_for_the_demo_member_and_no_shows(client, page_text):
    demo_member = MemberFactory(email=DEMO_MEMBER_EMAIL)
    organiser = MemberFactory(email=DEMO_ORGANISER_EMAIL, is_staff=True)
    for person in [demo_member] + [MemberFactory() for _ in range(41)]:
        CarFactory(owner=person)
    ring = MeetFactory(slug="nurburgring-2027", status=Meet.Status.DRAFT)

    made = seed_offers()
    again = seed_offers()

    assert len(made) == 2 and again == []
    ring.refresh_from_db()
    assert (ring.promotion, ring.offer_hours) == ("offer", 24)
    offer = Offer.objects.open().get()
    assert offer.rsvp.member == demo_member and offer.rsvp.meet.slug == OFFER_SLUG
    meet = offer.rsvp.meet
    assert RSVP.objects.filter(meet=meet).going().count() + 1 == meet.capacity

    client.force_login(demo_member)
    assert "Accept the place" in page_text(client.get(reverse("meets:mine")))
    client.force_login(organiser)
    rows = page_text(client.get(reverse("meets:no_shows")))
    assert "4 members with no-shows in the last 12 months" in rows
