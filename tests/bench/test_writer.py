"""make bench's mixed pass: the writer's writes (bench/fixtures.py writer), on small data."""

import pytest

from meets.management.commands.seed_large import BENCH_EMAIL
from meets.models import RSVP
from register.models import Car, MileageReading
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory


@pytest.fixture
def writer(db):
    from bench.fixtures import Writer

    members = [MemberFactory(email=BENCH_EMAIL.format(i)) for i in range(2)]
    cars = [CarFactory(owner=member) for member in members]
    MeetFactory(capacity=10)
    fixtures = {"load_sessions": ["a", "b"], "car_ids": [cars[0].pk]}
    return Writer(fixtures, seed=3)


def test_it_writes_a_mileage_reading_a_new_car_and_an_rsvp_in_turn(writer):
    cars = Car.objects.public().count()

    kinds = [writer.write() for _ in range(6)]

    assert kinds == ["mileage", "car", "rsvp"] * 2
    # Readings on the car the car page loads, going up.
    readings = list(MileageReading.objects.order_by("id").values_list("car", "kilometres"))
    assert [car for car, _km in readings] == [writer.fixtures["car_ids"][0]] * 2
    assert readings[1][1] > readings[0][1]
    # New cars, registered by a bench member and approved: public, with a plaque.
    new = Car.objects.filter(vin__startswith="WBSBNCHW")
    assert new.count() == 2 and Car.objects.public().count() == cars + 2
    assert all(car.plaque_number for car in new)
    # RSVPs by bench members, each to a meet they had none for.
    rsvps = RSVP.objects.filter(member__email__endswith="@bench.example")
    assert rsvps.going().count() == 2
    assert rsvps.values("meet", "member").distinct().count() == 2


def test_it_stops_when_no_meet_takes_another_rsvp(writer):
    writer.turn = 2  # the RSVP's turn
    writer.write()
    writer.turn = 2
    writer.write()
    writer.turn = 2

    with pytest.raises(SystemExit, match="no upcoming meet"):
        writer.write()
