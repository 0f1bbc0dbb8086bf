"""Sightings pressed at once: one decision counts once, and a limit holds.

Run on SQLite and on PostgreSQL (tests/with_postgres.sh): on SQLite every atomic() takes
the write lock at its start; on PostgreSQL the sighting's row is locked FOR UPDATE.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import OutgoingMail
from register.models import Sighting, TimelineEntry
from register.services import RegisterError
from register.sightings import sighting_accept, sighting_report
from tests.factories import MemberFactory
from tests.register.factories import CarFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sighting_accepted_twice_at_once_makes_one_entry_and_one_mail():
    owner = MemberFactory()
    staff = MemberFactory(is_staff=True)
    car = CarFactory(owner=owner)
    sighting = sighting_report(
        identifier_kind="plaque",
        identifier=str(car.plaque_number),
        town="Adenau",
        country="DE",
        seen_on=datetime.date(2025, 6, 1),
        reporter_email="rita@example.org",
    )

    results, errors = run_together(
        [lambda: sighting_accept(sighting=sighting, staff=staff) for _ in range(2)]
    )

    assert len(results) == 1
    assert [type(e) for e in errors] == [RegisterError]
    assert TimelineEntry.objects.filter(car=car, system_text="sighting").count() == 1
    assert OutgoingMail.objects.filter(to=[owner.email]).count() == 1


def test_reports_sent_at_once_from_one_address_keep_to_its_limit(settings):
    settings.PADDOCK_SIGHTING_RATE_LIMITS = {"sighting_ip": "3/h/ip"}
    car = CarFactory()
    url = reverse("register:sighting_new")

    def send(n: int):
        return (
            Client()
            .post(
                url,
                {
                    "identifier_kind": "plaque",
                    "identifier": str(car.plaque_number),
                    "town": "Spa",
                    "country": "BE",
                    "seen_on": "2025-01-01",
                    "reporter_email": f"r{n}@example.org",
                },
            )
            .status_code
        )

    results, errors = run_together([lambda n=n: send(n) for n in range(6)])

    assert errors == []
    assert all(code in (302, 429) for code in results)
    assert Sighting.objects.count() == results.count(302) <= 3
