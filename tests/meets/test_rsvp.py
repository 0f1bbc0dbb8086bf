"""RSVPs: the rules of services.rsvp_create and rsvp_cancel, the waiting list, the e-mails,
and the RSVP page a member posts to."""

import datetime
import io

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from PIL import Image

from meets import services
from meets.forms import RSVPForm
from meets.models import RSVP, Meet
from register.models import Ownership
from tests.factories import PendingMemberFactory
from tests.meets.factories import (
    MeetFactory,
    QuestionFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)
from tests.register.factories import CarFactory, OwnershipFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now
# What each database names in the error: PostgreSQL the constraint, SQLite its columns.
ONE_PER_MEMBER = r"meets_rsvp_one_per_member|meets_rsvp\.meet_id, meets_rsvp\.member_id$"
ONE_PER_CAR = r"meets_rsvp_one_per_car|meets_rsvp\.meet_id, meets_rsvp\.car_id$"


def attachment(message, suffix: str):
    """The (filename, content, mimetype) of the one attachment whose name ends in `suffix`."""
    found = [a for a in message.attachments if a[0].endswith(suffix)]
    assert len(found) == 1, [a[0] for a in message.attachments]
    return found[0]


def the_event(ics) -> dict:
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    return event


# --- Going, or on the waiting list -----------------------------------------------------


def test_a_member_is_going_while_there_is_room(member, member_car):
    meet = MeetFactory(capacity=10)

    rsvp = services.rsvp_create(meet=meet, member=member, car=member_car, guests=2)

    assert rsvp.status == RSVP.Status.GOING
    saved = RSVP.objects.get(meet=meet)
    assert (saved.member, saved.car, saved.guests, saved.status) == (
        member,
        member_car,
        2,
        RSVP.Status.GOING,
    )


def test_it_waitlists_when_full_in_the_order_members_came(member_with_car):
    meet = MeetFactory(capacity=2)
    people = [member_with_car() for _ in range(5)]

    made = [services.rsvp_create(meet=meet, member=person, car=car) for person, car in people]

    assert [r.status for r in made] == ["going", "going", "waitlisted", "waitlisted", "waitlisted"]
    assert RSVP.objects.filter(meet=meet).going().count() == 2
    assert list(RSVP.objects.filter(meet=meet).waitlisted()) == made[2:]


@pytest.mark.parametrize("status", [Meet.Status.DRAFT, Meet.Status.CANCELLED])
def test_only_a_published_meet_takes_rsvps(member, member_car, status):
    meet = MeetFactory(status=status)

    with pytest.raises(services.RSVPError, match="not open for RSVPs"):
        services.rsvp_create(meet=meet, member=member, car=member_car)

    assert not RSVP.objects.exists()


def test_rsvps_are_refused_before_the_window_opens(member, member_car):
    meet = MeetFactory(rsvp_opens_at=NOW() + datetime.timedelta(days=1))

    with pytest.raises(services.RSVPError, match="have not opened yet"):
        services.rsvp_create(meet=meet, member=member, car=member_car)

    assert not RSVP.objects.exists()


def test_rsvps_are_refused_after_the_window_closes(member, member_car):
    meet = MeetFactory(
        rsvp_opens_at=NOW() - datetime.timedelta(days=3),
        rsvp_closes_at=NOW() - datetime.timedelta(hours=1),
    )

    with pytest.raises(services.RSVPError, match="have closed"):
        services.rsvp_create(meet=meet, member=member, car=member_car)

    assert not RSVP.objects.exists()


def test_rsvps_without_a_closing_time_close_when_the_meet_starts(member, member_car):
    meet = MeetFactory(starts_at=NOW() - datetime.timedelta(minutes=5), rsvp_closes_at=None)

    with pytest.raises(services.RSVPError, match="have closed"):
        services.rsvp_create(meet=meet, member=member, car=member_car)

    assert not RSVP.objects.exists()


