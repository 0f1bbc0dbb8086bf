"""Factories for the register: model lines, colours, cars, owners, claims.

`CarFactory()` makes a verified car of the 1 Series M Coupé in Alpine White, with a plaque
number from the register's own plaque sequence (so numbers handed out later by
`car_approve` never collide with a factory's). Other states are traits:

    CarFactory(pending=True)      # waiting for staff, no plaque
    CarFactory(unverified=True)   # public, not verified, no plaque
    CarFactory(rejected=True)
    CarFactory(owner=member)      # with `member` as its current owner

Model lines and colours are found by name before they are created, so every
`CarFactory()` shares one line and one colour unless you pass others.
"""

import datetime

import factory
from django.utils import timezone

from accounts.services import sequence_next
from register.models import (
    Car,
    CarPhoto,
    Claim,
    Colour,
    MileageReading,
    ModelLine,
    Ownership,
    ProductionFigure,
    TimelineEntry,
    Transfer,
)
from register.services import PLAQUE_SEQUENCE
from tests.factories import MemberFactory


class ModelLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelLine
        django_get_or_create = ("name",)

    marque = "BMW"
    name = "BMW 1 Series M Coupé (E82)"  # the slug follows from the name on save
    production_start = 2011
    production_end = 2012


class ProductionFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionFigure

    model_line = factory.SubFactory(ModelLineFactory)
    label = "customer cars"
    count = 6309
    source = "The club's register"
    source_url = ""
    is_primary = False


class ColourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Colour
        django_get_or_create = ("model_line", "name")

    model_line = factory.SubFactory(ModelLineFactory)
    name = "Alpine White"
    paint_code = "300"
    kind = Colour.Kind.STANDARD
    swatch = "#F4F4F2"


class CarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Car
        skip_postgeneration_save = True

    class Params:
        pending = factory.Trait(review_status=Car.Review.PENDING)
        unverified = factory.Trait(review_status=Car.Review.UNVERIFIED)
        rejected = factory.Trait(
            review_status=Car.Review.REJECTED, rejection_reason="Not a 1M: the VIN says 135i."
        )

    # "WBSUR9C50B" and seven digits: a valid VIN (17 characters, no I, O or Q).
    vin = factory.Sequence(lambda n: f"WBSUR9C50B{n:07d}")
    model_line = factory.SubFactory(ModelLineFactory)
    colour = factory.SubFactory(ColourFactory, model_line=factory.SelfAttribute("..model_line"))
    build_date = datetime.date(2011, 6, 1)
    market = "DE"
    country = "DE"
    transmission = Car.Transmission.MANUAL
    steering = Car.Steering.LEFT
    status = Car.Status.ON_THE_ROAD
    review_status = Car.Review.VERIFIED
    plaque_number = factory.LazyAttribute(
        lambda o: (
            sequence_next(name=PLAQUE_SEQUENCE) if o.review_status == Car.Review.VERIFIED else None
        )
    )
    verified_at = factory.LazyAttribute(
        lambda o: (
            datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
            if o.review_status == Car.Review.VERIFIED
            else None
        )
    )

    @factory.post_generation
    def owner(obj, create, extracted, **kwargs):
        """`CarFactory(owner=member)`: the member owns the car now."""
        if create and extracted is not None:
            OwnershipFactory(car=obj, member=extracted, **kwargs)


class OwnershipFactory(factory.django.DjangoModelFactory):
    """A current ownership by a member; pass `member=None, owner_name=...` for a non-member."""

    class Meta:
        model = Ownership

    car = factory.SubFactory(CarFactory)
    member = factory.SubFactory(MemberFactory)
    owner_name = ""
    name_visibility = Ownership.Visibility.MEMBERS
    country = "DE"
    started_on = datetime.date(2020, 5, 1)
    ended_on = None


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    car = factory.SubFactory(CarFactory)
    claimant = factory.SubFactory(MemberFactory)
    evidence = "Bought it from the previous owner in March; I hold the registration papers."
    state = Claim.State.PENDING


class PhotoFactory(factory.django.DjangoModelFactory):
    """A stored photo and its thumbnail: small real JPEGs under MEDIA_ROOT."""

    class Meta:
        model = CarPhoto

    car = factory.SubFactory(CarFactory)
    image = factory.django.ImageField(width=64, height=48, color="steelblue", format="JPEG")
    thumbnail = factory.django.ImageField(width=32, height=24, color="steelblue", format="JPEG")
    is_cover = False


class TransferFactory(factory.django.DjangoModelFactory):
    """A pending transfer: pass `car=` a car that `from_member` owns."""

    class Meta:
        model = Transfer

    car = factory.SubFactory(CarFactory)
    from_member = factory.SubFactory(MemberFactory)
    to_member = factory.SubFactory(MemberFactory)
    transfer_date = factory.LazyFunction(timezone.localdate)
    state = Transfer.State.PENDING


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    car = factory.SubFactory(CarFactory)
    kind = TimelineEntry.Kind.SERVICE
    happened_on = datetime.date(2019, 5, 4)
    title = factory.Sequence(lambda n: f"Service No. {n}")


class MileageReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MileageReading

    car = factory.SubFactory(CarFactory)
    read_on = datetime.date(2020, 1, 1)
    kilometres = factory.Sequence(lambda n: 10_000 + n * 1_000)
