"""The demo's last-seen dates (seed_lastseen, run by seed_demo after the register's cars):
most cars seen lately, a dozen not for 5–12 years, a few never, a few confirmed by owners.

Made on a small register of factory cars shaped like the demo's (every car read in May
2025, a delivery entry each), not the whole demo club: seeding that takes a minute.
"""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from register.lastseen import seed_lastseen, years_ago
from register.models import Car
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, MileageReadingFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_like(django_capture_on_commit_callbacks):
    members = [MemberFactory() for _ in range(4)]
    cars = [CarFactory(owner=members[i] if i < 4 else None) for i in range(20)]
    cars += [CarFactory(unverified=True) for _ in range(4)]
    for car in cars:
        TimelineEntryFactory(car=car, kind="delivered", happened_on=datetime.date(2011, 8, 1))
        for year in (2013, 2019, 2025):
            MileageReadingFactory(car=car, read_on=datetime.date(year, 5, 1))
    Car.objects.update(last_seen_on=None, last_seen_kind="")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        seed_lastseen(out)
    return out.getvalue()


def test_the_demo_has_cars_seen_lately_long_ago_never_and_confirmed(client, demo_like):
    today = timezone.localdate()
    cars = Car.objects.public()
    lately = cars.filter(last_seen_on__gte=years_ago(today, 5))
    assert lately.count() == 24 - 12 - 3
    aged = cars.filter(last_seen_on__lt=years_ago(today, 5))
    assert aged.count() == 12
    assert all(years_ago(today, 12) < car.last_seen_on for car in aged)
    # Their evidence agrees: no reading after the day they were last seen.
    for car in aged:
        assert max(car.mileage_readings.values_list("read_on", flat=True)) == car.last_seen_on
    never = cars.filter(last_seen_on=None)
    assert never.count() == 3
    assert not never.filter(mileage_readings__isnull=False).exists()
    confirmed = cars.filter(last_seen_kind="owner").exclude(still_mine_confirmed_on=None)
    assert confirmed.count() == 3
    assert "12 not for 5–12 years, 3 never, 3 confirmed" in demo_like

    html = client.get(reverse("register:list"), {"not_seen": "5"}).content.decode()
    assert "15 cars match" in html


def test_seeding_it_twice_changes_nothing(demo_like):
    before = sorted(Car.objects.values_list("pk", "last_seen_on", "last_seen_kind"))
    out = io.StringIO()
    seed_lastseen(out)
    assert "already there" in out.getvalue()
    assert sorted(Car.objects.values_list("pk", "last_seen_on", "last_seen_kind")) == before
