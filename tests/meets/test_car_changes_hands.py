"""A car that changes hands takes its place at meets to come along to its new owner."""

import pytest
from django.core import mail

from meets.models import RSVP
from meets.services import rsvp_create
from register import services
from tests.meets.factories import MeetFactory, PastMeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory, ClaimFactory, TransferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold_car(member):
    """The member's car, going to a full meet with a waiting list, and to a past one."""
    car = CarFactory(owner=member)
    meet = MeetFactory(title="Eifel Spring Drive", capacity=1)
    going = RSVPFactory(meet=meet, member=member, car=car)
    waiting = WaitlistedRSVPFactory(meet=meet)
    past = RSVPFactory(meet=PastMeetFactory(), member=member, car=car)
    return car, meet, going, waiting, past


def test_an_approved_claim_cancels_the_old_owners_rsvps_to_come_and_tells_them(
    member, other_member, staff, sold_car, django_capture_on_commit_callbacks
):
    car, meet, going, waiting, past = sold_car
    member.language = "de"
    member.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.claim_approve(claim=ClaimFactory(car=car, claimant=other_member), staff=staff)

    going.refresh_from_db()
    waiting.refresh_from_db()
    past.refresh_from_db()
    assert going.status == RSVP.Status.CANCELLED
    # The freed place went to the waiting list, with its e-mail.
    assert waiting.status == RSVP.Status.GOING
    assert past.status == RSVP.Status.GOING  # a meet that took place stays as it was
    displaced = [m for m in mail.outbox if m.to == [member.email]]
    assert len(displaced) == 1
    # In the displaced owner's language, naming the meet they no longer go to.
    assert displaced[0].body.startswith(f"Hallo {member.display_name},")
    assert "Eifel Spring Drive" in displaced[0].body
    assert any(m.to == [waiting.member.email] for m in mail.outbox)
    claimant_mail = next(m for m in mail.outbox if m.to == [other_member.email])
    assert "RSVP to the club's meets with it now" in claimant_mail.body


def test_the_new_owner_can_rsvp_with_the_car_after_the_claim_is_approved(
    member, other_member, sold_car
):
    car, meet, *_ = sold_car
    other = MeetFactory(capacity=5)

    services.claim_approve(claim=ClaimFactory(car=car, claimant=other_member), staff=None)

    rsvp = rsvp_create(meet=meet, member=other_member, car=car)
    assert rsvp.status == RSVP.Status.WAITLISTED  # the freed place went to the first in line
    assert rsvp_create(meet=other, member=other_member, car=car).status == RSVP.Status.GOING


def test_the_old_owners_rsvps_with_other_cars_are_left_alone(member, other_member):
    car = CarFactory(owner=member)
    kept = RSVPFactory(member=member, car=CarFactory(owner=member))

    services.claim_approve(claim=ClaimFactory(car=car, claimant=other_member), staff=None)

    kept.refresh_from_db()
    assert kept.status == RSVP.Status.GOING


def test_an_accepted_transfer_releases_the_sellers_rsvps_with_the_car(
    member, other_member, sold_car, django_capture_on_commit_callbacks
):
    car, meet, going, *_ = sold_car
    transfer = TransferFactory(car=car, from_member=member, to_member=other_member)

    with django_capture_on_commit_callbacks(execute=True):
        services.transfer_accept(transfer=transfer, member=other_member)

    going.refresh_from_db()
    assert going.status == RSVP.Status.CANCELLED
    seller_mail = next(m for m in mail.outbox if m.to == [member.email])
    assert "Eifel Spring Drive" in seller_mail.body


def test_a_claim_on_a_car_with_no_member_owner_sends_no_displacement_mail(
    other_member, django_capture_on_commit_callbacks
):
    car = CarFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.claim_approve(claim=ClaimFactory(car=car, claimant=other_member), staff=None)

    assert [m.to for m in mail.outbox] == [[other_member.email]]
