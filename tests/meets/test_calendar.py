"""Calendar files: one meet's .ics and the club's feed, read back with icalendar."""

import datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from meets import services
from meets.models import Meet
from tests.meets.factories import MeetFactory, PastMeetFactory
from tests.meets.test_organiser import meet_form_data

pytestmark = pytest.mark.django_db

FEED = reverse("meets:calendar")
JULY_MORNING = datetime.datetime(2031, 7, 12, 7, 0, tzinfo=datetime.UTC)  # 09:00 in Berlin


def events_in(response) -> dict[str, dict]:
    """The feed's events by their SUMMARY."""
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def ics_url(meet) -> str:
    return reverse("meets:ics", args=[meet.slug])


def test_a_meets_ics_is_a_calendar_in_the_venues_time_zone(client):
    meet = MeetFactory(
        title="Nürburgring Treffen",
        venue_name="Nürburgring",
        venue_address="Otto-Flimm-Straße, 53520 Nürburg",
        latitude="50.335600",
        longitude="6.947500",
        starts_at=JULY_MORNING,
        ends_at=JULY_MORNING + datetime.timedelta(hours=9),
    )

    response = client.get(ics_url(meet))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"  # not Latin-1
    assert response["Content-Disposition"] == f'attachment; filename="{meet.slug}.ics"'
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Nürburgring Treffen"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt.replace(tzinfo=None) == datetime.datetime(2031, 7, 12, 9, 0)
    assert event["DTEND"].dt.replace(tzinfo=None) == datetime.datetime(2031, 7, 12, 18, 0)
    assert event["DTSTART"].dt == JULY_MORNING  # the same moment
    assert str(event["LOCATION"]) == "Nürburgring, Otto-Flimm-Straße, 53520 Nürburg"
    assert str(event["URL"]).endswith(meet.get_absolute_url())
    assert (event["GEO"].latitude, event["GEO"].longitude) == (50.3356, 6.9475)
    assert event["STATUS"] == "CONFIRMED"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_the_wall_clock_time_is_the_venues_for_a_meet_abroad(client):
    starts = datetime.datetime(2031, 7, 12, 14, 0, tzinfo=datetime.UTC)
    meet = MeetFactory(time_zone="America/New_York", starts_at=starts)

    (event,) = Calendar.from_ical(client.get(ics_url(meet)).content).walk("VEVENT")

    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt.replace(tzinfo=None) == datetime.datetime(2031, 7, 12, 10, 0)


def test_the_feed_lists_published_and_cancelled_meets_but_not_drafts(client, organiser):
    MeetFactory(title="Eifel drive", starts_at=JULY_MORNING)
    PastMeetFactory(title="Nürburgring Treffen 2023")
    MeetFactory(title="Ring day", status=Meet.Status.CANCELLED)
    MeetFactory(title="Secret track day", status=Meet.Status.DRAFT, organisers=[organiser])

    response = client.get(FEED)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_in(response)
    assert set(events) == {"Eifel drive", "Nürburgring Treffen 2023", "Ring day"}
    assert events["Ring day"]["STATUS"] == "CANCELLED"
    assert events["Eifel drive"]["STATUS"] == "CONFIRMED"
    assert events["Eifel drive"]["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert events["Eifel drive"]["DTSTART"].dt.hour == 9
    assert len({str(event["UID"]) for event in events.values()}) == 3  # one UID per meet


def test_the_feed_hides_drafts_even_from_their_organiser(client_for, organiser):
    MeetFactory(title="Secret track day", status=Meet.Status.DRAFT, organisers=[organiser])

    response = client_for(organiser).get(FEED)

    assert events_in(response) == {}


def test_a_meets_uid_stays_the_same_between_downloads(client):
    meet = MeetFactory()

    first, second = (events_in(client.get(ics_url(meet))) for _ in range(2))

    assert first[meet.title]["UID"] == second[meet.title]["UID"]


@pytest.mark.parametrize(
    ("who", "status_code"),
    [(None, 404), ("member", 404), ("other_organiser", 404), ("organiser", 200), ("staff", 200)],
)
def test_a_drafts_ics_is_404_for_all_but_its_organisers(
    request, client_for, organiser, who, status_code
):
    meet = MeetFactory(title="Secret track day", status=Meet.Status.DRAFT, organisers=[organiser])
    user = None if who is None else request.getfixturevalue(who)

    response = client_for(user).get(ics_url(meet))

    assert response.status_code == status_code
    assert (b"Secret track day" in response.content) is (status_code == 200)


def test_an_unknown_meets_ics_is_404(client):
    assert client.get(reverse("meets:ics", args=["no-such-meet"])).status_code == 404


# --- DTSTAMP follows the meet's last change (issue 18) -------------------------------

LONG_AGO = datetime.datetime(2024, 1, 5, 8, 30, tzinfo=datetime.UTC)


def stamps(response, title: str) -> tuple:
    event = events_in(response)[title]
    return event["DTSTAMP"].dt, event["LAST-MODIFIED"].dt


def test_an_edit_moves_the_dtstamp_of_the_meets_ics_and_of_the_feed(client, client_for, organiser):
    meet = MeetFactory(title="Eifel drive", starts_at=JULY_MORNING, organisers=[organiser])
    Meet.objects.filter(pk=meet.pk).update(updated_at=LONG_AGO)  # last edited long ago
    assert stamps(client.get(ics_url(meet)), "Eifel drive") == (LONG_AGO, LONG_AGO)
    assert stamps(client.get(FEED), "Eifel drive") == (LONG_AGO, LONG_AGO)

    data = meet_form_data(meet, title="Eifel drive", venue_name="Brünnchen")
    edited = client_for(organiser).post(reverse("meets:edit", args=[meet.slug]), data)

    assert edited.status_code == 302
    meet.refresh_from_db()
    assert meet.updated_at > LONG_AGO
    for response in (client.get(ics_url(meet)), client.get(FEED)):
        event = events_in(response)["Eifel drive"]
        assert event["DTSTAMP"].dt == meet.updated_at.replace(microsecond=0)
        assert event["DTSTAMP"].to_ical().endswith(b"Z")  # in UTC
        assert event["LAST-MODIFIED"].dt == event["DTSTAMP"].dt
        assert event["CREATED"].dt == meet.created_at.replace(microsecond=0)
        assert str(event["LOCATION"]).startswith("Brünnchen")


def test_cancelling_a_meet_moves_its_dtstamp(client):
    meet = MeetFactory(title="Ring day", starts_at=JULY_MORNING)
    Meet.objects.filter(pk=meet.pk).update(updated_at=LONG_AGO)

    services.meet_cancel(meet=meet)

    event = events_in(client.get(FEED))["Ring day"]
    assert event["STATUS"] == "CANCELLED"
    assert event["DTSTAMP"].dt > LONG_AGO