# An RSVP is a member's right (membership.rights), for an open meet as for a members-only
# one: a lapsed member keeps their car but renews before they RSVP again.
@pytest.mark.parametrize("members_only", [True, False], ids=["members only", "open meet"])
@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("pending_member", "still waiting for approval"),
        ("lapsed_member", "has lapsed: renew it to RSVP"),
    ],
)
def test_any_meet_refuses_anyone_not_an_active_member(request, who, reason, members_only):
    person = request.getfixturevalue(who)
    car = CarFactory(owner=person)
    meet = MeetFactory(members_only=members_only)

    with pytest.raises(services.RSVPError, match=reason):
        services.rsvp_create(meet=meet, member=person, car=car)

    assert not RSVP.objects.exists()


def test_staff_without_a_membership_may_rsvp_to_an_open_meet_but_not_a_members_only_one(db):
    officer = PendingMemberFactory(display_name="Otto Officer", is_staff=True)
    car = CarFactory(owner=officer)

    going = services.rsvp_create(meet=MeetFactory(), member=officer, car=car)
    with pytest.raises(services.RSVPError, match="active club members only"):
        services.rsvp_create(meet=MeetFactory(members_only=True), member=officer, car=car)

    assert list(RSVP.objects.all()) == [going]


def test_a_members_only_meet_welcomes_an_active_member(member, member_car):
    meet = MeetFactory(members_only=True)

    rsvp = services.rsvp_create(meet=meet, member=member, car=member_car)

    assert rsvp.status == RSVP.Status.GOING


def test_a_member_cannot_rsvp_with_another_members_car(member, other_car):
    meet = MeetFactory()

    with pytest.raises(services.RSVPError, match="with a car you own"):
        services.rsvp_create(meet=meet, member=member, car=other_car)

    assert not RSVP.objects.exists()


def test_a_member_cannot_rsvp_with_a_car_they_sold(member, other_member):
    car = CarFactory()
    OwnershipFactory(car=car, member=member, started_on="2015-01-01", ended_on="2023-04-30")
    OwnershipFactory(car=car, member=other_member, started_on="2023-05-01")
    meet = MeetFactory()

    with pytest.raises(services.RSVPError, match="with a car you own"):
        services.rsvp_create(meet=meet, member=member, car=car)

    assert not RSVP.objects.exists()


# --- One live RSVP per member and per car ------------------------------------------------


def test_a_member_has_one_live_rsvp_per_meet_even_with_a_second_car(member, member_car):
    meet = MeetFactory()
    second_car = CarFactory(owner=member)
    services.rsvp_create(meet=meet, member=member, car=member_car)

    with pytest.raises(services.RSVPError, match="You already have an RSVP"):
        services.rsvp_create(meet=meet, member=member, car=second_car)

    assert RSVP.objects.filter(meet=meet).count() == 1


def test_a_car_has_one_live_rsvp_per_meet_even_after_it_is_sold(member, other_member, member_car):
    """The seller RSVPd with the car; the buyer cannot bring the same car again."""
    meet = MeetFactory()
    services.rsvp_create(meet=meet, member=member, car=member_car)
    Ownership.objects.filter(car=member_car, member=member).update(ended_on=timezone.localdate())
    OwnershipFactory(car=member_car, member=other_member, started_on=timezone.localdate())

    with pytest.raises(services.RSVPError, match="This car already has an RSVP"):
        services.rsvp_create(meet=meet, member=other_member, car=member_car)

    assert list(RSVP.objects.filter(meet=meet).values_list("member", flat=True)) == [member.pk]


def test_the_database_refuses_a_second_live_rsvp_by_the_same_member(member, member_car):
    meet = MeetFactory()
    RSVPFactory(meet=meet, member=member, car=member_car)

    with pytest.raises(IntegrityError, match=ONE_PER_MEMBER), transaction.atomic():
        RSVP.objects.create(
            meet=meet, member=member, car=CarFactory(owner=member), status=RSVP.Status.WAITLISTED
        )

    assert RSVP.objects.filter(meet=meet).count() == 1


