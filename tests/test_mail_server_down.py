"""With the mail server down, every form that sends mail answers as usual; the mail waits.

Each test drives a form through the test client while the mail server refuses connections
(`mail_server`, tests/conftest.py): the page is the one the user always gets, the change is
saved, and the e-mail waits in the outbox with the error. Once the server is back, cron's
`send_queued_mail` delivers every waiting e-mail once, attachments and all.
"""

import datetime
import html

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutgoingMail, User
from meets.models import RSVP, Meet, Message
from register.models import Car, Claim, Transfer
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory, ClaimFactory, TransferFactory

pytestmark = pytest.mark.django_db

PASSWORD = "valencia-orange-2011"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the test's requests as the site runs them: what each commits, it then sends."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def logged_in(user=None) -> Client:
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def waiting_to(*addresses: str) -> list[OutgoingMail]:
    """The e-mails waiting for the mail server, after their first attempt failed."""
    waiting = list(OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED))
    assert sorted(address for mail_ in waiting for address in mail_.to) == sorted(addresses)
    for mail_ in waiting:
        assert mail_.attempts == 1
        assert mail_.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
        assert mail_.next_attempt_at > timezone.now()
    return waiting


def delivered_once_when_the_server_is_back(mail_server, *addresses: str) -> list:
    mail_server.up()
    mail.outbox.clear()

    mail_server.deliver_queued()
    mail_server.deliver_queued()  # a second run sends nothing again

    assert sorted(address for message in mail.outbox for address in message.to) == sorted(addresses)
    assert not OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).exists()
    return list(mail.outbox)


# --- Accounts (allauth) ------------------------------------------------------------------------


