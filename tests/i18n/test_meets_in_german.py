"""Meets in German: pages, form errors, dates and numbers, and the e-mails members get.

A member whose `language` is "de" sees the meets pages in German, and every e-mail to
them is German (subject and body) whoever's action sends it: their own RSVP, or an
English-speaking organiser who promotes, cancels or writes. A member who chose English
keeps English e-mails, also when a German-speaking organiser's request sends them.
"""

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from meets import services
from meets.models import RSVP, Meet, Message
from tests.factories import MemberFactory
from tests.i18n.support import logged_in, speaks
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# A Saturday, far enough ahead that RSVPs are open and the meet has not started.
STARTS = datetime.datetime(2036, 6, 14, 10, 0, tzinfo=BERLIN)
GERMAN_START = "Samstag, 14. Juni 2036, 10:00"
ENGLISH_START = "Saturday 14 June 2036, 10:00"


@pytest.fixture
def meet(organiser):
    return MeetFactory(
        title="Eifel Summer Run",
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=6),
        organisers=[organiser],
        capacity=1,
    )


@pytest.fixture
def german(db):
    return MemberFactory(display_name="Gerda Deutsch", language="de")


@pytest.fixture
def english(db):
    return MemberFactory(display_name="Emma English", language="en-gb")


def only_mail_to(member):
    (message,) = [m for m in mail.outbox if m.to == [member.email]]
    return message


# --- Pages -------------------------------------------------------------------------------


def test_a_german_member_sees_the_list_of_meets_in_german_with_german_dates(german, meet):
    page = logged_in(german).get(reverse("meets:list")).content.decode()

    assert '<h1 class="h2 mb-1">Treffen</h1>' in page
    assert "Demnächst" in page
    assert "Kalender abonnieren" in page
    assert "Meine Treffen" in page
    assert "Sa, 14. Juni 2036, 10:00" in page
    assert "Upcoming" not in page and "My meets" not in page


def test_the_meet_page_in_german_shows_the_date_the_german_way_and_german_buttons(german, meet):
    page = logged_in(german).get(meet.get_absolute_url()).content.decode()

    assert GERMAN_START in page
    assert "(Zeitzone Europe/Berlin)" in page
    assert "Ihre Anmeldung" in page
    assert "Mit Ihrem Fahrzeug anmelden" in page
    assert "Zum Kalender hinzufügen (.ics)" in page
    assert "Your RSVP" not in page and "Saturday" not in page


def test_a_visitor_with_the_german_cookie_sees_german_and_one_without_sees_english(meet):
    visitor = Client()
    visitor.cookies["django_language"] = "de"
    german_page = visitor.get(meet.get_absolute_url()).content.decode()
    english_page = Client().get(meet.get_absolute_url()).content.decode()

    assert "Einloggen, um sich anzumelden" in german_page
    assert "<strong>1</strong> von 1 Platz frei" in german_page
    assert "Log in to RSVP" in english_page
    assert ENGLISH_START in english_page


def test_my_meets_and_the_rsvp_form_are_german(german, meet):
    CarFactory(owner=german)
    client = logged_in(german)

    form = client.get(reverse("meets:rsvp", args=[meet.slug])).content.decode()
    assert "Ihr Fahrzeug für das Treffen" in form
    assert "Gäste (Beifahrer und Freunde)" in form
    assert "Anmeldung absenden" in form

    mine = client.get(reverse("meets:mine")).content.decode()
    assert '<h1 class="h2 mb-3">Meine Treffen</h1>' in mine
    assert "Noch keine Anmeldungen." in mine


def test_an_rsvp_from_a_german_member_is_confirmed_in_german_on_the_page(
    german, meet, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=german)
    client = logged_in(german)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meets:rsvp", args=[meet.slug]), {"car": car.pk, "guests": 2}, follow=True
        )

    page = response.content.decode()
    assert "Sie sind dabei! Ihr Check-in-Code steht unten." in page
    assert "und 2 Gästen dabei." in page
    assert "Meine Anmeldung absagen" in page