def test_the_database_refuses_a_second_live_rsvp_for_the_same_car(member, other_member, member_car):
    meet = MeetFactory()
    RSVPFactory(meet=meet, member=member, car=member_car)

    with pytest.raises(IntegrityError, match=ONE_PER_CAR), transaction.atomic():
        RSVP.objects.create(meet=meet, member=other_member, car=member_car)

    assert RSVP.objects.filter(meet=meet).count() == 1


def test_the_database_refuses_more_than_six_guests(member, member_car):
    meet = MeetFactory()

    with pytest.raises(IntegrityError, match="meets_rsvp_guest_limit"), transaction.atomic():
        RSVP.objects.create(meet=meet, member=member, car=member_car, guests=7)

    assert not RSVP.objects.exists()


def test_after_cancelling_a_member_may_rsvp_again(member, member_car):
    meet = MeetFactory()
    first = services.rsvp_create(meet=meet, member=member, car=member_car)
    services.rsvp_cancel(rsvp=first, member=member)

    again = services.rsvp_create(meet=meet, member=member, car=member_car)

    assert again.pk != first.pk
    assert dict(RSVP.objects.filter(meet=meet).values_list("pk", "status")) == {
        first.pk: "cancelled",
        again.pk: "going",
    }


# --- Cancelling and the waiting list -----------------------------------------------------


def test_a_cancellation_promotes_the_first_on_the_waiting_list_and_emails_them(
    django_capture_on_commit_callbacks,
):
    meet = MeetFactory(capacity=1)
    going = RSVPFactory(meet=meet)
    # Saved first, but asked later: the waiting list goes by when people asked.
    second = WaitlistedRSVPFactory(meet=meet, created_at=NOW() - datetime.timedelta(minutes=1))
    first = WaitlistedRSVPFactory(meet=meet, created_at=NOW() - datetime.timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_cancel(rsvp=going, member=going.member)

    going.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert going.status == RSVP.Status.CANCELLED and going.cancelled_at is not None
    assert first.status == RSVP.Status.GOING and first.promoted_at is not None
    assert second.status == RSVP.Status.WAITLISTED
    (message,) = mail.outbox
    assert message.to == [first.member.email]
    assert message.subject == f"A place opened up: you're going to {meet.title}"
    assert attachment(message, ".ics")[2] == "text/calendar"
    assert attachment(message, ".png")[1].startswith(b"\x89PNG")


def test_a_member_can_leave_the_waiting_list_and_nobody_is_promoted(
    django_capture_on_commit_callbacks,
):
    meet = MeetFactory(capacity=1)
    going = RSVPFactory(meet=meet)
    leaving = WaitlistedRSVPFactory(meet=meet)
    staying = WaitlistedRSVPFactory(meet=meet)

    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_cancel(rsvp=leaving, member=leaving.member)

    assert dict(RSVP.objects.values_list("pk", "status")) == {
        going.pk: "going",
        leaving.pk: "cancelled",
        staying.pk: "waitlisted",
    }
    assert mail.outbox == []


def test_an_rsvp_cannot_be_cancelled_once_the_meet_has_started():
    meet = MeetFactory(starts_at=NOW() - datetime.timedelta(hours=1))
    rsvp = RSVPFactory(meet=meet)

    with pytest.raises(services.RSVPError, match="has started"):
        services.rsvp_cancel(rsvp=rsvp, member=rsvp.member)

    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING


def test_a_car_checked_in_before_the_start_cannot_cancel_and_give_its_place_away(
    django_capture_on_commit_callbacks,
):
    """The gates open before the meet starts: a car inside keeps its place."""
    meet = MeetFactory(capacity=1, starts_at=NOW() + datetime.timedelta(minutes=30))
    rsvp = RSVPFactory(meet=meet, checked_in_at=NOW())
    waiting = WaitlistedRSVPFactory(meet=meet)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.RSVPError, match="checked in"),
    ):
        services.rsvp_cancel(rsvp=rsvp, member=rsvp.member)

    assert RSVP.objects.get(pk=rsvp.pk).status == RSVP.Status.GOING
    assert RSVP.objects.get(pk=waiting.pk).status == RSVP.Status.WAITLISTED
    assert mail.outbox == []


