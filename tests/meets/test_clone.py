""" "Clone this meet": a new draft a year (or a month) later, with no RSVPs."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse

from meets.models import Meet
from meets.questions import Question
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def ring(organiser, helper):
    start = datetime.datetime(2027, 6, 19, 9, 0, tzinfo=BERLIN)
    meet = MeetFactory(
        title="Nürburgring weekend 2027",
        slug="nurburgring-2027",
        starts_at=start,
        ends_at=start + datetime.timedelta(days=1, hours=7),
        rsvp_opens_at=datetime.datetime(2027, 2, 1, 12, 0, tzinfo=BERLIN),
        capacity=120,
        organisers=[organiser],
        checkin_helpers=[helper],
    )
    Question.objects.create(meet=meet, position=0, label="Dietary needs", required=True)
    Question.objects.create(
        meet=meet, position=1, label="T-shirt size", kind="single", choices=["S", "M", "L"]
    )
    RSVPFactory(meet=meet)
    return meet


def url(meet, **query):
    path = reverse("meets:clone", args=[meet.slug])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def value_of(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)[1]


def test_the_clone_page_climbs_the_ladder(client_for, ring, organiser, helper, member, staff):
    assert client_for().get(url(ring)).status_code == 302
    assert client_for(member).get(url(ring)).status_code == 404
    assert client_for(helper).get(url(ring)).status_code == 403
    assert client_for(organiser).get(url(ring)).status_code == 200
    assert client_for(staff).get(url(ring)).status_code == 200
    assert client_for(organiser).get("/meets/no-such-meet/clone/").status_code == 404


def test_the_form_is_filled_in_a_year_later_at_the_same_local_times(client_for, ring, organiser):
    html = client_for(organiser).get(url(ring)).content.decode()

    assert value_of(html, "title") == "Nürburgring weekend 2028"
    assert value_of(html, "starts_at") == "2028-06-19T09:00"
    assert value_of(html, "ends_at") == "2028-06-20T16:00"
    assert value_of(html, "rsvp_opens_at") == "2028-02-01T12:00"
    assert value_of(html, "capacity") == "120"


def test_a_month_later_on_request(client_for, ring, organiser):
    html = client_for(organiser).get(url(ring, shift="month")).content.decode()

    assert value_of(html, "starts_at") == "2027-07-19T09:00"
    assert value_of(html, "title") == "Nürburgring weekend 2027"


def form_data(html: str) -> dict:
    names = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)
    data = {k: v for k, v in names if k not in ("csrfmiddlewaretoken",)}
    data.update(
        venue_country="DE",
        time_zone="Europe/Berlin",
        attendee_visibility="members",
        description="The big one.",
    )
    return data


def test_saving_the_clone_makes_a_draft_with_the_same_people_and_questions(
    client_for, ring, organiser, helper
):
    client = client_for(organiser)
    data = form_data(client.get(url(ring)).content.decode())

    response = client.post(url(ring), data)

    copy = Meet.objects.exclude(pk=ring.pk).get()
    assert response.status_code == 302 and response["Location"] == copy.get_absolute_url()
    assert copy.status == Meet.Status.DRAFT
    assert copy.title == "Nürburgring weekend 2028"
    assert copy.local_start == datetime.datetime(2028, 6, 19, 9, 0, tzinfo=BERLIN)
    assert copy.slug != ring.slug
    asked = copy.questions.order_by("position").values_list("label", "kind", "required", "choices")
    assert list(asked) == [
        ("Dietary needs", "text", True, []),
        ("T-shirt size", "single", False, ["S", "M", "L"]),
    ]
    assert ring.questions.count() == 2  # copies, not the source's rows moved
    assert list(copy.organisers.all()) == [organiser]
    assert list(copy.checkin_helpers.all()) == [helper]
    assert not copy.rsvps.exists()
    assert copy.series is None


def test_a_clone_sent_twice_is_made_once(client_for, ring, organiser):
    client = client_for(organiser)
    data = form_data(client.get(url(ring)).content.decode())

    first = client.post(url(ring), data)
    second = client.post(url(ring), data, follow=True)

    assert first.status_code == 302
    assert "You sent this form twice; it was handled once." in second.content.decode()
    assert Meet.objects.count() == 2


def test_a_clone_with_wrong_dates_is_refused_with_a_message(client_for, ring, organiser):
    client = client_for(organiser)
    data = form_data(client.get(url(ring)).content.decode())

    response = client.post(url(ring), {**data, "ends_at": "2000-01-01T00:00"})

    assert response.status_code == 200
    assert "The meet must end after it starts." in response.content.decode()
    assert Meet.objects.count() == 1


def test_the_organiser_pages_offer_clone_and_repeat(client_for, ring, organiser):
    html = client_for(organiser).get(reverse("meets:attendees", args=[ring.slug])).content.decode()

    assert url(ring) in html
    assert reverse("meets:repeat", args=[ring.slug]) in html


@pytest.mark.parametrize("page", ["meets:clone", "meets:repeat"])
def test_a_co_organiser_outside_the_organisers_group_makes_no_new_meets(client_for, ring, page):
    """Cloning or repeating makes new meets: like "New meet", for the club's organisers only."""
    co_organiser = MemberFactory()
    ring.organisers.add(co_organiser)

    client = client_for(co_organiser)

    assert client.get(reverse(page, args=[ring.slug])).status_code == 403
    assert client.post(reverse(page, args=[ring.slug]), {}).status_code == 403
    assert Meet.objects.count() == 1


def test_the_form_keeps_how_the_waiting_list_moves_up(client_for, ring, organiser):
    Meet.objects.filter(pk=ring.pk).update(promotion=Meet.Promotion.OFFER, offer_hours=48)

    html = client_for(organiser).get(url(ring)).content.decode()

    assert re.search(r'name="promotion" value="offer"[^>]*checked', html)
    assert value_of(html, "offer_hours") == "48"
