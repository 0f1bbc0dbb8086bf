"""Capacity holds when many members press the button in the same second.

Real threads, each with its own database connection, released together by a barrier, on
committed data (transaction=True). SQLite serialises them with IMMEDIATE transactions,
PostgreSQL with the meet's row lock. Run on both:

    .venv/bin/pytest -q tests/meets/test_concurrency.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/meets/test_concurrency.py
"""

import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from django.core import mail
from django.db import connection, transaction

from meets import services
from meets.models import RSVP, Meet
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def members_with_cars(n: int):
    people = [MemberFactory() for _ in range(n)]
    return [(person, CarFactory(owner=person)) for person in people]


def test_forty_members_at_once_fill_ten_places_and_the_rest_wait_in_line():
    meet = MeetFactory(capacity=10)
    people = members_with_cars(40)
    mail.outbox.clear()

    results, errors = run_together(
        [
            lambda person=person, car=car: services.rsvp_create(meet=meet, member=person, car=car)
            for person, car in people
        ]
    )

    assert errors == []
    assert len(results) == 40
    assert Counter(RSVP.objects.filter(meet=meet).values_list("status", flat=True)) == {
        "going": 10,
        "waitlisted": 30,
    }
    assert set(RSVP.objects.filter(meet=meet).values_list("member", flat=True)) == {
        person.pk for person, _ in people
    }
    # The ten going are the ten who were first: nobody on the waiting list asked earlier.
    last_going = max(RSVP.objects.filter(meet=meet).going().values_list("created_at", flat=True))
    first_waiting = RSVP.objects.filter(meet=meet).waitlisted().first().created_at
    assert last_going <= first_waiting
    # Everyone heard back: ten "you're going", thirty "you're on the waiting list".
    subjects = Counter(message.subject.split(":")[0] for message in mail.outbox)
    assert subjects == {"You're going": 10, "You're on the waiting list": 30}


def test_one_member_pressing_five_times_at_once_gets_one_rsvp():
    meet = MeetFactory(capacity=10)
    ((person, car),) = members_with_cars(1)

    results, errors = run_together(
        [lambda: services.rsvp_create(meet=meet, member=person, car=car) for _ in range(5)]
    )

    assert len(results) == 1
    assert len(errors) == 4
    assert all(isinstance(exc, services.RSVPError) for exc in errors), errors
    assert {str(exc) for exc in errors} == {"You already have an RSVP for this meet."}
    assert RSVP.objects.filter(meet=meet).live().count() == 1
    assert RSVP.objects.filter(meet=meet).count() == 1


def test_cancellations_racing_new_rsvps_never_overfill_and_promote_the_waiting_list_first():
    meet = MeetFactory(capacity=10)
    going = [RSVPFactory(meet=meet) for _ in range(10)]
    waiting = [WaitlistedRSVPFactory(meet=meet) for _ in range(10)]
    newcomers = members_with_cars(20)

    cancels = [
        lambda rsvp=rsvp: services.rsvp_cancel(rsvp=rsvp, member=rsvp.member) for rsvp in going
    ]
    joins = [
        lambda person=person, car=car: services.rsvp_create(meet=meet, member=person, car=car)
        for person, car in newcomers
    ]
    results, errors = run_together(cancels + joins)

    assert errors == []
    assert len(results) == 30
    rsvps = RSVP.objects.filter(meet=meet)
    assert rsvps.going().count() == meet.capacity
    # A cancelled place goes to the waiting list at once, so no newcomer jumps the queue:
    assert set(rsvps.going().values_list("pk", flat=True)) == {r.pk for r in waiting}
    assert set(rsvps.waitlisted().values_list("member", flat=True)) == {
        person.pk for person, _ in newcomers
    }
    assert set(rsvps.filter(status="cancelled").values_list("pk", flat=True)) == {
        r.pk for r in going
    }


@contextmanager
def meet_held_by_another_request(meet):
    """Another request deciding on `meet` under its lock, and taking its time about it."""
    locked, release = threading.Event(), threading.Event()

    def hold_the_meet():
        with transaction.atomic():
            services._lock_meet(meet.pk)
            locked.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=lambda: (hold_the_meet(), connection.close()))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def test_a_meet_locked_too_long_asks_the_member_to_try_again_and_keeps_nothing(monkeypatch):
    meet = MeetFactory(capacity=10)
    ((person, car),) = members_with_cars(1)

    # This request waits 0.2 s for the lock, where a real one waits 10 s (PostgreSQL's
    # lock_timeout) or 20 s (SQLite's timeout).
    with (
        meet_held_by_another_request(meet),
        short_lock_wait(monkeypatch, milliseconds=200),
        pytest.raises(services.RSVPError, match="Many members are answering at once"),
    ):
        services.rsvp_create(meet=meet, member=person, car=car)

    assert not RSVP.objects.filter(meet=meet).exists()
    # Once the other request is done, the same RSVP goes through.
    assert services.rsvp_create(meet=meet, member=person, car=car).status == "going"


def _save_with_more_places(meet):
    meet.capacity += 5
    return services.meet_save(meet=meet, old_capacity=meet.capacity - 5)


@pytest.mark.parametrize(
    ("write", "status"),
    [
        (lambda meet: services.meet_publish(meet=meet), Meet.Status.DRAFT),
        (lambda meet: services.meet_cancel(meet=meet), Meet.Status.PUBLISHED),
        (lambda meet: services.waitlist_promote(meet=meet), Meet.Status.PUBLISHED),
        (_save_with_more_places, Meet.Status.PUBLISHED),
    ],
    ids=["publish", "cancel", "promote", "save"],
)
def test_an_organisers_write_on_a_locked_meet_is_a_message_not_an_error_page(
    monkeypatch, write, status
):
    meet = MeetFactory(capacity=1, status=status)
    RSVPFactory(meet=meet)
    waiting = WaitlistedRSVPFactory(meet=meet)

    with (
        meet_held_by_another_request(meet),
        short_lock_wait(monkeypatch, milliseconds=200),
        pytest.raises(services.RSVPError, match="Many members are answering at once"),
    ):
        write(Meet.objects.get(pk=meet.pk))

    # Nothing of the attempt was kept.
    meet.refresh_from_db()
    waiting.refresh_from_db()
    assert (meet.status, meet.capacity, waiting.status) == (status, 1, RSVP.Status.WAITLISTED)


@contextmanager
def short_lock_wait(monkeypatch, *, milliseconds: int):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assert services.LOCK_TIMEOUT == "10s"
            monkeypatch.setattr(services, "LOCK_TIMEOUT", f"{milliseconds}ms")
            yield
            # Set with SET LOCAL: the connection itself keeps no limit afterwards.
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"
        else:
            cursor.execute(f"PRAGMA busy_timeout = {milliseconds}")
            try:
                yield
            finally:
                cursor.execute("PRAGMA busy_timeout = 20000")
