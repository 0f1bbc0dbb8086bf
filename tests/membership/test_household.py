"""A household: several accounts sharing one membership, one fee and one renewal date."""

import datetime

import pytest
from django.urls import reverse

from accounts.services import member_approve
from membership.models import Invoice, Level, Seat
from tests.factories import MemberFactory, PendingMemberFactory
from tests.membership.factories import LevelFactory, member_joined, membership_of

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    level = LevelFactory(
        name="Household", slug="household", fee_cents=9000, seats=2, period=Level.Period.CALENDAR
    )
    return member_joined(level=level, on=D(2026, 3, 2), display_name="Hanna Haus")


def test_an_applicant_put_in_a_household_before_approval_shares_its_term_and_invoices(
    household,
):
    membership = membership_of(household)
    household_invoice = Invoice.objects.get(member=household)
    partner = PendingMemberFactory(display_name="Hugo Haus")
    Seat.objects.create(membership=membership, member=partner, is_payer=False)

    member_approve(member=partner, notify=False)

    partner.refresh_from_db()
    assert partner.membership_number is not None
    assert partner.renewal_date == membership.valid_until == D(2027, 1, 1)
    # No invoice of the partner's own; the household's stays open, not cancelled.
    assert not Invoice.objects.filter(member=partner).exists()
    household_invoice.refresh_from_db()
    assert household_invoice.status == Invoice.Status.OPEN
    assert list(membership.seats.values_list("member__display_name", flat=True)) == [
        "Hanna Haus",
        "Hugo Haus",
    ]


def admin_seats_post(membership, seats):
    data = {
        "level": membership.level_id,
        "started_on": membership.started_on.isoformat(),
        "valid_until": membership.valid_until.isoformat() if membership.valid_until else "",
        "lapsed_on": "",
        "seats-TOTAL_FORMS": str(len(seats)),
        "seats-INITIAL_FORMS": "0",
        "seats-MIN_NUM_FORMS": "0",
        "seats-MAX_NUM_FORMS": "1000",
    }
    for n, (member, pays) in enumerate(seats):
        data[f"seats-{n}-member"] = str(member.pk)
        data[f"seats-{n}-membership"] = str(membership.pk)
        data[f"seats-{n}-card_version"] = "1"
        if pays:
            data[f"seats-{n}-is_payer"] = "on"
    return data


def test_the_admin_refuses_more_accounts_than_the_level_has_room_for(client, household):
    staff = MemberFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    membership = membership_of(household)
    Seat.objects.filter(membership=membership).delete()
    people = [PendingMemberFactory() for _ in range(3)]

    response = client.post(
        reverse("admin:membership_membership_change", args=[membership.pk]),
        admin_seats_post(membership, [(people[0], True), (people[1], False), (people[2], False)]),
    )

    assert response.status_code == 200
    assert "The level Household has room for 2 accounts." in response.content.decode()
    assert not Seat.objects.filter(membership=membership).exists()


def test_the_admin_wants_exactly_one_account_that_pays(client, household):
    staff = MemberFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    membership = membership_of(household)
    Seat.objects.filter(membership=membership).delete()
    people = [PendingMemberFactory() for _ in range(2)]

    response = client.post(
        reverse("admin:membership_membership_change", args=[membership.pk]),
        admin_seats_post(membership, [(people[0], False), (people[1], False)]),
    )

    assert response.status_code == 200
    assert "exactly one account" in response.content.decode()
    assert not Seat.objects.filter(membership=membership).exists()
