"""seed_large on PostgreSQL sets a table's indexes aside for its load and builds them again.

Apart from tests/meets/test_seed_large.py, whose module-wide seed moves the sequences.
"""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from meets.management.commands.seed_large import Command
from register.models import Ownership
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


@pytest.mark.postgresql
def test_the_indexes_set_aside_for_the_load_come_back_as_they_were():
    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                [Ownership._meta.db_table],
            )
            return dict(cursor.fetchall())

    before = indexes()
    command = Command()
    command._tuning()
    command._unindex(Ownership)

    # Only the primary key and the unique constraints stay while the rows go in...
    assert set(indexes()) < set(before)
    assert "register_ownership_no_overlap" not in indexes()
    command._index_again()

    # ...and every index and the no-overlap constraint are back, defined as before.
    assert indexes() == before
    car = CarFactory()
    Ownership.objects.create(
        car=car,
        owner_name="First",
        started_on=datetime.date(2012, 1, 1),
        ended_on=datetime.date(2016, 1, 1),
    )
    with (
        pytest.raises(IntegrityError, match="register_ownership_no_overlap"),
        transaction.atomic(),
    ):
        Ownership.objects.create(
            car=car,
            owner_name="Overlapping",
            started_on=datetime.date(2015, 6, 1),
            ended_on=datetime.date(2018, 1, 1),
        )
