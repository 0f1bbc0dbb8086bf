"""Two devices syncing the same car at once end with one check-in; walk-ins respect capacity.

Real threads on committed data (tests/threads.py). Run on both databases:

    .venv/bin/pytest -q tests/meets/test_gate_concurrency.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/meets/test_gate_concurrency.py
"""

import datetime
import uuid

import pytest
from django.utils import timezone

from meets import gate
from meets.models import RSVP, GateScan
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def started_meet(**fields):
    start = (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=0)
    return MeetFactory(
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        rsvp_opens_at=start - datetime.timedelta(days=30),
        **fields,
    )


def test_two_devices_syncing_one_car_in_the_same_second_check_it_in_once():
    organiser = MemberFactory()
    meet = started_meet(organisers=[organiser])
    rsvp = RSVPFactory(meet=meet)
    devices = [gate.device_create(meet=meet, name=f"Gate {n}", by=organiser)[0] for n in "AB"]
    at = meet.starts_at + datetime.timedelta(minutes=5)

    results, errors = run_together(
        [
            lambda d=d: gate.checkin_apply(
                device=d, client_id=uuid.uuid4(), rsvp_id=rsvp.pk, scanned_at=at, odometer_km=1000
            )
            for d in devices
        ]
    )

    assert errors == []
    assert sorted(r["result"] for r in results) == ["already", "checked_in"]
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at == at
    assert rsvp.car.timeline.count() == 1
    assert rsvp.car.mileage_readings.count() == 1


def test_one_scan_sent_twice_at_once_is_kept_once():
    organiser = MemberFactory()
    meet = started_meet(organisers=[organiser])
    rsvp = RSVPFactory(meet=meet)
    device = gate.device_create(meet=meet, name="Gate A", by=organiser)[0]
    client_id = uuid.uuid4()

    results, errors = run_together(
        [
            lambda: gate.checkin_apply(
                device=device, client_id=client_id, rsvp_id=rsvp.pk, scanned_at=timezone.now()
            )
            for _ in range(2)
        ]
    )

    assert errors == []
    assert [r["result"] for r in results] == ["checked_in", "checked_in"]
    assert GateScan.objects.count() == 1


def test_walk_ins_at_once_take_no_more_than_the_places_left():
    organiser = MemberFactory()
    meet = started_meet(organisers=[organiser], capacity=3)
    RSVPFactory(meet=meet)
    device = gate.device_create(meet=meet, name="Gate A", by=organiser)[0]
    people = [MemberFactory() for _ in range(6)]
    cars = [CarFactory(owner=person) for person in people]

    results, errors = run_together(
        [
            lambda p=p, c=c: gate.walk_in_apply(
                device=device,
                client_id=uuid.uuid4(),
                scanned_at=timezone.now(),
                membership_number=p.membership_number,
                car=c.vin,
            )
            for p, c in zip(people, cars, strict=True)
        ]
    )

    assert errors == []
    assert sorted(r["result"] for r in results) == ["checked_in"] * 2 + ["refused"] * 4
    assert RSVP.objects.filter(meet=meet, status=RSVP.Status.GOING).count() == 3
