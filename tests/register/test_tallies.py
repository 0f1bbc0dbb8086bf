"""The register's tallies (register/tallies.py): after every kind of change they equal a
fresh count of the cars, and the statistics, rarity and filters read them."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from register.cache import register_cache
from register.lastseen import note_evidence, survival_estimates, years_ago
from register.models import Car, CarTally
from register.rarity import rarity_of
from register.services import car_approve, car_reject
from register.stats import register_stats
from register.tallies import rebuild_tallies
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    MileageReadingFactory,
    ModelLineFactory,
    ProductionFigureFactory,
)
from tests.register.test_import import GOOD, post

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        (t.kind, t.model_line_id, t.key, t.disputed, t.lost, t.seen): t.n
        for t in CarTally.objects.all()
        if t.n
    }


def assert_fresh() -> dict:
    """The tallies as kept equal the tallies counted afresh from the cars."""
    kept = snapshot()
    rebuild_tallies()
    assert kept == snapshot()
    return kept


def count(kind: str, key: str, **lookups) -> int:
    return sum(t.n for t in CarTally.objects.filter(kind=kind, key=key, **lookups))


@pytest.fixture
def line(db):
    return ModelLineFactory()


@pytest.fixture
def orange(line):
    return ColourFactory(model_line=line, name="Valencia Orange")


@pytest.fixture
def white(line):
    return ColourFactory(model_line=line, name="Alpine White", swatch="#F4F4F2")


def test_a_new_public_car_counts_in_every_tally(line, orange):
    CarFactory(model_line=line, colour=orange, build_date=datetime.date(2011, 6, 1))

    assert count("colour", str(orange.pk)) == 1
    assert count("build", "2011-06") == 1
    assert count("country", "DE") == 1
    assert count("status", Car.Status.ON_THE_ROAD) == 1
    assert count("review", Car.Review.VERIFIED) == 1
    assert_fresh()


def test_a_pending_car_counts_once_approved_and_never_once_rejected(line, orange, staff):
    waiting = CarFactory(model_line=line, colour=orange, pending=True)
    refused = CarFactory(model_line=line, colour=orange, pending=True)
    assert snapshot() == {}

    car_approve(car=waiting, staff=staff)
    car_reject(car=refused, staff=staff, reason="Not a 1M.")

    assert count("colour", str(orange.pk)) == 1
    assert count("review", Car.Review.VERIFIED) == 1
    assert_fresh()


@pytest.mark.parametrize("partial", [True, False], ids=["update_fields", "full save"])
def test_an_edit_moves_each_count_it_touches(line, orange, white, partial):
    car = CarFactory(model_line=line, colour=orange, build_date=datetime.date(2011, 6, 1))
    CarFactory(model_line=line, colour=orange)
    changes = {
        "colour": white,
        "build_date": datetime.date(2012, 3, 1),
        "status": Car.Status.WRITTEN_OFF,
        "country": "GB",
    }
    for name, value in changes.items():
        setattr(car, name, value)
    car.save(update_fields=list(changes)) if partial else car.save()

    assert count("colour", str(orange.pk)) == 1
    assert count("colour", str(white.pk), lost=True) == 1
    assert count("build", "2012-03") == 1
    assert count("status", Car.Status.WRITTEN_OFF) == 1
    assert count("country", "GB") == 1
    assert_fresh()


def test_a_save_of_fields_it_does_not_count_keeps_the_stored_values(line, orange):
    car = CarFactory(model_line=line, colour=orange)
    Car.objects.filter(pk=car.pk).update(status=Car.Status.STORED)  # the instance is stale
    rebuild_tallies()
    car.story = "Delivered at BMW Welt."
    car.save(update_fields=["story"])

    assert count("status", Car.Status.STORED) == 1
    assert_fresh()


def test_a_disputed_colour_counts_apart_and_a_deleted_car_nowhere(line, orange):
    car = CarFactory(model_line=line, colour=orange)
    car.disputed_fields = "colour"
    car.save(update_fields=["disputed_fields"])
    assert count("colour", str(orange.pk), disputed=True) == 1
    assert_fresh()

    car.delete()

    assert snapshot() == {}
    assert_fresh()


def test_cars_deleted_by_a_queryset_leave_the_tallies(line, orange, white):
    CarFactory(model_line=line, colour=orange)
    CarFactory(model_line=line, colour=white, status=Car.Status.STOLEN)
    CarFactory(model_line=line, colour=white)

    Car.objects.filter(colour=white).delete()

    assert count("colour", str(white.pk)) == 0
    assert count("colour", str(orange.pk)) == 1
    assert_fresh()


def test_an_import_is_counted_once_it_commits(client, staff, django_capture_on_commit_callbacks):
    line = ModelLineFactory(name="BMW 1 Series M Coupé (E82)")
    ColourFactory(model_line=line, name="Valencia Orange", paint_code="A76")
    ColourFactory(model_line=line, name="Alpine White", paint_code="300")
    ColourFactory(model_line=line, name="Monte Carlo Blue", paint_code="X04")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, GOOD)
    assert "Imported 3 cars." in response.content.decode()

    assert sum(n for key, n in snapshot().items() if key[0] == "review") == 3
    assert_fresh()


def test_last_seen_moves_a_count_only_in_a_new_month(
    line, orange, django_capture_on_commit_callbacks
):
    car = CarFactory(model_line=line, colour=orange)
    today = timezone.localdate()
    first = today.replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        note_evidence(car.pk, first, Car.Evidence.MILEAGE)
    assert count("colour", str(orange.pk), seen=first.strftime("%Y-%m")) == 1
    assert_fresh()

    before = register_cache.version("tally")
    with django_capture_on_commit_callbacks(execute=True):
        note_evidence(car.pk, today, Car.Evidence.MILEAGE)  # the same month
        MileageReadingFactory(car=car, read_on=today)

    assert register_cache.version("tally") == before
    assert_fresh()


def test_a_change_that_moves_a_count_bumps_the_tally_scope(
    line, orange, white, django_capture_on_commit_callbacks
):
    car = CarFactory(model_line=line, colour=orange)
    before = register_cache.version("tally")
    with django_capture_on_commit_callbacks(execute=True):
        car.story = "Repainted?"
        car.save()
    assert register_cache.version("tally") == before

    with django_capture_on_commit_callbacks(execute=True):
        car.colour = white
        car.save()
    assert register_cache.version("tally") > before


def test_rarity_is_one_query_from_the_tallies(
    line, orange, white, settings, django_assert_num_queries
):
    settings.PADDOCK_PAGE_CACHE = False
    car = CarFactory(model_line=line, colour=orange)
    CarFactory(model_line=line, colour=orange)
    CarFactory(model_line=line, colour=white)
    disputed = CarFactory(model_line=line, colour=orange)
    disputed.disputed_fields = "colour"
    disputed.save(update_fields=["disputed_fields"])

    with django_assert_num_queries(1):
        rarity = rarity_of(car)

    assert (rarity.registered, rarity.registered_in_line, rarity.disputed) == (2, 4, 1)


def test_survival_from_the_tallies_equals_the_count_of_the_cars(line, orange, white):
    """The month five years ago is split by day: the cars seen from that day count."""
    ProductionFigureFactory(model_line=line, count=2000, is_primary=True)
    today = timezone.localdate()
    lately = years_ago(today, 5)
    days = [lately, lately - datetime.timedelta(days=1), today, None, years_ago(today, 7)]
    days += [lately.replace(day=28) if lately.day < 28 else lately]
    statuses = [Car.Status.ON_THE_ROAD, Car.Status.STOLEN, Car.Status.EXPORTED]
    for i in range(36):
        car = CarFactory(
            model_line=line,
            colour=[orange, white][i % 2],
            build_date=datetime.date(2010 + i % 3, 1 + i % 12, 1),
            status=statuses[i % 3],
        )
        if i % 5 == 0:
            car.disputed_fields = "colour"
            car.save(update_fields=["disputed_fields"])
        if days[i % len(days)]:
            note_evidence(car.pk, days[i % len(days)], Car.Evidence.MILEAGE)

    stats = register_stats()
    live = survival_estimates(Car.objects.public(), stats.lines, list(line.colours.all()))

    def rows(survival):
        return [
            (r.label, r.registered, r.seen, r.not_lost, r.built)
            for s in survival
            for r in [s.total, *s.colours, *s.years]
        ]

    assert rows(stats.survival) == rows(live)
    assert stats.survival[0].total.seen > 0


def test_the_statistics_page_shows_a_new_car_at_once(
    client, line, orange, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        CarFactory(model_line=line, colour=orange)
    assert "1 car on the register" in client.get(reverse("register:stats")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        CarFactory(model_line=line, colour=orange)

    assert "2 cars on the register" in client.get(reverse("register:stats")).content.decode()


def test_the_filters_offer_the_years_and_countries_of_public_cars(client, line, orange):
    CarFactory(model_line=line, colour=orange, build_date=datetime.date(2012, 5, 1), country="GB")
    CarFactory(model_line=line, colour=orange, build_date=datetime.date(2013, 5, 1), pending=True)

    html = client.get(reverse("register:list")).content.decode()

    assert '<option value="2012">2012</option>' in html
    assert '<option value="2013">' not in html
    assert '<option value="GB">' in html


def test_the_command_repairs_the_tallies(line, orange):
    CarFactory(model_line=line, colour=orange)
    kept = snapshot()
    CarTally.objects.update(n=99)

    call_command("rebuild_tallies", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert snapshot() == kept


def test_the_chart_rows_escape_what_people_typed(client, line):
    colour = ColourFactory(
        model_line=line, name='<img src=x onerror="alert(1)">', source="A & B's <i>book</i>"
    )
    colour.reported_production = 12
    colour.save()
    CarFactory(model_line=line, colour=colour)

    html = client.get(reverse("register:stats")).content.decode()

    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "A &amp; B&#x27;s &lt;i&gt;book&lt;/i&gt;" in html
