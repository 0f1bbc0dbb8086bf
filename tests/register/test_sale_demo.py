"""The demo club's market: two listings, a conversation, a car sold outside the club."""

import io

import pytest
from django.core.management import call_command

from register.models import Enquiry, Listing, TimelineEntry

pytestmark = pytest.mark.django_db


def test_the_demo_has_two_listings_a_conversation_and_a_car_sold_outside():
    call_command("seed_demo", stdout=io.StringIO())

    live = list(Listing.objects.live())
    assert len(live) == 2
    assert sorted(listing.price_cents is None for listing in live) == [False, True]
    assert Enquiry.objects.get().messages.count() == 2
    sold = Listing.objects.get(state=Listing.State.SOLD)
    assert sold.sold_to == Listing.SoldTo.OUTSIDE
    assert sold.car.ownerships.current().get().member is None
    assert TimelineEntry.objects.filter(car=sold.car, system_text="sold_outside").exists()
