"""No-shows: going to a past meet that used check-in, and never checked in."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from meets.models import Meet
from tests.factories import MemberFactory
from tests.meets.factories import (
    CheckedInRSVPFactory,
    MeetFactory,
    PastMeetFactory,
    RSVPFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("meets:no_shows")


@pytest.fixture
def past(organiser):
    """A past meet where check-in was used: one car came, Nina did not."""
    meet = PastMeetFactory(title="Spring Run", organisers=[organiser])
    CheckedInRSVPFactory(meet=meet)
    return meet


@pytest.fixture
def nina(past):
    nina = MemberFactory(display_name="Nina Noshow")
    RSVPFactory(meet=past, member=nina)
    return nina


def login(client, user):
    client.force_login(user)
    return client


def test_the_page_lists_members_going_but_never_checked_in_with_their_meets(
    client, organiser, past, nina, table_rows
):
    second = PastMeetFactory(
        title="Autumn Run",
        organisers=[organiser],
        starts_at=past.starts_at - datetime.timedelta(days=60),
    )
    CheckedInRSVPFactory(meet=second)
    RSVPFactory(meet=second, member=nina)

    response = login(client, organiser).get(URL)

    assert table_rows(response, "no-shows") == [
        [
            "Nina Noshow",
            "2",
            f"Spring Run ({past.local_start:%-d %b %Y}); "
            f"Autumn Run ({second.local_start:%-d %b %Y})",
        ]
    ]


def test_a_meet_where_nobody_used_check_in_makes_nobody_a_no_show(client, organiser, page_text):
    quiet = PastMeetFactory(title="Quiet Meet", organisers=[organiser])
    RSVPFactory(meet=quiet, member=MemberFactory(display_name="Carl Careless"))

    text = page_text(login(client, organiser).get(URL))

    assert "Carl Careless" not in text
    assert "No no-shows" in text


def test_cancelled_upcoming_and_checked_in_rsvps_do_not_count(client, organiser, past, page_text):
    RSVPFactory(meet=past, status="cancelled", member=MemberFactory(display_name="Cora Cancel"))
    CheckedInRSVPFactory(meet=past, member=MemberFactory(display_name="Cam Came"))
    upcoming = MeetFactory(organisers=[organiser])
    RSVPFactory(meet=upcoming, member=MemberFactory(display_name="Uma Upcoming"))
    CheckedInRSVPFactory(meet=upcoming)
    cancelled = PastMeetFactory(status=Meet.Status.CANCELLED, organisers=[organiser])
    CheckedInRSVPFactory(meet=cancelled)
    RSVPFactory(meet=cancelled, member=MemberFactory(display_name="Cid Cancelledmeet"))

    text = page_text(login(client, organiser).get(URL))

    for name in ("Cora Cancel", "Cam Came", "Uma Upcoming", "Cid Cancelledmeet"):
        assert name not in text


def test_the_window_is_twelve_months_or_twenty_four(client, organiser, page_text):
    old = PastMeetFactory(
        organisers=[organiser], starts_at=timezone.now() - datetime.timedelta(days=500)
    )
    CheckedInRSVPFactory(meet=old)
    RSVPFactory(meet=old, member=MemberFactory(display_name="Olaf Oldmiss"))
    login(client, organiser)

    assert "Olaf Oldmiss" not in page_text(client.get(URL))
    assert "Olaf Oldmiss" in page_text(client.get(URL, {"months": "24"}))
    assert client.get(URL, {"months": "999", "order": "<script>"}).status_code == 200


def test_it_sorts_by_count_either_way(client, organiser, past, nina, table_rows):
    other = PastMeetFactory(organisers=[organiser])
    CheckedInRSVPFactory(meet=other)
    RSVPFactory(meet=other, member=nina)
    RSVPFactory(meet=past, member=MemberFactory(display_name="Aaron Once"))
    login(client, organiser)

    most = [row[:2] for row in table_rows(client.get(URL), "no-shows")]
    fewest = [row[:2] for row in table_rows(client.get(URL, {"order": "fewest"}), "no-shows")]

    assert most == [["Nina Noshow", "2"], ["Aaron Once", "1"]]
    assert fewest == [["Aaron Once", "1"], ["Nina Noshow", "2"]]


def test_a_hidden_name_is_shown_as_an_organiser_may_see_it(client, organiser, past, page_text):
    hidden = MemberFactory(display_name="Harriet Hidden", name_visibility=User.Visibility.NOBODY)
    RSVPFactory(meet=past, member=hidden)

    text = page_text(login(client, organiser).get(URL))

    assert "Harriet Hidden" not in text
    assert f"Member No. {hidden.membership_number}" in text


def test_an_organiser_sees_only_the_meets_they_organise_and_staff_see_all(
    client, other_organiser, staff, nina, page_text
):
    assert "Nina Noshow" not in page_text(login(client, other_organiser).get(URL))
    assert "Nina Noshow" in page_text(login(client, staff).get(URL))


def test_the_page_climbs_the_ladder(client, member, helper, organiser, nina):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("account_login") in response.url
    assert login(client, member).get(URL).status_code == 403
    assert login(client, helper).get(URL).status_code == 403
    assert login(client, organiser).get(URL).status_code == 200


@pytest.mark.parametrize("count", [2, 50])
def test_the_page_pins_its_query_count(client, organiser, count, django_assert_num_queries):
    meet = PastMeetFactory(organisers=[organiser])
    CheckedInRSVPFactory(meet=meet)
    for _ in range(count):
        RSVPFactory(meet=meet)
    login(client, organiser)
    cache.clear()

    # 1 session, 2 user, 3 is the user in the Organisers group,
    # 4 the no-show RSVPs with their members and meets (the meets filtered in a subquery)
    with django_assert_num_queries(4):
        response = client.get(URL)

    assert len(response.context["rows"]) == count


def test_my_meets_shows_my_own_record_gently(client, nina, past, page_text):
    text = page_text(login(client, nina).get(reverse("meets:mine")))

    assert "you said you were going to 1 meet but weren't checked in there" in text
    assert "Spring Run" in text


def test_my_meets_says_nothing_to_a_member_who_came(client, member, page_text):
    text = page_text(login(client, member).get(reverse("meets:mine")))

    assert "Places you didn't use" not in text


def test_the_attendees_page_of_a_past_meet_counts_its_no_shows(
    client, organiser, past, nina, page_text
):
    text = page_text(login(client, organiser).get(reverse("meets:attendees", args=[past.slug])))

    assert "No-shows 1 going but never checked in" in text


def test_the_attendees_page_of_a_meet_without_check_in_shows_no_no_shows(
    client, organiser, page_text
):
    quiet = PastMeetFactory(organisers=[organiser])
    RSVPFactory(meet=quiet)

    text = page_text(login(client, organiser).get(reverse("meets:attendees", args=[quiet.slug])))

    assert "going but never checked in" not in text
