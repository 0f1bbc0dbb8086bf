"""Two presses of the same button at once, on listings: the database decides, once."""

import pytest

from register import sale
from register.models import EnquiryMessage, Listing, Ownership
from register.services import RegisterError
from tests.factories import MemberFactory
from tests.register.factories import CarFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_car_listed_twice_at_once_has_one_active_listing():
    seller = MemberFactory()
    car = CarFactory(owner=seller)

    results, errors = run_together(
        [lambda n=n: sale.listing_create(car=car, seller=seller, price_cents=n) for n in (1, 2, 3)]
    )

    assert len(results) == 1, errors
    assert len(errors) == 2 and all(isinstance(e, RegisterError) for e in errors)
    assert Listing.objects.filter(car=car, state=Listing.State.ACTIVE).count() == 1


def test_a_listing_sold_outside_and_withdrawn_at_once_ends_one_way():
    seller = MemberFactory()
    car = CarFactory(owner=seller)
    listing = sale.listing_create(car=car, seller=seller)

    results, errors = run_together(
        [
            lambda: sale.listing_withdraw(listing=listing, seller=seller),
            lambda: sale.listing_sell_outside(
                listing=listing, seller=seller, buyer_name="Otto", on=car.created_at.date()
            ),
        ]
    )

    assert len(results) == 1 and len(errors) == 1, errors
    listing.refresh_from_db()
    sold = listing.state == Listing.State.SOLD
    assert Ownership.objects.filter(car=car).count() == (2 if sold else 1)


def test_the_message_limit_holds_when_messages_are_sent_at_once():
    seller, buyer = MemberFactory(), MemberFactory()
    car = CarFactory(owner=seller)
    listing = sale.listing_create(car=car, seller=seller)
    for n in range(sale.MESSAGES_PER_HOUR - 1):
        sale.enquiry_send(listing=listing, buyer=buyer, body=f"Message {n}")

    results, errors = run_together(
        [lambda: sale.enquiry_send(listing=listing, buyer=buyer, body="Last") for _ in range(3)]
    )

    assert len(results) == 1, errors
    assert len(errors) == 2 and all(isinstance(e, RegisterError) for e in errors)
    assert EnquiryMessage.objects.filter(author=buyer).count() == sale.MESSAGES_PER_HOUR
