"""Check-in at the gate: the list, the QR code's page, and what a second scan does."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ORGANISERS_GROUP
from meets.models import RSVP
from tests.factories import MemberFactory
from tests.meets.factories import (
    GateDayMeetFactory,
    MeetFactory,
    QuestionFactory,
    RSVPFactory,
)
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_organiser(db):
    user = MemberFactory(display_name="Ivo Elsewhere")
    user.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
    MeetFactory(organisers=[user])
    return user


@pytest.fixture
def meet(organiser, helper):
    meet = GateDayMeetFactory(
        title="Nordschleife Summer Meet",
        organisers=[organiser],
        checkin_helpers=[helper],
    )
    QuestionFactory(meet=meet, label="Dietary needs?")
    return meet


@pytest.fixture
def rsvp(meet):
    member = MemberFactory(display_name="Greta Going")
    return RSVPFactory(
        meet=meet,
        member=member,
        car=CarFactory(owner=member, vin="WBSUR9C50BZ222222"),
        guests=2,
        answers={meet.questions.get().key: "Vegan"},
    )


def login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def checkin_url(rsvp) -> str:
    return reverse("meets:checkin_rsvp", args=[rsvp.meet.slug, rsvp.pk])


# --- Who may check in ----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(meet, rsvp):
    client = login(None)
    for response in [
        client.get(reverse("meets:checkin", args=[meet.slug])),
        client.post(checkin_url(rsvp)),
        client.get(rsvp.get_checkin_url()),
    ]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None


@pytest.mark.parametrize("who", ["member", "other_organiser"])
def test_members_without_a_role_at_this_meet_learn_nothing(meet, rsvp, who, request):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("meets:checkin", args=[meet.slug])).status_code == 404
    assert client.post(checkin_url(rsvp)).status_code == 404
    assert client.get(rsvp.get_checkin_url()).status_code == 404
    assert client.post(rsvp.get_checkin_url()).status_code == 404
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None


def test_the_member_whose_code_it_is_is_sent_to_the_meet_and_cannot_check_in(rsvp):
    client = login(rsvp.member)

    response = client.get(rsvp.get_checkin_url(), follow=True)
    client.post(rsvp.get_checkin_url())

    assert response.redirect_chain[-1][0] == rsvp.meet.get_absolute_url()
    assert "That&#x27;s your check-in code" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None


@pytest.mark.parametrize("who", ["helper", "organiser", "staff"])
def test_helpers_organisers_and_staff_see_the_checkin_list(meet, rsvp, who, request):
    response = login(request.getfixturevalue(who)).get(reverse("meets:checkin", args=[meet.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Greta Going" in page
    assert "…Z222222" in page
    assert "Checked in <strong>0</strong> of 1" in page


def test_an_unknown_code_is_not_found(organiser):
    response = login(organiser).get(reverse("meets:checkin_code", args=["no-such-code"]))
    assert response.status_code == 404


def test_checking_in_needs_a_post(meet, rsvp, helper):
    assert login(helper).get(checkin_url(rsvp)).status_code == 405


def test_an_rsvp_of_another_meet_is_not_found_through_this_one(meet, helper, organiser):
    elsewhere = RSVPFactory(meet=MeetFactory(organisers=[organiser]))
    response = login(helper).post(reverse("meets:checkin_rsvp", args=[meet.slug, elsewhere.pk]))
    assert response.status_code == 404


# --- Checking in ---------------------------------------------------------------------


def test_a_helper_checks_a_car_in_from_the_list(meet, rsvp, helper):
    response = login(helper).post(checkin_url(rsvp), follow=True)
    assert response.redirect_chain == [(reverse("meets:checkin", args=[meet.slug]), 302)]
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.checked_in_by == helper
    page = response.content.decode()
    assert "Checked in: No. " in page
    assert "Checked in <strong>1</strong> of 1" in page


def test_the_organiser_checks_in_from_the_attendee_list_and_returns_there(meet, rsvp, organiser):
    response = login(organiser).post(checkin_url(rsvp), {"back": "attendees"})
    assert response["Location"] == reverse("meets:attendees", args=[meet.slug])
    rsvp.refresh_from_db()
    assert rsvp.checked_in_by == organiser


def test_the_qr_code_opens_the_rsvp_with_a_big_button(rsvp, helper):
    response = login(helper).get(rsvp.get_checkin_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Greta Going" in page
    assert "Vegan" in page
    assert "Z222222" in page
    assert ">Check in</button>" in page


def test_a_helper_checks_a_car_in_by_its_code(meet, rsvp, helper):
    response = login(helper).post(rsvp.get_checkin_url(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("meets:checkin", args=[meet.slug])
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.checked_in_by == helper
    assert "Checked in: No. " in response.content.decode()


def test_a_second_scan_is_harmless(rsvp, helper, organiser):
    login(helper).post(rsvp.get_checkin_url())
    rsvp.refresh_from_db()
    first = rsvp.checked_in_at
    client = login(organiser)
    # Scanning the code again: the page says so calmly, with no button.
    page = client.get(rsvp.get_checkin_url()).content.decode()
    local = timezone.localtime(first, rsvp.meet.tz)
    assert f"Already checked in at <strong>{local:%H:%M}</strong>" in page
    assert "alert-info" in page
    assert ">Check in</button>" not in page
    # Pressing the button twice (or from the list) changes nothing either.
    for url in [rsvp.get_checkin_url(), checkin_url(rsvp)]:
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert f"Already checked in at {local:%H:%M}" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at == first
    assert rsvp.checked_in_by == helper


@pytest.mark.parametrize("status", [RSVP.Status.WAITLISTED, RSVP.Status.CANCELLED])
def test_an_rsvp_that_is_not_going_cannot_be_checked_in(meet, helper, status):
    rsvp = RSVPFactory(meet=meet, status=status)
    client = login(helper)
    page = client.get(rsvp.get_checkin_url()).content.decode()
    assert "cannot be checked in" in page
    assert "alert-warning" in page
    assert ">Check in</button>" not in page
    for url in [rsvp.get_checkin_url(), checkin_url(rsvp)]:
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert "Not checked in" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None


# --- Searching at the gate -----------------------------------------------------------


@pytest.mark.parametrize("query", ["greta", "Z222222", "wbsur9c50bz222222"])
def test_the_gate_finds_a_car_by_name_or_vin(meet, rsvp, helper, query):
    RSVPFactory(meet=meet, member__display_name="Norbert Nomatch")
    response = login(helper).get(reverse("meets:checkin", args=[meet.slug]), {"q": query})
    assert [r.pk for r in response.context["rsvps"]] == [rsvp.pk]
    assert "Norbert Nomatch" not in response.content.decode()


def test_the_gate_finds_a_car_by_plaque_number(meet, rsvp, helper):
    RSVPFactory(meet=meet)
    response = login(helper).get(
        reverse("meets:checkin", args=[meet.slug]), {"q": f"No. {rsvp.car.plaque_number}"}
    )
    assert [r.pk for r in response.context["rsvps"]] == [rsvp.pk]


def test_the_gate_says_when_a_match_is_on_the_waiting_list(meet, helper):
    RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED, member__display_name="Walter Waiting")
    response = login(helper).get(reverse("meets:checkin", args=[meet.slug]), {"q": "walter"})
    assert response.context["rsvps"] == []
    assert "on the waiting list" in response.content.decode()


@pytest.mark.parametrize("going", [2, 50])
def test_the_checkin_list_pins_its_query_count(helper, django_assert_num_queries, going):
    meet = MeetFactory(capacity=going, checkin_helpers=[helper])
    for _ in range(going):
        RSVPFactory(meet=meet)
    client = login(helper)
    # 1 session, 2 user, 3 meet by slug, 4 "organiser?" (no), 5 "helper?" (yes),
    # 6 the going RSVPs with member, car, model line and colour, 7 their cover photos,
    # 8 the counts, 9 "organiser?" again for the link to the organiser's tools.
    with django_assert_num_queries(9):
        response = client.get(reverse("meets:checkin", args=[meet.slug]))
    assert len(response.context["rsvps"]) == going


# --- The check-in days ------------------------------------------------------------------


def _meet_at(helper, starts_at: datetime.datetime):
    return MeetFactory(
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=6),
        rsvp_opens_at=starts_at - datetime.timedelta(days=60),
        checkin_helpers=[helper],
    )


@pytest.mark.parametrize(
    ("days_from_now", "open_"),
    [(10, False), (1, True), (-1, True), (-3, False)],
    ids=["a week early", "the day before", "the day after", "days after"],
)
def test_a_car_is_checked_in_only_from_the_day_before_the_meet_to_the_day_after(
    helper, days_from_now, open_
):
    # Noon in Berlin, so that "the day before" is one calendar day in the meet's zone.
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    day = timezone.localdate(timezone.now(), berlin) + datetime.timedelta(days=days_from_now)
    meet = _meet_at(helper, datetime.datetime.combine(day, datetime.time(12), tzinfo=berlin))
    rsvp = RSVPFactory(meet=meet)
    client = login(helper)

    page = client.get(rsvp.get_checkin_url()).content.decode()
    response = client.post(checkin_url(rsvp), follow=True)

    rsvp.refresh_from_db()
    assert (rsvp.checked_in_at is not None) is open_
    assert response.status_code == 200
    closed = "Check-in for this meet is open from"
    assert (closed in page) is not open_  # said before anyone tries
    assert (f"Not checked in: {closed}" in response.content.decode()) is not open_


def test_the_check_in_days_are_the_meets_own_calendar_days():
    # 23:30 in Tokyo on 1 June is 14:30 UTC: its day before is 31 May, in Tokyo.
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    start = datetime.datetime(2026, 6, 1, 23, 30, tzinfo=tokyo)
    meet = MeetFactory.build(
        time_zone="Asia/Tokyo", starts_at=start, ends_at=start + datetime.timedelta(hours=3)
    )

    assert meet.checkin_days() == (datetime.date(2026, 5, 31), datetime.date(2026, 6, 3))
    assert meet.checkin_open_at(datetime.datetime(2026, 5, 30, 15, 0, tzinfo=datetime.UTC))
    assert not meet.checkin_open_at(datetime.datetime(2026, 5, 30, 14, 59, tzinfo=datetime.UTC))
    assert meet.checkin_open_at(datetime.datetime(2026, 6, 3, 14, 59, tzinfo=datetime.UTC))
    assert not meet.checkin_open_at(datetime.datetime(2026, 6, 3, 15, 0, tzinfo=datetime.UTC))


# --- Attendance ----------------------------------------------------------------------


def test_a_checked_in_car_counts_in_the_meets_attendance_once_it_has_started(organiser, helper):
    started = timezone.now() - datetime.timedelta(hours=1)
    meet = MeetFactory(
        title="Ring Day",
        starts_at=started,
        ends_at=started + datetime.timedelta(hours=6),
        rsvp_opens_at=started - datetime.timedelta(days=30),
        organisers=[organiser],
        checkin_helpers=[helper],
    )
    arrived = RSVPFactory(meet=meet)
    RSVPFactory(meet=meet)  # going, but not (yet) at the gate
    login(helper).post(arrived.get_checkin_url())

    response = login(None).get(meet.get_absolute_url())
    assert response.context["attendance"]["cars"] == 1
    assert "<strong>1</strong> car checked in" in response.content.decode()
    # And the car's page in the register lists the meet it attended.
    car_page = login(None).get(arrived.car.get_absolute_url()).content.decode()
    assert "Ring Day" in car_page