def test_the_organiser_pages_are_german(organiser, meet):
    speaks(organiser, "de")
    WaitlistedRSVPFactory(meet=meet, guests=1)
    RSVPFactory(meet=meet)
    client = logged_in(organiser)

    attendees = client.get(reverse("meets:attendees", args=[meet.slug])).content.decode()
    assert ">Teilnehmer</a>" in attendees
    assert "Freie Plätze" in attendees
    assert "Von der Warteliste nachrücken lassen" in attendees
    assert "CSV herunterladen" in attendees
    assert "Sa, 14. Jun 2036, 10:00" in attendees

    checkin = client.get(reverse("meets:checkin", args=[meet.slug])).content.decode()
    assert "0 von 1 eingecheckt" in checkin.replace("<strong>", "").replace("</strong>", "")
    assert "Einchecken" in checkin

    cancel = client.get(reverse("meets:cancel", args=[meet.slug])).content.decode()
    assert "Dieses Treffen absagen?" in cancel
    assert "1 angemeldetes Mitglied" in cancel

    message = client.get(reverse("meets:message", args=[meet.slug])).content.decode()
    assert "Alle auf der Warteliste" in message
    assert "Nachricht senden" in message


def test_a_form_error_is_german_with_a_german_number(organiser, meet):
    speaks(organiser, "de")
    response = logged_in(organiser).post(
        reverse("meets:edit", args=[meet.slug]),
        {
            "title": meet.title,
            "venue_name": meet.venue_name,
            "time_zone": "Europe/Berlin",
            "starts_at": "2036-06-14T10:00",
            "ends_at": "2036-06-14T09:00",
            "capacity": "20000",
            "attendee_visibility": "members",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Die Kapazität liegt zwischen 1 und 10.000 Fahrzeugen." in page
    assert "Das Treffen muss nach seinem Beginn enden." in page


def test_the_same_form_error_stays_english_for_an_english_organiser(organiser, meet):
    speaks(organiser, "en-gb")
    response = logged_in(organiser).post(
        reverse("meets:edit", args=[meet.slug]), {"title": meet.title, "capacity": "20000"}
    )

    assert "Capacity is between 1 and 10,000 cars." in response.content.decode()


def test_a_rule_broken_at_rsvp_time_is_explained_in_german(german, meet):
    meet.members_only = True
    meet.save()
    german.membership_status = german.Status.LAPSED
    german.save()

    page = logged_in(german).get(meet.get_absolute_url()).content.decode()

    # The meet page says why there is no RSVP button, and what to do (membership.rights).
    assert (
        "Ihre Mitgliedschaft ist abgelaufen: Verlängern Sie sie, um sich wieder zu Treffen "
        "anmelden zu können." in page
    )


def test_choices_and_names_of_the_models_are_translated():
    with translation.override("de"):
        assert str(Meet._meta.verbose_name) == "Treffen"
        assert str(RSVP._meta.verbose_name_plural) == "Anmeldungen"
        assert str(RSVP.Status.WAITLISTED.label) == "Auf der Warteliste"
        assert str(Message.Audience.CHECKED_IN.label) == "Alle Eingecheckten"
        assert str(Meet._meta.get_field("capacity").verbose_name) == "Kapazität in Fahrzeugen"
    with translation.override("en-gb"):
        assert str(RSVP.Status.WAITLISTED.label) == "On the waiting list"


# --- E-mails -----------------------------------------------------------------------------


def test_a_german_member_gets_their_rsvp_confirmation_in_german(
    german, meet, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=german)
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        services.rsvp_create(meet=meet, member=german, car=car)

    message = only_mail_to(german)
    assert message.subject == "Sie sind dabei: Eifel Summer Run"
    assert message.body.startswith("Hallo Gerda Deutsch,")
    assert "Sie sind bei Eifel Summer Run dabei" in message.body
    assert f"Wann: {GERMAN_START} – 16:00 (Europe/Berlin)" in message.body
    assert "Wo: Nürburgring" in message.body
    assert "Ihre Treffen: " in message.body
    assert "You're going" not in message.body


def test_a_german_member_on_the_waiting_list_is_told_so_in_german(
    german, meet, django_capture_on_commit_callbacks
):
    RSVPFactory(meet=meet)  # the one place is taken
    car = CarFactory(owner=german)
    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_create(meet=meet, member=german, car=car)

    message = only_mail_to(german)
    assert message.subject == "Sie stehen auf der Warteliste: Eifel Summer Run"
    assert "auf der Warteliste" in message.body


def test_an_english_organisers_promotion_reaches_a_german_member_in_german(
    organiser, german, meet, django_capture_on_commit_callbacks
):
    speaks(organiser, "en-gb")
    RSVPFactory(meet=meet)
    WaitlistedRSVPFactory(meet=meet, member=german, car=CarFactory(owner=german))
    client = logged_in(organiser)
    edit = reverse("meets:edit", args=[meet.slug])
    data = {
        "title": meet.title,
        "venue_name": meet.venue_name,
        "venue_country": "DE",
        "time_zone": "Europe/Berlin",
        "starts_at": "2036-06-14T10:00",
        "ends_at": "2036-06-14T16:00",
        "capacity": "2",
        "attendee_visibility": "members",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit, data, follow=True)

    page = response.content.decode()
    assert "1 car moved up from the waiting list; we e-mailed their owners." in page
    message = only_mail_to(german)
    assert message.subject == "Ein Platz ist frei geworden: Sie sind bei Eifel Summer Run dabei"
    assert "Gute Nachricht" in message.body
    assert f"Wann: {GERMAN_START} (Europe/Berlin)" in message.body


def test_a_german_organisers_promotion_reaches_an_english_member_in_english(
    organiser, english, meet, django_capture_on_commit_callbacks
):
    speaks(organiser, "de")
    meet.capacity = 2
    meet.save()
    RSVPFactory(meet=meet)
    RSVPFactory(meet=meet)
    waiting = WaitlistedRSVPFactory(meet=meet, member=english, car=CarFactory(owner=english))
    RSVP.objects.filter(status=RSVP.Status.GOING).first().delete()  # a place opens up

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(organiser).post(
            reverse("meets:promote", args=[meet.slug]), follow=True
        )

    assert "1 Fahrzeug ist von der Warteliste nachgerückt" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.GOING
    message = only_mail_to(english)
    assert message.subject == "A place opened up: you're going to Eifel Summer Run"
    assert f"When: {ENGLISH_START} (Europe/Berlin)" in message.body


def test_a_cancellation_by_an_english_organiser_is_german_for_german_members_only(
    organiser, german, english, meet, django_capture_on_commit_callbacks
):
    speaks(organiser, "en-gb")
    meet.capacity = 2
    meet.save()
    RSVPFactory(meet=meet, member=german, car=CarFactory(owner=german))
    RSVPFactory(meet=meet, member=english, car=CarFactory(owner=english))

    with django_capture_on_commit_callbacks(execute=True):
        logged_in(organiser).post(
            reverse("meets:cancel", args=[meet.slug]), {"reason": "Storm warning."}
        )

    to_german, to_english = only_mail_to(german), only_mail_to(english)
    assert to_german.subject == "Abgesagt: Eifel Summer Run"
    assert to_german.body.startswith("Hallo,")
    assert "Es tut uns leid: Eifel Summer Run (Samstag, 14. Juni 2036, Nürburgring)" in (
        to_german.body
    )
    assert "Von den Organisatoren:\nStorm warning." in to_german.body
    assert to_english.subject == "Cancelled: Eifel Summer Run"
    assert "We're sorry: Eifel Summer Run (Saturday 14 June 2036, Nürburgring)" in (to_english.body)


def test_an_organisers_message_is_signed_in_each_recipients_language(
    organiser, german, english, meet, django_capture_on_commit_callbacks
):
    speaks(organiser, "de")
    meet.capacity = 2
    meet.save()
    RSVPFactory(meet=meet, member=german, car=CarFactory(owner=german))
    RSVPFactory(meet=meet, member=english, car=CarFactory(owner=english))

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(organiser).post(
            reverse("meets:message", args=[meet.slug]),
            {"audience": "going", "subject": "Parking", "body": "Use gate 3."},
            follow=True,
        )

    assert "Ihre Nachricht ist unterwegs an 2 Mitglieder." in response.content.decode()
    assert only_mail_to(german).subject == "[Eifel Summer Run] Parking"
    assert "—\nDie Organisatoren von Eifel Summer Run (14. Juni 2036, Nürburgring)" in (
        only_mail_to(german).body
    )
    assert "—\nThe organisers of Eifel Summer Run (14 June 2036, Nürburgring)" in (
        only_mail_to(english).body
    )


def test_the_reminder_is_german_for_a_german_member(
    german, english, meet, django_capture_on_commit_callbacks
):
    tomorrow = datetime.datetime.now(BERLIN).replace(microsecond=0) + datetime.timedelta(hours=20)
    meet.starts_at, meet.ends_at = tomorrow, tomorrow + datetime.timedelta(hours=4)
    meet.rsvp_opens_at = tomorrow - datetime.timedelta(days=10)
    meet.capacity = 2
    meet.save()
    RSVPFactory(meet=meet, member=german, car=CarFactory(owner=german))
    RSVPFactory(meet=meet, member=english, car=CarFactory(owner=english))

    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 2

    assert only_mail_to(german).subject == "Morgen: Eifel Summer Run"
    assert "Bis morgen bei Eifel Summer Run!" in only_mail_to(german).body
    assert only_mail_to(english).subject == "Tomorrow: Eifel Summer Run"
