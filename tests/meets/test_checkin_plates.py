"""Registration plates at the gate: found by the check-in search, shown in its rows, on the
organiser's attendee page and in the CSV, as register/plates.py allows."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from meets.models import RSVP
from register.models import Car
from tests.factories import MemberFactory
from tests.meets.factories import GateDayMeetFactory, MeetFactory, RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

PLATE = "MYKM135"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def meet(organiser, helper):
    return GateDayMeetFactory(organisers=[organiser], checkin_helpers=[helper], capacity=20)


@pytest.fixture
def going(meet):
    member = MemberFactory(display_name="Greta Going")
    return RSVPFactory(
        meet=meet, member=member, car=CarFactory(owner=member, registration_plate=PLATE)
    )


def checkin(user, meet, query: str = ""):
    return login(user).get(
        reverse("meets:checkin", args=[meet.slug]), {"q": query} if query else {}
    )


@pytest.mark.parametrize("typed", ["MYK-M 135", "myk m135", "mykm135", "KM13"])
def test_the_gate_finds_a_car_by_its_plate_typed_any_way(meet, going, helper, typed):
    RSVPFactory(meet=meet, car=CarFactory(registration_plate="BMW1234"))
    response = checkin(helper, meet, typed)
    assert [r.pk for r in response.context["rsvps"]] == [going.pk]


def test_a_short_part_of_a_plate_finds_nothing(meet, going, helper):
    assert checkin(helper, meet, "MY").context["rsvps"] == []


def test_each_row_at_the_gate_shows_the_plate(meet, going, helper):
    response = checkin(helper, meet)
    assert response.context["rsvps"][0].plate == PLATE
    assert PLATE in response.content.decode()


def test_a_gate_plate_of_a_cancelled_rsvp_does_not_find_it(meet, helper):
    cancelled = RSVPFactory(
        meet=meet, status=RSVP.Status.CANCELLED, car=CarFactory(registration_plate=PLATE)
    )
    response = checkin(helper, meet, PLATE)
    assert response.context["not_going"] == []
    assert "Not going:" not in response.content.decode()

    # Shown to members, the plate finds it, and the gate is told not to let it in as booked.
    Car.objects.filter(pk=cancelled.car_id).update(plate_visibility=Car.PlateVisibility.MEMBERS)
    response = checkin(helper, meet, "myk-m 135")
    assert [r.pk for r in response.context["not_going"]] == [cancelled.pk]
    assert "is <strong>cancelled</strong>" in response.content.decode()


def test_a_waitlisted_car_is_found_by_its_plate_and_said_to_be_waiting(meet, helper):
    RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED, car=CarFactory(registration_plate=PLATE))
    response = checkin(helper, meet, PLATE)
    assert response.context["rsvps"] == []
    assert "on the waiting list" in response.content.decode()


def test_the_plate_of_a_car_at_another_meet_finds_nothing_here(meet, helper):
    RSVPFactory(meet=MeetFactory(), car=CarFactory(registration_plate=PLATE))
    response = checkin(helper, meet, PLATE)
    assert response.context["rsvps"] == [] and response.context["not_going"] == []


def test_the_check_in_message_names_the_plate(meet, going, helper):
    client = login(helper)
    response = client.post(
        reverse("meets:checkin_rsvp", args=[meet.slug, going.pk]), {"back": "checkin"}, follow=True
    )
    assert f"Checked in: No. {going.car.plaque_number} · {PLATE}" in response.content.decode()


def test_the_qr_code_page_shows_the_plate(meet, going, helper):
    response = login(helper).get(reverse("meets:checkin_code", args=[going.checkin_code]))
    assert response.context["plate"] == PLATE
    assert PLATE in response.content.decode()


@pytest.mark.parametrize("count", [2, 50])
def test_the_checkin_list_with_plates_pins_its_query_count(
    helper, django_assert_num_queries, count
):
    meet = MeetFactory(capacity=count, checkin_helpers=[helper])
    for n in range(count):
        RSVPFactory(meet=meet, car=CarFactory(registration_plate=f"MYKM{n}"))
    client = login(helper)
    # 1 session, 2 user, 3 meet by slug, 4 "organiser?" (no), 5 "helper?" (yes),
    # 6 the going RSVPs with member, car, model line and colour, 7 their cover photos,
    # 8 the live RSVPs' states and cars (the counts, and the cars at this gate),
    # 9 "organiser?" again for the link to the organiser's tools.
    with django_assert_num_queries(9):
        response = client.get(reverse("meets:checkin", args=[meet.slug]))
    assert sorted(r.plate for r in response.context["rsvps"]) == sorted(
        f"MYKM{n}" for n in range(count)
    )


# --- The organiser's attendee page and CSV ------------------------------------------------


@pytest.mark.parametrize(("going_count", "waiting_count"), [(1, 1), (40, 10)])
def test_the_attendee_page_with_plates_pins_its_query_count(
    organiser, django_assert_num_queries, going_count, waiting_count
):
    meet = MeetFactory(capacity=going_count, organisers=[organiser])
    for n in range(going_count + waiting_count):
        status = RSVP.Status.GOING if n < going_count else RSVP.Status.WAITLISTED
        RSVPFactory(meet=meet, status=status, car=CarFactory(registration_plate=f"AB{n}"))
    client = login(organiser)
    # 1 session, 2 user, 3 meet by slug, 4 "is this user an organiser of it",
    # 5 the counts, 6 the live RSVPs' order, states and cars (waiting list, gate),
    # 7 the live RSVPs with member, car, model line and colour, 8 the cars' cover photos,
    # 9 the meet's questions (meets/questions.py).
    with django_assert_num_queries(9):
        response = client.get(reverse("meets:attendees", args=[meet.slug]))
    plates = [r.plate for r in response.context["going"] + response.context["waiting"]]
    assert sorted(plates) == sorted(f"AB{n}" for n in range(going_count + waiting_count))
    assert "AB0" in response.content.decode()


def test_the_organiser_finds_an_attendee_by_plate(meet, going, organiser):
    response = login(organiser).get(reverse("meets:attendees", args=[meet.slug]), {"q": "myk-m"})
    assert [r.pk for r in response.context["going"]] == [going.pk]


def test_the_csv_has_the_plate_of_every_live_rsvp(meet, going, organiser):
    RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED, car=CarFactory(registration_plate="W1"))
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED, car=CarFactory(registration_plate="C1"))
    response = login(organiser).get(reverse("meets:attendees_csv", args=[meet.slug]))
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["registration_plate"] for r in rows] == [PLATE, "W1"]
    assert "C1" not in text