def test_signing_up_answers_as_usual_and_the_confirmation_waits(mail_server, committed):
    with committed():
        response = logged_in().post(
            reverse("account_signup"),
            {"email": "nina@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="nina@example.org").exists()
    assert mail_server.refused == 1
    waiting_to("nina@example.org")
    [confirmation] = delivered_once_when_the_server_is_back(mail_server, "nina@example.org")
    assert "/accounts/confirm-email/" in confirmation.body


@pytest.mark.parametrize("address", ["known", "stranger@example.org"])
def test_a_password_reset_answers_alike_for_any_address_and_the_mail_waits(
    mail_server, committed, member, address
):
    address = member.email if address == "known" else address

    with committed():
        response = logged_in().post(
            reverse("account_reset_password"), {"email": address}, follow=True
        )

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    waiting_to(address)
    delivered_once_when_the_server_is_back(mail_server, address)


def test_sending_the_confirmation_again_answers_as_usual_and_the_mail_waits(
    mail_server, committed, member
):
    EmailAddress.objects.create(user=member, email="olga.new@example.org", verified=False)

    with committed():
        response = logged_in(member).post(
            reverse("account_email"),
            {"action_send": "", "email": "olga.new@example.org"},
            follow=True,
        )

    assert response.status_code == 200
    assert any("olga.new@example.org" in text for text in messages_of(response))
    waiting_to("olga.new@example.org")
    delivered_once_when_the_server_is_back(mail_server, "olga.new@example.org")


# --- The register ------------------------------------------------------------------------------


def test_starting_a_transfer_answers_as_usual_and_the_buyer_is_told_later(
    mail_server, committed, member, other_member
):
    car = CarFactory(owner=member)

    with committed():
        response = logged_in(member).post(
            reverse("register:transfer", args=[car.pk]),
            {"buyer": other_member.email, "transfer_date": timezone.localdate().isoformat()},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("register:garage")
    assert messages_of(response) == ["Transfer started. The buyer accepts it from their garage."]
    assert Transfer.objects.get().state == Transfer.State.PENDING
    waiting_to(other_member.email)
    delivered_once_when_the_server_is_back(mail_server, other_member.email)


@pytest.mark.parametrize(
    ("action", "state", "message"),
    [
        ("accept", Transfer.State.ACCEPTED, "The car is now in your garage. Welcome to its story!"),
        ("decline", Transfer.State.DECLINED, "The transfer has been closed."),
    ],
)
def test_answering_a_transfer_answers_as_usual_and_the_seller_is_told_later(
    mail_server, committed, member, other_member, action, state, message
):
    transfer = TransferFactory(
        car=CarFactory(owner=member), from_member=member, to_member=other_member
    )

    with committed():
        response = logged_in(other_member).post(
            reverse("register:transfer_respond", args=[transfer.pk]), {"action": action}
        )

    assert response.status_code == 302
    assert messages_of(response) == [message]
    transfer.refresh_from_db()
    assert transfer.state == state
    waiting_to(member.email)
    delivered_once_when_the_server_is_back(mail_server, member.email)


def test_staff_approving_a_claim_answers_as_usual_and_the_claimant_is_told_later(
    mail_server, committed, staff, member, other_member
):
    claim = ClaimFactory(car=CarFactory(owner=member), claimant=other_member, evidence="Mine.")

    with committed():
        response = logged_in(staff).post(
            reverse("register:review_claim", args=[claim.pk]), {"decision": "approve"}
        )

    assert response.status_code == 302
    assert messages_of(response) == [f"Claim approved: {claim.car} has a new owner."]
    claim.refresh_from_db()
    assert claim.state == Claim.State.APPROVED
    # The claimant, and the owner the claim displaced.
    waiting_to(other_member.email, member.email)
    delivered_once_when_the_server_is_back(mail_server, other_member.email, member.email)


def test_staff_verifying_a_car_answers_as_usual_and_the_owner_is_told_later(
    mail_server, committed, staff, member
):
    car = CarFactory(pending=True, owner=member)

    with committed():
        response = logged_in(staff).post(
            reverse("register:review_car", args=[car.pk]), {"decision": "approve"}
        )

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.review_status == Car.Review.VERIFIED
    waiting_to(member.email)
    delivered_once_when_the_server_is_back(mail_server, member.email)


# --- Meets -------------------------------------------------------------------------------------


def test_an_rsvp_answers_as_usual_and_its_confirmation_waits_with_its_attachments(
    mail_server, committed, member
):
    car = CarFactory(owner=member)
    meet = MeetFactory(title="Eifel Run")

    with committed():
        response = logged_in(member).post(
            reverse("meets:rsvp", args=[meet.slug]), {"car": car.pk, "guests": 0}, follow=True
        )

    assert response.redirect_chain == [(meet.get_absolute_url(), 302)]
    assert "You're going! Your check-in code is below." in html.unescape(response.content.decode())
    assert RSVP.objects.get(meet=meet).status == RSVP.Status.GOING
    waiting_to(member.email)
    [confirmation] = delivered_once_when_the_server_is_back(mail_server, member.email)
    assert confirmation.subject == "You're going: Eifel Run"
    (ics_name, ics, ics_type), (png_name, png, png_type) = confirmation.attachments
    assert (ics_name, ics_type) == (f"{meet.slug}.ics", "text/calendar")
    assert "BEGIN:VCALENDAR" in ics
    assert (png_name, png_type) == ("check-in-code.png", "image/png")
    assert png.startswith(b"\x89PNG")


def test_an_organisers_message_answers_as_usual_and_waits_for_the_server(
    mail_server, committed, organiser
):
    meet = MeetFactory(organisers=[organiser])
    going = RSVPFactory(meet=meet)

    with committed():
        response = logged_in(organiser).post(
            reverse("meets:message", args=[meet.slug]),
            {"audience": "going", "subject": "Gates at 8", "body": "Bring your plaque."},
            follow=True,
        )

    assert response.status_code == 200
    assert "Your message is on its way to 1 member." in messages_of(response)
    assert Message.objects.get().recipients == 1
    waiting_to(going.member.email)
    [message] = delivered_once_when_the_server_is_back(mail_server, going.member.email)
    assert "Gates at 8" in message.subject


def test_cancelling_a_meet_answers_as_usual_and_the_news_waits_with_the_calendar_file(
    mail_server, committed, organiser
):
    meet = MeetFactory(organisers=[organiser])
    going, waiting = RSVPFactory(meet=meet), RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)

    with committed():
        response = logged_in(organiser).post(
            reverse("meets:cancel", args=[meet.slug]), {"reason": "Snow on the track."}
        )

    assert response.status_code == 302
    assert messages_of(response) == [
        "The meet is cancelled. We e-mailed everyone going or waiting."
    ]
    meet.refresh_from_db()
    assert meet.status == Meet.Status.CANCELLED
    waiting_to(going.member.email, waiting.member.email)
    for message in delivered_once_when_the_server_is_back(
        mail_server, going.member.email, waiting.member.email
    ):
        [(name, ics, mimetype)] = message.attachments
        assert (name, mimetype) == (f"{meet.slug}.ics", "text/calendar")
        assert "STATUS:CANCELLED" in ics


def test_a_reminder_is_claimed_and_waits_when_the_server_is_down(mail_server, committed):
    from meets.services import reminders_send

    starts = timezone.now() + datetime.timedelta(hours=20)
    meet = MeetFactory(
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=4),
        rsvp_opens_at=starts - datetime.timedelta(days=10),
    )
    going = RSVPFactory(meet=meet)

    with committed():
        assert reminders_send() == 1

    going.refresh_from_db()
    assert going.reminder_sent_at is not None
    waiting_to(going.member.email)
    with committed():
        assert reminders_send() == 0  # claimed once: the waiting mail is the reminder
    [reminder] = delivered_once_when_the_server_is_back(mail_server, going.member.email)
    assert reminder.attachments[0][1].startswith(b"\x89PNG")