def test_deleting_an_account_cancels_upcoming_rsvps_but_keeps_a_check_in(
    member, django_capture_on_commit_callbacks
):
    soon = MeetFactory(starts_at=NOW() + datetime.timedelta(minutes=30))
    checked_in = RSVPFactory(meet=soon, member=member, checked_in_at=NOW())
    later = RSVPFactory(meet=MeetFactory(), member=member)

    with django_capture_on_commit_callbacks(execute=True):
        services.member_meets_anonymise(member=member)

    assert RSVP.objects.get(pk=checked_in.pk).status == RSVP.Status.GOING
    assert RSVP.objects.get(pk=later.pk).status == RSVP.Status.CANCELLED


def test_a_member_cannot_cancel_someone_elses_rsvp(member):
    rsvp = RSVPFactory()

    with pytest.raises(services.RSVPError, match="not yours"):
        services.rsvp_cancel(rsvp=rsvp, member=member)

    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING


def test_raising_the_capacity_promotes_from_the_waiting_list_in_order(
    organiser, django_capture_on_commit_callbacks
):
    meet = MeetFactory(capacity=1, organisers=[organiser])
    RSVPFactory(meet=meet)
    waiting = [WaitlistedRSVPFactory(meet=meet) for _ in range(3)]

    meet.capacity = 3
    with django_capture_on_commit_callbacks(execute=True):
        services.meet_save(meet=meet, organiser=organiser, old_capacity=1)

    statuses = [RSVP.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["going", "going", "waitlisted"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.member.email for r in waiting[:2])


def test_saving_a_meet_without_raising_its_capacity_promotes_nobody(
    organiser, django_capture_on_commit_callbacks
):
    meet = MeetFactory(capacity=1, organisers=[organiser])
    RSVPFactory(meet=meet)
    waiting = WaitlistedRSVPFactory(meet=meet)

    meet.title = "Nürburgring Treffen, new title"
    with django_capture_on_commit_callbacks(execute=True):
        services.meet_save(meet=meet, organiser=organiser, old_capacity=1)

    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.WAITLISTED
    assert mail.outbox == []


def test_cancelling_a_meet_emails_everyone_going_or_waiting_with_a_calendar_file(
    django_capture_on_commit_callbacks,
):
    meet = MeetFactory(capacity=2)
    going = [RSVPFactory(meet=meet) for _ in range(2)]
    waiting = WaitlistedRSVPFactory(meet=meet)
    gone = RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)

    with django_capture_on_commit_callbacks(execute=True):
        services.meet_cancel(meet=meet, reason="The track is closed for repairs.")

    meet.refresh_from_db()
    assert meet.status == Meet.Status.CANCELLED
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == sorted(r.member.email for r in [*going, waiting])
    assert gone.member.email not in told
    for message in mail.outbox:
        assert message.subject == f"Cancelled: {meet.title}"
        assert "The track is closed for repairs." in message.body
        event = the_event(attachment(message, ".ics")[1])
        assert event["STATUS"] == "CANCELLED"


# --- The confirmation e-mail -------------------------------------------------------------


