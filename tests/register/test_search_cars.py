"""register/filters.py search_cars: the one rule for naming a car by plaque or VIN."""

import pytest

from register.filters import search_cars, without_plaque_prefix
from register.models import Car
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "left"),
    [("12", "12"), ("#12", "12"), ("No. 12", "12"), ("no12", "12"), ("Noah", "Noah"), ("", "")],
)
def test_a_plaque_prefix_goes_only_before_a_number(typed, left):
    assert without_plaque_prefix(typed) == left


@pytest.mark.parametrize(
    "typed", ["12", "#12", "No. 12", "WBS1M9C5XBE123456", "e123456", "XBE123456"]
)
def test_a_car_is_found_by_its_plaque_however_typed_its_vin_or_its_tail(typed):
    car = CarFactory(plaque_number=12, vin="WBS1M9C5XBE123456")
    CarFactory()

    assert list(search_cars(Car.objects.all(), typed)) == [car]


def test_three_characters_find_nothing():
    CarFactory(vin="WBS1M9C5XBE123456")

    assert not search_cars(Car.objects.all(), "E56").exists()
