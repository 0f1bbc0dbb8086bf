"""The counters stay exact when many members RSVP and cancel at once, on both databases:

.venv/bin/pytest -q tests/meets/test_counts_concurrency.py
tests/with_postgres.sh .venv/bin/pytest -q tests/meets/test_counts_concurrency.py
"""

import pytest

from meets import services
from meets.models import RSVP
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_rsvps_and_cancellations_at_once_leave_the_counters_exact():
    meet = MeetFactory(capacity=5)
    people = [MemberFactory() for _ in range(16)]
    cars = [CarFactory(owner=person) for person in people]
    early = [
        services.rsvp_create(meet=meet, member=person, car=car)
        for person, car in zip(people[:4], cars[:4], strict=True)
    ]

    jobs = [
        lambda p=person, c=car: services.rsvp_create(meet=meet, member=p, car=c)
        for person, car in zip(people[4:], cars[4:], strict=True)
    ] + [lambda r=r: services.rsvp_cancel(rsvp=r, member=r.member) for r in early]
    results, errors = run_together(jobs)

    assert [e for e in errors if not isinstance(e, services.RSVPError)] == []
    meet.refresh_from_db()
    rsvps = RSVP.objects.filter(meet=meet)
    assert meet.going_count == rsvps.going().count() == 5
    assert meet.waiting_count == rsvps.waitlisted().count() == rsvps.live().count() - 5
