"""The register's rules as the models and the database hold them."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from register.forms import NewCarForm
from register.models import Car, CarPhoto, Ownership, ProductionFigure, Transfer
from register.rarity import rarity_of
from register.validators import normalise_vin, validate_vin
from tests.factories import MemberFactory, PendingMemberFactory
from tests.register.factories import (
    CarFactory,
    OwnershipFactory,
    PhotoFactory,
    ProductionFigureFactory,
    TransferFactory,
)

VIN = "WBSUR92050VK12345"

pytestmark = pytest.mark.django_db


def new_car_form(vin: str, model_line, colour) -> NewCarForm:
    return NewCarForm(
        data={
            "vin": vin,
            "model_line": model_line.pk,
            "colour": colour.pk,
            "transmission": Car.Transmission.MANUAL,
            "steering": Car.Steering.LEFT,
            "status": Car.Status.ON_THE_ROAD,
            "vin_visibility": Car.VinVisibility.LAST7,
        }
    )


# --- VINs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "wbsur92050vk12345",
        "  WBSUR92050VK12345 ",
        "WBS-UR92050-VK12345",
        "wbs ur920 50vk 12345",
        "WBS.UR920_50VK.12345",
    ],
)
def test_a_vin_typed_in_lower_case_or_with_spaces_and_dashes_is_stored_normalised(
    typed, model_line, valencia_orange
):
    assert normalise_vin(typed) == VIN

    form = new_car_form(typed, model_line, valencia_orange)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["vin"] == VIN


def test_full_clean_normalises_a_lower_case_vin_before_validating_it(model_line):
    car = Car(vin="wbs-ur92050-vk12345", model_line=model_line)

    car.full_clean()

    assert car.vin == VIN


@pytest.mark.parametrize("vin", [VIN[:16], VIN + "8"])
def test_a_vin_of_16_or_18_characters_is_refused_with_its_length(vin, model_line, valencia_orange):
    with pytest.raises(ValidationError) as raised:
        validate_vin(vin)
    assert raised.value.messages == [f"A VIN has exactly 17 characters; this one has {len(vin)}."]

    form = new_car_form(vin, model_line, valencia_orange)
    assert not form.is_valid()
    assert form.errors["vin"] == [f"A VIN has exactly 17 characters; this one has {len(vin)}."]


@pytest.mark.parametrize(
    ("vin", "named"),
    [
        ("WBSUR92O50VK12345", "O"),
        ("WBSUR92050VK1234I", "I"),
        ("QBSUR92050VK12345", "Q"),
        ("IBSUR92O50VK1234Q", "I, O, Q"),
    ],
)
def test_a_vin_with_i_o_or_q_is_refused_naming_the_letter(vin, named, model_line, valencia_orange):
    form = new_car_form(vin.lower(), model_line, valencia_orange)

    assert not form.is_valid()
    assert form.errors["vin"] == [
        f"A VIN never contains the letters I, O or Q (found: {named}). Did you mean 1 or 0?"
    ]


def test_a_vin_with_punctuation_inside_is_refused(model_line, valencia_orange):
    form = new_car_form("WBSUR92050VK1234*", model_line, valencia_orange)

    assert not form.is_valid()
    assert "only the letters A–Z" in form.errors["vin"][0]


def test_the_database_refuses_a_second_car_with_the_same_vin():
    CarFactory(vin=VIN)

    with pytest.raises(IntegrityError), transaction.atomic():
        CarFactory(vin=VIN)

    assert Car.objects.filter(vin=VIN).count() == 1


# --- Constraints --------------------------------------------------------------------


def test_a_car_has_only_one_current_ownership(member, other_member):
    car = CarFactory()
    OwnershipFactory(car=car, member=member)
    second = Ownership(car=car, member=other_member)

    with pytest.raises(ValidationError, match="A car has only one current owner."):
        second.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()

    # A closed ownership next to the current one is history, and allowed.
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Erik Earlier",
        started_on=datetime.date(2012, 1, 1),
        ended_on=datetime.date(2016, 1, 1),
    )
    assert car.ownerships.count() == 2
    assert car.ownerships.current().get().member == member


def test_a_car_bought_back_is_among_its_owners_cars_once(member, other_member):
    car = CarFactory()
    OwnershipFactory(
        car=car,
        member=member,
        started_on=datetime.date(2012, 1, 1),
        ended_on=datetime.date(2015, 1, 1),
    )
    OwnershipFactory(
        car=car,
        member=other_member,
        started_on=datetime.date(2015, 1, 1),
        ended_on=datetime.date(2019, 1, 1),
    )
    OwnershipFactory(car=car, member=member, started_on=datetime.date(2019, 1, 1))
    kept = CarFactory()
    OwnershipFactory(car=kept, member=member)

    assert sorted(Car.objects.owned_by(member).values_list("pk", flat=True)) == sorted(
        [car.pk, kept.pk]
    )
    assert list(Car.objects.owned_by(other_member)) == []


def test_an_ownership_cannot_end_before_it_starts():
    ownership = Ownership(
        car=CarFactory(),
        owner_name="Erik Earlier",
        started_on=datetime.date(2015, 6, 1),
        ended_on=datetime.date(2015, 5, 31),
    )

    with pytest.raises(ValidationError, match="An ownership cannot end before it starts."):
        ownership.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        ownership.save()
    assert not Ownership.objects.exists()


def test_two_cars_cannot_share_a_plaque_number():
    CarFactory(plaque_number=7)

    with pytest.raises(IntegrityError), transaction.atomic():
        CarFactory(plaque_number=7)

    # Cars without a plaque yet are many, and that is fine.
    CarFactory(pending=True)
    CarFactory(pending=True)
    assert Car.objects.filter(plaque_number=7).count() == 1
    assert Car.objects.filter(plaque_number=None).count() == 2


def test_a_verified_car_needs_a_plaque_number(model_line):
    car = Car(vin=VIN, model_line=model_line, review_status=Car.Review.VERIFIED)

    with pytest.raises(ValidationError, match="A verified car needs a plaque number."):
        car.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        car.save()
    assert not Car.objects.exists()


def test_a_car_has_only_one_pending_transfer(member, other_member):
    car = CarFactory()
    OwnershipFactory(car=car, member=member)
    TransferFactory(car=car, from_member=member, to_member=other_member)
    second = Transfer(car=car, from_member=member, to_member=MemberFactory())

    with pytest.raises(ValidationError, match="This car already has a transfer waiting."):
        second.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()

    # Once the first is cancelled, a new transfer may start.
    Transfer.objects.update(state=Transfer.State.CANCELLED)
    second.save()
    assert car.transfers.filter(state=Transfer.State.PENDING).get() == second


def test_a_car_cannot_be_transferred_to_its_seller(member):
    transfer = Transfer(car=CarFactory(), from_member=member, to_member=member)

    with pytest.raises(ValidationError, match="You cannot transfer a car to yourself."):
        transfer.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        transfer.save()
    assert not Transfer.objects.exists()


def test_a_car_has_only_one_cover_photo():
    car = CarFactory()
    PhotoFactory(car=car, is_cover=True)
    PhotoFactory(car=car, is_cover=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        PhotoFactory(car=car, is_cover=True)

    assert car.photos.filter(is_cover=True).count() == 1
    assert CarPhoto.objects.count() == 2


def test_a_model_line_has_only_one_primary_production_figure(model_line):
    ProductionFigureFactory(model_line=model_line, count=6309, is_primary=True)
    ProductionFigureFactory(model_line=model_line, count=6331, source="Other", is_primary=False)
    second_primary = ProductionFigure(
        model_line=model_line, label="cars", count=6339, source="Other", is_primary=True
    )

    with pytest.raises(ValidationError, match="only one primary production figure"):
        second_primary.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        second_primary.save()
    assert list(model_line.figures.values_list("count", "is_primary")) == [
        (6309, True),
        (6331, False),
    ]


# --- The VIN the public sees ----------------------------------------------------------


def test_the_public_vin_shows_only_the_last_seven_characters_by_default():
    car = CarFactory(vin=VIN)

    assert car.vin_visibility == Car.VinVisibility.LAST7
    assert car.public_vin == "••••••••••" + "VK12345"
    assert VIN[:10] not in car.public_vin


def test_the_public_vin_is_the_full_vin_when_the_owner_chooses_so():
    car = CarFactory(vin=VIN, vin_visibility=Car.VinVisibility.FULL)

    assert car.public_vin == VIN


# --- Names as privacy allows ---------------------------------------------------------

ANONYMOUS, MEMBER, PENDING, STAFF = "anonymous", "active member", "pending member", "staff"


def viewer(kind: str):
    if kind == ANONYMOUS:
        return AnonymousUser()
    if kind == MEMBER:
        return MemberFactory()
    if kind == PENDING:
        return PendingMemberFactory()
    return MemberFactory(is_staff=True)


@pytest.mark.parametrize(
    ("visibility", "who", "sees"),
    [
        (Ownership.Visibility.PUBLIC, ANONYMOUS, "Erik Earlier"),
        (Ownership.Visibility.PUBLIC, MEMBER, "Erik Earlier"),
        (Ownership.Visibility.PUBLIC, STAFF, "Erik Earlier"),
        (Ownership.Visibility.MEMBERS, ANONYMOUS, "Name withheld"),
        (Ownership.Visibility.MEMBERS, PENDING, "Name withheld"),
        (Ownership.Visibility.MEMBERS, MEMBER, "Erik Earlier"),
        (Ownership.Visibility.MEMBERS, STAFF, "Erik Earlier"),
        (Ownership.Visibility.NOBODY, ANONYMOUS, "Name withheld"),
        (Ownership.Visibility.NOBODY, MEMBER, "Name withheld"),
        # The registrar keeps the record: staff see an earlier owner's name.
        (Ownership.Visibility.NOBODY, STAFF, "Erik Earlier"),
    ],
)
def test_an_earlier_owner_who_is_not_a_member_is_named_only_as_their_privacy_allows(
    visibility, who, sees
):
    ownership = OwnershipFactory(member=None, owner_name="Erik Earlier", name_visibility=visibility)

    assert ownership.name_for(viewer(who)) == sees


def test_an_ownership_without_member_or_name_is_an_unknown_owner():
    ownership = OwnershipFactory(member=None, owner_name="")

    assert ownership.name_for(AnonymousUser()) == "Unknown owner"


@pytest.mark.parametrize(
    ("visibility", "who", "sees_name"),
    [
        (User.Visibility.PUBLIC, ANONYMOUS, True),
        (User.Visibility.PUBLIC, MEMBER, True),
        (User.Visibility.MEMBERS, ANONYMOUS, False),
        (User.Visibility.MEMBERS, PENDING, False),
        (User.Visibility.MEMBERS, MEMBER, True),
        (User.Visibility.MEMBERS, STAFF, True),
        (User.Visibility.NOBODY, ANONYMOUS, False),
        (User.Visibility.NOBODY, MEMBER, False),
        # The club office sees real names (accounts/privacy.py), as in the admin.
        (User.Visibility.NOBODY, STAFF, True),
    ],
)
def test_a_member_owner_is_named_only_as_their_privacy_allows(visibility, who, sees_name):
    owner = MemberFactory(display_name="Olga Owner", name_visibility=visibility)
    ownership = OwnershipFactory(member=owner)

    # In place of the name: the number for other members and staff, "A member" for others.
    fallback = f"Member No. {owner.membership_number}" if who in (MEMBER, STAFF) else "A member"
    expected = "Olga Owner" if sees_name else fallback
    assert ownership.name_for(viewer(who)) == expected
    assert owner.name_for(viewer(who)) == expected


def test_a_member_who_hides_their_name_still_sees_it_themself():
    owner = MemberFactory(display_name="Olga Owner", name_visibility=User.Visibility.NOBODY)

    assert OwnershipFactory(member=owner).name_for(owner) == "Olga Owner"


# --- Rarity -------------------------------------------------------------------------


def test_rarity_counts_the_cars_of_the_same_colour_on_the_register(
    model_line, monte_carlo_blue, valencia_orange
):
    blue = CarFactory(model_line=model_line, colour=monte_carlo_blue)
    CarFactory(model_line=model_line, colour=monte_carlo_blue, review_status="unverified")
    CarFactory.create_batch(2, model_line=model_line, colour=valencia_orange)

    rarity = rarity_of(blue)

    assert rarity.headline == "One of 2 in Monte Carlo Blue on the register"
    assert (rarity.registered, rarity.registered_in_line) == (2, 4)
    assert rarity.share == 50
    assert rarity.is_rare  # BMW Individual paint


def test_rarity_of_the_only_car_in_its_colour_says_so(model_line, monte_carlo_blue):
    blue = CarFactory(model_line=model_line, colour=monte_carlo_blue)

    assert rarity_of(blue).headline == "The only Monte Carlo Blue car on the register"


def test_rarity_leaves_out_pending_and_rejected_cars(model_line, monte_carlo_blue):
    blue = CarFactory(model_line=model_line, colour=monte_carlo_blue)
    CarFactory(model_line=model_line, colour=monte_carlo_blue, review_status=Car.Review.PENDING)
    CarFactory(model_line=model_line, colour=monte_carlo_blue, review_status=Car.Review.REJECTED)

    rarity = rarity_of(blue)

    assert rarity.headline == "The only Monte Carlo Blue car on the register"
    assert rarity.registered_in_line == 1


def test_a_car_of_unknown_colour_has_no_rarity(model_line):
    assert rarity_of(CarFactory(model_line=model_line, colour=None)) is None
