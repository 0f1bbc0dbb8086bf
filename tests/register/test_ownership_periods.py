"""Periods of ownership of one car never overlap: in the services, in forms, in PostgreSQL."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from register import services
from register.models import Ownership
from tests.register.factories import CarFactory, ClaimFactory, OwnershipFactory, TransferFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def periods(car) -> list[tuple]:
    return list(car.ownerships.order_by("started_on").values_list("started_on", "ended_on"))


def test_a_transfer_dated_before_the_seller_bought_the_car_is_refused(member, other_member):
    car = CarFactory()
    OwnershipFactory(car=car, member=member, started_on=D(2020, 5, 1))
    transfer = TransferFactory(
        car=car, from_member=member, to_member=other_member, transfer_date=D(2019, 1, 1)
    )

    with pytest.raises(services.RegisterError, match="has had it since"):
        services.transfer_accept(transfer=transfer, member=other_member)

    assert periods(car) == [(D(2020, 5, 1), None)]
    assert car.ownerships.current().get().member == member


def test_a_handover_that_would_overlap_an_earlier_owner_is_refused(member, other_member):
    car = CarFactory()
    # An earlier owner's period runs past the date of sale; the seller's start is unknown.
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Erik Earlier",
        started_on=D(2015, 1, 1),
        ended_on=D(2022, 1, 1),
    )
    OwnershipFactory(car=car, member=member, started_on=None)
    transfer = TransferFactory(
        car=car, from_member=member, to_member=other_member, transfer_date=D(2021, 6, 1)
    )

    with pytest.raises(services.RegisterError, match="Ownership periods of a car cannot overlap"):
        services.transfer_accept(transfer=transfer, member=other_member)

    # Nothing of the attempt was kept: the seller still owns it, from the same date.
    assert car.ownerships.current().get().member == member
    assert car.ownerships.count() == 2


def test_a_handover_on_the_day_the_last_period_ends_is_accepted(member, other_member):
    car = CarFactory()
    OwnershipFactory(car=car, member=member, started_on=D(2020, 5, 1))
    transfer = TransferFactory(
        car=car, from_member=member, to_member=other_member, transfer_date=D(2020, 5, 1)
    )

    services.transfer_accept(transfer=transfer, member=other_member)

    # The seller's period ended the day it began: an empty period, next to the buyer's.
    assert periods(car) == [(D(2020, 5, 1), D(2020, 5, 1)), (D(2020, 5, 1), None)]


def test_an_approved_claim_ends_the_current_period_the_day_the_new_one_starts(member, other_member):
    car = CarFactory()
    OwnershipFactory(car=car, member=member, started_on=D(2020, 5, 1))

    services.claim_approve(claim=ClaimFactory(car=car, claimant=other_member), staff=None)

    today = datetime.date.today()
    assert periods(car) == [(D(2020, 5, 1), today), (today, None)]


def test_the_admin_form_says_in_words_that_two_periods_overlap():
    car = CarFactory()
    OwnershipFactory(
        car=car, member=None, owner_name="A", started_on=D(2012, 1, 1), ended_on=D(2016, 1, 1)
    )
    overlapping = Ownership(
        car=car, owner_name="B", started_on=D(2015, 6, 1), ended_on=D(2018, 1, 1)
    )
    next_to_it = Ownership(
        car=car, owner_name="C", started_on=D(2016, 1, 1), ended_on=D(2018, 1, 1)
    )
    unknown_start = Ownership(car=car, owner_name="D", started_on=None, ended_on=D(2014, 1, 1))

    with pytest.raises(ValidationError, match="Ownership periods of a car cannot overlap"):
        overlapping.full_clean()
    next_to_it.full_clean()
    unknown_start.full_clean()


def test_an_ownership_may_be_saved_again_without_clashing_with_itself(member):
    ownership = OwnershipFactory(member=member, started_on=D(2020, 1, 1))

    ownership.note = "Bought at auction"
    ownership.full_clean()


def test_the_database_refuses_overlapping_periods_on_postgresql_only():
    car = CarFactory()
    OwnershipFactory(
        car=car, member=None, owner_name="A", started_on=D(2012, 1, 1), ended_on=D(2016, 1, 1)
    )
    raw = Ownership(car=car, owner_name="B", started_on=D(2015, 6, 1), ended_on=D(2018, 1, 1))

    if connection.vendor == "postgresql":
        with (
            pytest.raises(IntegrityError, match="register_ownership_no_overlap"),
            transaction.atomic(),
        ):
            raw.save()
        assert car.ownerships.count() == 1
        # Adjacent periods, and periods of other cars, are fine.
        Ownership.objects.create(
            car=car, owner_name="C", started_on=D(2016, 1, 1), ended_on=D(2018, 1, 1)
        )
        Ownership.objects.create(
            car=CarFactory(), owner_name="D", started_on=D(2015, 6, 1), ended_on=D(2018, 1, 1)
        )
    else:
        # SQLite has no exclusion constraints: the services and clean() stand alone there.
        raw.save()
        assert car.ownerships.count() == 2
        with pytest.raises(ValidationError):
            raw.full_clean()


def _owners_formset(car, rows: list[tuple[str, str]]):
    from django.forms import inlineformset_factory

    from register.admin import OwnershipInlineFormSet

    FormSet = inlineformset_factory(
        type(car),
        Ownership,
        formset=OwnershipInlineFormSet,
        fields=["owner_name", "started_on", "ended_on"],
        extra=0,
    )
    existing = list(car.ownerships.order_by("pk"))
    data = {
        "ownerships-TOTAL_FORMS": str(len(existing) + len(rows)),
        "ownerships-INITIAL_FORMS": str(len(existing)),
    }
    for index, ownership in enumerate(existing):
        data |= {
            f"ownerships-{index}-id": str(ownership.pk),
            f"ownerships-{index}-owner_name": ownership.owner_name,
            f"ownerships-{index}-started_on": ownership.started_on.isoformat(),
            f"ownerships-{index}-ended_on": ""
            if ownership.ended_on is None
            else ownership.ended_on.isoformat(),
        }
    for offset, (start, end) in enumerate(rows):
        index = len(existing) + offset
        data |= {
            f"ownerships-{index}-owner_name": f"Earlier owner {offset}",
            f"ownerships-{index}-started_on": start,
            f"ownerships-{index}-ended_on": end,
        }
    return FormSet(data, instance=car, prefix="ownerships")


def test_two_new_rows_of_the_admin_that_overlap_each_other_are_refused_in_words(member):
    # Each row alone clears the saved periods; together they clash, which PostgreSQL's
    # exclusion constraint would have answered with a server error.
    car = CarFactory(owner=member)
    formset = _owners_formset(car, [("2012-01-01", "2014-01-01"), ("2013-01-01", "2015-01-01")])

    assert not formset.is_valid()
    assert "cannot overlap" in str(formset.non_form_errors())


def test_new_rows_of_the_admin_one_after_another_are_saved(member):
    car = CarFactory(owner=member)
    formset = _owners_formset(car, [("2012-01-01", "2014-01-01"), ("2014-01-01", "2015-01-01")])

    assert formset.is_valid(), (formset.errors, formset.non_form_errors())
    formset.save()
    assert car.ownerships.count() == 3