def test_the_confirmation_carries_a_calendar_file_and_the_check_in_code(
    member, member_car, django_capture_on_commit_callbacks
):
    meet = MeetFactory(
        title="Nürburgring Treffen",
        starts_at=datetime.datetime(2031, 7, 12, 7, 0, tzinfo=datetime.UTC),
    )

    with django_capture_on_commit_callbacks(execute=True):
        rsvp = services.rsvp_create(meet=meet, member=member, car=member_car)

    (message,) = mail.outbox
    assert message.to == [member.email]
    assert message.subject == "You're going: Nürburgring Treffen"
    assert "Saturday 12 July 2031, 09:00" in message.body  # the venue's local time
    name, ics, mimetype = attachment(message, ".ics")
    assert (name, mimetype) == (f"{meet.slug}.ics", "text/calendar")
    event = the_event(ics)
    assert str(event["SUMMARY"]) == "Nürburgring Treffen"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt.replace(tzinfo=None) == datetime.datetime(2031, 7, 12, 9, 0)
    name, png, mimetype = attachment(message, ".png")
    assert (name, mimetype) == ("check-in-code.png", "image/png")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == image.height >= 100
    assert rsvp.status == RSVP.Status.GOING


def test_the_confirmation_gives_the_time_at_the_venue_not_the_clubs(
    member, member_car, django_capture_on_commit_callbacks
):
    starts = datetime.datetime(2031, 7, 12, 14, 0, tzinfo=datetime.UTC)
    meet = MeetFactory(
        time_zone="America/New_York",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=6),
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_create(meet=meet, member=member, car=member_car)

    assert "When: Saturday 12 July 2031, 10:00 – 16:00 (America/New_York)" in mail.outbox[0].body
    event = the_event(attachment(mail.outbox[0], ".ics")[1])
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt.replace(tzinfo=None) == datetime.datetime(2031, 7, 12, 10, 0)


def test_the_waiting_list_confirmation_has_a_calendar_file_but_no_check_in_code(
    member, member_car, django_capture_on_commit_callbacks
):
    meet = MeetFactory(capacity=1)
    RSVPFactory(meet=meet)

    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_create(meet=meet, member=member, car=member_car)

    (message,) = mail.outbox
    assert message.subject == f"You're on the waiting list: {meet.title}"
    assert [a[0] for a in message.attachments] == [f"{meet.slug}.ics"]
    assert "waiting list" in message.body


def test_a_refused_rsvp_sends_no_email(member, other_car, django_capture_on_commit_callbacks):
    meet = MeetFactory()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.RSVPError):
        services.rsvp_create(meet=meet, member=member, car=other_car)

    assert mail.outbox == []


# --- The form ----------------------------------------------------------------------------


def test_the_form_refuses_more_than_six_guests(member, member_car):
    form = RSVPForm(data={"car": member_car.pk, "guests": 7}, meet=MeetFactory(), member=member)

    assert not form.is_valid()
    assert form.errors["guests"] == ["Ensure this value is less than or equal to 6."]


def test_the_form_offers_only_the_members_own_cars_and_asks_the_meets_questions(
    member, member_car, other_car
):
    meet = MeetFactory()
    dinner = QuestionFactory(meet=meet, label="Dietary needs for the dinner", position=0)
    size = QuestionFactory(meet=meet, label="T-shirt size", position=1)
    QuestionFactory(meet=meet, label="Wristband", asked_at="checkin")  # asked at the gate

    form = RSVPForm(meet=meet, member=member)

    assert list(form.fields["car"].queryset) == [member_car]
    assert form.fields["car"].initial == member_car  # the only car is chosen already
    assert [name for name in form.fields if name.startswith("question_")] == [
        f"question_{dinner.pk}",
        f"question_{size.pk}",
    ]
    assert [form.fields[f"question_{q.pk}"].label for q in (dinner, size)] == [
        "Dietary needs for the dinner",
        "T-shirt size",
    ]


# --- The RSVP page -----------------------------------------------------------------------


def rsvp_url(meet) -> str:
    return reverse("meets:rsvp", args=[meet.slug])


