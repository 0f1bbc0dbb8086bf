"""E-mails sent by a worker: queued in the database with the write, sent by db_worker."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from meets import services
from meets.models import RSVP, Message
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(settings):
    """Tasks go to the database, as in production, until the worker runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def work() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())

    return work


def test_an_rsvp_is_confirmed_by_the_worker_not_during_the_request(queued, member, member_car):
    meet = MeetFactory(capacity=10)
    mail.outbox.clear()

    services.rsvp_create(meet=meet, member=member, car=member_car)

    assert mail.outbox == []
    queued()
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert meet.title in mail.outbox[0].subject


def test_an_rsvp_cancelled_before_the_worker_ran_gets_no_confirmation(queued, member, member_car):
    meet = MeetFactory(capacity=10)
    rsvp = services.rsvp_create(meet=meet, member=member, car=member_car)
    services.rsvp_cancel(rsvp=rsvp, member=member)
    mail.outbox.clear()

    queued()

    assert [m.subject for m in mail.outbox if m.to == [member.email]] == []


def test_a_promotion_a_message_and_a_cancellation_all_go_out_through_the_worker(queued, organiser):
    meet = MeetFactory(capacity=1, organisers=[organiser])
    first = RSVPFactory(meet=meet)
    waiting = WaitlistedRSVPFactory(meet=meet)
    mail.outbox.clear()

    services.rsvp_cancel(rsvp=first, member=first.member)  # the waiting car moves up
    services.message_send(
        meet=meet,
        audience=Message.Audience.GOING,
        subject="Gates at 8",
        body="See you.",
        by=organiser,
    )
    services.meet_cancel(meet=meet, reason="Snow.")
    assert mail.outbox == []

    queued()

    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.GOING
    to_them = sorted(m.subject for m in mail.outbox if m.to == [waiting.member.email])
    assert len(to_them) == 3
    assert any("Gates at 8" in s for s in to_them)
    assert any(meet.title in s and "place" in s for s in to_them)
