"""A meet's going, waiting and held counters (meets/counts.py) equal the real counts after
every service that changes an RSVP's status or an offer's state."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from meets import offers, services
from meets.counts import recount_meets
from meets.models import RSVP, Meet
from meets.offer_models import Offer
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


def real_counts(meet: Meet) -> tuple[int, int, int]:
    rsvps = RSVP.objects.filter(meet=meet)
    return (
        rsvps.going().count(),
        rsvps.waitlisted().count(),
        Offer.objects.open().filter(rsvp__meet=meet).count(),
    )


def assert_counted(meet: Meet, expected: tuple[int, int, int]) -> None:
    meet.refresh_from_db()
    assert real_counts(meet) == expected
    assert (meet.going_count, meet.waiting_count, meet.held_count) == expected


def rsvp(meet: Meet) -> RSVP:
    member = MemberFactory()
    return services.rsvp_create(meet=meet, member=member, car=CarFactory(owner=member))


def test_rsvps_cancellations_and_promotions_keep_the_counters_exact():
    meet = MeetFactory(capacity=2)
    first = rsvp(meet)
    assert_counted(meet, (1, 0, 0))
    rsvp(meet)
    rsvp(meet)
    assert_counted(meet, (2, 1, 0))

    services.rsvp_cancel(rsvp=first, member=first.member)  # the waiting car moves up
    assert_counted(meet, (2, 0, 0))

    meet.capacity = 4
    services.meet_save(meet=meet, old_capacity=2)
    rsvp(meet)
    assert_counted(meet, (3, 0, 0))


def test_offers_hold_places_and_their_ends_are_counted():
    meet = MeetFactory(capacity=1, promotion=Meet.Promotion.OFFER)
    going = rsvp(meet)
    waiting = rsvp(meet)
    last = rsvp(meet)
    assert_counted(meet, (1, 2, 0))

    services.rsvp_cancel(rsvp=going, member=going.member)  # an offer holds the place
    assert_counted(meet, (0, 2, 1))

    offer = Offer.objects.get(rsvp=waiting)
    offers.offer_decline(offer=offer, member=waiting.member)  # passed on to the last car
    assert_counted(meet, (0, 1, 1))

    offers.offer_accept(offer=Offer.objects.get(rsvp=last), member=last.member)
    assert_counted(meet, (1, 0, 0))


def test_an_expired_offer_and_a_cancelled_meet_are_counted():
    meet = MeetFactory(capacity=1, promotion=Meet.Promotion.OFFER)
    going = rsvp(meet)
    rsvp(meet)
    rsvp(meet)
    services.rsvp_cancel(rsvp=going, member=going.member)
    offers.offers_expire(now=timezone.now() + datetime.timedelta(days=2))
    assert_counted(meet, (0, 1, 1))  # the next car has the offer now

    services.meet_cancel(meet=meet)
    assert_counted(meet, (0, 1, 0))


def test_an_anonymised_members_rsvp_is_counted_out():
    meet = MeetFactory(capacity=5)
    mine = rsvp(meet)
    rsvp(meet)
    services.member_meets_anonymise(member=mine.member)
    assert_counted(meet, (1, 0, 0))


def test_recount_repairs_counters_after_a_bulk_load(capsys):
    meet = MeetFactory(capacity=1)
    RSVPFactory(meet=meet)
    WaitlistedRSVPFactory(meet=meet)
    Meet.objects.filter(pk=meet.pk).update(going_count=7, waiting_count=0)

    call_command("recount_meets")

    assert_counted(meet, (1, 1, 0))
    assert "1 meet(s) had a wrong counter" in capsys.readouterr().out
    assert recount_meets() == 0


def test_an_edit_read_before_an_rsvp_leaves_the_counters_right():
    """The organiser's form reads the meet, an RSVP commits, then the edit is saved: the
    save must not write the counters it read, or a full meet takes one car too many."""
    meet = MeetFactory(capacity=1)
    form_copy = Meet.objects.get(pk=meet.pk)
    services.rsvp_create(meet=meet, member=(first := MemberFactory()), car=CarFactory(owner=first))

    form_copy.title = "Renamed"
    services.meet_save(meet=form_copy)

    assert_counted(meet, (1, 0, 0))
    second = MemberFactory()
    late = services.rsvp_create(meet=meet, member=second, car=CarFactory(owner=second))
    assert late.status == RSVP.Status.WAITLISTED


def test_a_bulk_delete_past_the_services_never_misleads_the_capacity():
    """RSVPs deleted with a queryset (a cascade, a script) leave the counters behind until
    a recount; the next RSVP counts the places itself, under the lock."""
    meet = MeetFactory(capacity=1)
    first = rsvp(meet)
    RSVP.objects.filter(pk=first.pk).delete()  # no service: the counter still says 1 going

    late = rsvp(meet)
    assert late.status == RSVP.Status.GOING
    assert_counted(meet, (1, 0, 0))
