"""Offers hold under concurrency: never more open offers than free places, one outcome each.

Real threads on committed data, as tests/meets/test_concurrency.py. Run on both databases:

    .venv/bin/pytest -q tests/meets/test_offers_concurrency.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/meets/test_offers_concurrency.py
"""

import datetime

import pytest
from django.utils import timezone

from meets import offers, services
from meets.models import RSVP, Meet
from meets.offer_models import Offer
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def offer_meet(*, capacity: int, waiting: int):
    meet = MeetFactory(capacity=capacity, promotion=Meet.Promotion.OFFER, offer_hours=24)
    going = [RSVPFactory(meet=meet) for _ in range(capacity)]
    line = [WaitlistedRSVPFactory(meet=meet) for _ in range(waiting)]
    return meet, going, line


def taken(meet) -> int:
    going = RSVP.objects.filter(meet=meet).going().count()
    return going + Offer.objects.open().filter(rsvp__meet=meet).count()


def test_two_places_freed_at_once_make_two_offers_to_the_first_two_in_line():
    meet, going, line = offer_meet(capacity=3, waiting=4)

    results, errors = run_together(
        [lambda r=r: services.rsvp_cancel(rsvp=r, member=r.member) for r in going[:2]]
    )

    assert errors == []
    held = Offer.objects.open().filter(rsvp__meet=meet)
    assert sorted(held.values_list("rsvp_id", flat=True)) == [r.pk for r in line[:2]]
    assert taken(meet) == 3


def test_two_accepts_of_the_same_offer_make_one_going():
    meet, going, line = offer_meet(capacity=1, waiting=2)
    services.rsvp_cancel(rsvp=going[0], member=going[0].member)
    offer = Offer.objects.get()
    member = offer.rsvp.member

    results, errors = run_together(
        [lambda: offers.offer_accept(offer=offer, member=member) for _ in range(2)]
    )

    assert len(results) == 1
    assert [str(e) for e in errors] == ["You accepted this offer already: you're going."]
    assert RSVP.objects.filter(meet=meet).going().count() == 1
    assert Offer.objects.get().state == Offer.State.ACCEPTED


def test_an_accept_racing_the_expiry_has_one_outcome():
    meet, going, line = offer_meet(capacity=1, waiting=2)
    services.rsvp_cancel(rsvp=going[0], member=going[0].member)
    offer = Offer.objects.get()
    member = offer.rsvp.member
    # The accept comes a second before the end, the worker runs a second after it.
    before = offer.expires_at - datetime.timedelta(seconds=1)
    after = offer.expires_at + datetime.timedelta(seconds=1)

    results, errors = run_together(
        [
            lambda: offers.offer_accept(offer=offer, member=member, now=before),
            lambda: offers.offers_expire(now=after),
        ]
    )

    offer.refresh_from_db()
    if offer.state == Offer.State.ACCEPTED:  # the accept went first: nothing was due
        assert errors == [] and 0 in results
        assert RSVP.objects.filter(meet=meet).going().count() == 1
        assert Offer.objects.open().count() == 0
    else:  # the worker went first: the accept is refused, the next in line is offered
        assert offer.state == Offer.State.EXPIRED
        assert len(errors) == 1 and str(errors[0]).startswith("This offer expired at")
        assert Offer.objects.open().get().rsvp == line[1]
    assert taken(meet) == 1


def test_new_rsvps_racing_a_freed_place_never_take_the_held_place():
    meet, going, line = offer_meet(capacity=5, waiting=1)
    people = [MemberFactory() for _ in range(6)]
    cars = [CarFactory(owner=p) for p in people]

    calls = [
        lambda p=p, c=c: services.rsvp_create(meet=meet, member=p, car=c)
        for p, c in zip(people, cars, strict=True)
    ]
    calls.append(lambda: services.rsvp_cancel(rsvp=going[0], member=going[0].member))
    results, errors = run_together(calls)

    assert errors == []
    assert taken(meet) == 5  # four going and the held place: exactly the capacity
    assert Offer.objects.open().get().rsvp == line[0]
    assert RSVP.objects.filter(meet=meet, member__in=people).going().count() == 0


def test_the_worker_run_twice_at_once_expires_each_offer_once():
    meet, going, line = offer_meet(capacity=2, waiting=4)
    for r in going:
        services.rsvp_cancel(rsvp=r, member=r.member)
    later = timezone.now() + datetime.timedelta(hours=25)

    results, errors = run_together([lambda: offers.offers_expire(now=later) for _ in range(2)])

    assert errors == []
    assert sorted(results) == [0, 2]
    assert sorted(Offer.objects.open().values_list("rsvp_id", flat=True)) == [
        r.pk for r in line[2:]
    ]
