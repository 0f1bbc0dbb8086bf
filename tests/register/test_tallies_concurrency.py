"""Cars added at the same moment each count once, even the first ones of a new key
(run on PostgreSQL too: tests/with_postgres.sh)."""

import datetime

import pytest
from django.db import transaction

from register.models import Car, CarTally
from register.tallies import rebuild_tallies
from tests.register.factories import CarFactory, ColourFactory, ModelLineFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def snapshot() -> dict:
    return {
        (t.kind, t.model_line_id, t.key, t.disputed, t.lost, t.seen): t.n
        for t in CarTally.objects.all()
        if t.n
    }


def test_concurrent_first_cars_of_a_colour_all_count():
    line = ModelLineFactory()
    colour = ColourFactory(model_line=line)

    def add(i):
        def call():
            with transaction.atomic():
                return CarFactory(
                    model_line=line,
                    colour=colour,
                    build_date=datetime.date(2011, 6, 1),
                    country="GB",
                    unverified=True,
                ).pk

        return call

    results, errors = run_together([add(i) for i in range(THREADS)])

    assert errors == []
    assert len(results) == THREADS
    row = CarTally.objects.get(kind="colour", model_line=line, key=str(colour.pk))
    assert row.n == THREADS
    assert CarTally.objects.get(kind="build", model_line=line, key="2011-06").n == THREADS
    kept = snapshot()
    rebuild_tallies()
    assert snapshot() == kept


def test_concurrent_edits_of_different_cars_keep_exact_counts():
    line = ModelLineFactory()
    orange = ColourFactory(model_line=line, name="Valencia Orange")
    white = ColourFactory(model_line=line, name="Alpine White")
    cars = [CarFactory(model_line=line, colour=orange) for _ in range(THREADS)]

    def repaint(car):
        def call():
            with transaction.atomic():
                locked = Car.objects.select_for_update().get(pk=car.pk)
                locked.colour = white
                locked.status = Car.Status.STORED
                locked.save(update_fields=["colour", "status"])

        return call

    results, errors = run_together([repaint(car) for car in cars])

    assert errors == []
    assert CarTally.objects.get(kind="colour", model_line=line, key=str(white.pk)).n == THREADS
    assert CarTally.objects.get(kind="colour", model_line=line, key=str(orange.pk)).n == 0
    kept = snapshot()
    rebuild_tallies()
    assert snapshot() == kept
