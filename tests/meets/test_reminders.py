"""The reminder e-mail, sent by `manage.py send_meet_reminders` (cron, hourly) to everyone
going to a meet that starts within the next day — once."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from meets.models import RSVP, Meet
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory

pytestmark = pytest.mark.django_db


def in_hours(hours: float) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(hours=hours)).replace(microsecond=0)


def a_meet_starting_in(hours: float, **fields) -> Meet:
    starts = in_hours(hours)
    return MeetFactory(
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=6),
        rsvp_opens_at=starts - datetime.timedelta(days=30),
        **fields,
    )


def send_reminders() -> str:
    out = io.StringIO()
    # The reminders are delivered (to mail.outbox) as each one's transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_meet_reminders", stdout=out)
    return out.getvalue().strip()


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_everyone_going_to_tomorrows_meet_gets_a_reminder_with_their_check_in_code():
    meet = a_meet_starting_in(20, title="Nürburgring Treffen")
    going = RSVPFactory.create_batch(2, meet=meet)

    assert send_reminders() == "2 reminder(s) sent."

    assert recipients() == sorted(r.member.email for r in going)
    for message in mail.outbox:
        assert message.subject == "Tomorrow: Nürburgring Treffen"
        assert f"({meet.time_zone})" in message.body
        ((name, png, mimetype),) = message.attachments
        assert (name, mimetype) == ("check-in-code.png", "image/png")
        assert png.startswith(b"\x89PNG")
    assert all(rsvp.reminder_sent_at is not None for rsvp in RSVP.objects.filter(meet=meet))


def test_running_it_twice_sends_nothing_twice():
    meet = a_meet_starting_in(20)
    RSVPFactory.create_batch(2, meet=meet)
    send_reminders()

    assert send_reminders() == "0 reminder(s) sent."

    assert len(mail.outbox) == 2


def test_someone_promoted_after_the_reminders_went_out_gets_theirs_on_the_next_run():
    meet = a_meet_starting_in(20)
    first = RSVPFactory(meet=meet)
    send_reminders()
    late = RSVPFactory(meet=meet)

    send_reminders()

    assert recipients() == sorted([first.member.email, late.member.email])


def test_the_waiting_list_and_cancelled_rsvps_get_no_reminder():
    meet = a_meet_starting_in(20)
    going = RSVPFactory(meet=meet)
    WaitlistedRSVPFactory(meet=meet)
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)

    send_reminders()

    assert recipients() == [going.member.email]


@pytest.mark.parametrize(
    ("hours", "reminded"),
    [
        (-2, False),  # started two hours ago
        (0.5, True),
        (23, True),
        (25, False),  # a day and an hour away: a later run reminds them
        (72, False),
    ],
)
def test_only_meets_starting_within_the_next_day_are_reminded(hours, reminded):
    RSVPFactory(meet=a_meet_starting_in(hours))

    send_reminders()

    assert len(mail.outbox) == (1 if reminded else 0)


@pytest.mark.parametrize("status", [Meet.Status.CANCELLED, Meet.Status.DRAFT])
def test_a_meet_that_is_not_on_gets_no_reminder(status):
    RSVPFactory(meet=a_meet_starting_in(20, status=status))

    assert send_reminders() == "0 reminder(s) sent."

    assert mail.outbox == []