def test_rsvping_on_the_page_says_youre_going_and_saves_the_answers(
    client_for, member, member_car, page_text
):
    meet = MeetFactory()
    question = QuestionFactory(meet=meet, label="Dietary needs for the dinner")

    response = client_for(member).post(
        rsvp_url(meet),
        {"car": member_car.pk, "guests": 1, f"question_{question.pk}": "Vegetarian"},
        follow=True,
    )

    assert response.redirect_chain == [(meet.get_absolute_url(), 302)]
    text = page_text(response)
    assert "You're going! Your check-in code is below." in text
    assert "You're going with your Alpine White BMW 1 Series M Coupé (E82) and 1 guest." in text
    rsvp = RSVP.objects.get(meet=meet)
    assert (rsvp.member, rsvp.car, rsvp.guests, rsvp.status) == (member, member_car, 1, "going")
    assert rsvp.answers == {str(question.pk): "Vegetarian"}


def test_rsvping_to_a_full_meet_says_youre_on_the_waiting_list(
    client_for, member, member_car, page_text
):
    meet = MeetFactory(capacity=1)
    RSVPFactory(meet=meet)

    response = client_for(member).post(
        rsvp_url(meet), {"car": member_car.pk, "guests": 0}, follow=True
    )

    text = page_text(response)
    assert "The meet is full: you're on the waiting list." in text
    assert "You're on the waiting list. We'll e-mail you if a place opens up." in text
    assert RSVP.objects.get(meet=meet, member=member).status == RSVP.Status.WAITLISTED


def test_rsvping_after_the_deadline_says_so_and_saves_nothing(
    client_for, member, member_car, page_text
):
    meet = MeetFactory(
        rsvp_opens_at=NOW() - datetime.timedelta(days=5),
        rsvp_closes_at=NOW() - datetime.timedelta(minutes=1),
    )

    response = client_for(member).post(rsvp_url(meet), {"car": member_car.pk, "guests": 0})

    assert response.status_code == 200
    assert page_text(response).count("RSVPs for this meet have closed.") == 1
    assert "Send my RSVP" not in page_text(response)
    assert not RSVP.objects.exists()


def test_posting_the_rsvp_twice_makes_one_rsvp(client_for, member, member_car, page_text):
    meet = MeetFactory()
    client = client_for(member)
    data = {"car": member_car.pk, "guests": 0}

    client.post(rsvp_url(meet), data)
    response = client.post(rsvp_url(meet), data, follow=True)

    assert "You already have an RSVP for this meet." in page_text(response)
    assert RSVP.objects.filter(meet=meet).count() == 1


def test_a_tampered_car_id_is_a_form_error_and_saves_nothing(
    client_for, member, member_car, other_car, page_text
):
    meet = MeetFactory()

    response = client_for(member).post(rsvp_url(meet), {"car": other_car.pk, "guests": 0})

    assert response.status_code == 200
    assert "Select a valid choice." in page_text(response)
    assert not RSVP.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"guests": "0"},
        {"car": "", "guests": "0"},
        {"car": "not-a-number", "guests": "0"},
        {"car": "99999999", "guests": "0"},
        {"car": "-1", "guests": "0"},
        {"car": ["1", "2"], "guests": "0"},
        {"car": "{car}", "guests": "-1"},
        {"car": "{car}", "guests": "7"},
        {"car": "{car}", "guests": "lots"},
        {"car": "{car}", "guests": "99999999999999999999"},
        {"car": "{car}", "guests": "0", "question_{question}": "x" * 5000},
    ],
    ids=[
        "no car field",
        "empty car",
        "car not a number",
        "unknown car",
        "negative car",
        "two cars",
        "negative guests",
        "seven guests",
        "guests not a number",
        "huge guests",
        "answer too long",
    ],
)
def test_a_bad_rsvp_post_is_a_form_error_never_a_500(
    client_for, member, member_car, data, page_text
):
    meet = MeetFactory()
    question = QuestionFactory(meet=meet, label="Dietary needs for the dinner")
    data = {
        key.replace("{question}", str(question.pk)): value.replace("{car}", str(member_car.pk))
        if isinstance(value, str)
        else value
        for key, value in data.items()
    }

    response = client_for(member).post(rsvp_url(meet), data)

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()  # a field shows its error
    assert "Send my RSVP" in page_text(response)  # and the form is there to try again
    assert not RSVP.objects.exists()
