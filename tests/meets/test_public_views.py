"""The meets pages members and the public see: the list, a meet's page, My meets, the
RSVP page's doors, and the meets a car attended on its page in the register."""

import datetime
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from meets.access import roles_at
from meets.models import RSVP, Meet
from meets.qr import qr_svg
from meets.views import public
from meets.views.public import CARS_PER_PAGE
from tests.factories import MemberFactory
from tests.meets.factories import (
    CheckedInRSVPFactory,
    MeetFactory,
    PastMeetFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)
from tests.register.factories import CarFactory, ColourFactory, PhotoFactory

pytestmark = pytest.mark.django_db

LIST = reverse("meets:list")
MINE = reverse("meets:mine")


def viewer(request, name):
    """The user a parametrized test names: a fixture's name, or None for anonymous."""
    return None if name is None else request.getfixturevalue(name)


def login_url(next_path: str) -> str:
    return f"{reverse('account_login')}?next={next_path}"


# --- The list ----------------------------------------------------------------------------


def test_the_list_shows_upcoming_and_past_published_meets(client, page_text, card_for):
    MeetFactory(title="Spring drive to the Eifel", capacity=12)
    past = PastMeetFactory(title="Nürburgring Treffen 2023")
    CheckedInRSVPFactory.create_batch(3, meet=past)
    RSVPFactory(meet=past)  # going, but never came

    response = client.get(LIST)

    text = page_text(response)
    assert (
        text.index("Upcoming")
        < text.index("Spring drive to the Eifel")
        < text.index("Past meets")
        < text.index("Nürburgring Treffen 2023")
    )
    assert "0 of 12 cars going" in card_for(response, "Spring drive to the Eifel")
    assert "3 cars came" in card_for(response, "Nürburgring Treffen 2023")


def test_the_list_says_when_a_meet_is_full(client, card_for):
    meet = MeetFactory(title="Ring day", capacity=2)
    RSVPFactory.create_batch(2, meet=meet)
    WaitlistedRSVPFactory(meet=meet)

    assert "Full · 1 waiting" in card_for(client.get(LIST), "Ring day")


def test_a_full_meet_nobody_waits_for_says_full_alone(client, card_for, settings):
    meet = MeetFactory(title="Ring day", capacity=2)
    RSVPFactory.create_batch(2, meet=meet)

    card = card_for(client.get(LIST), "Ring day")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = card_for(client.get(LIST), "Ring day")

    assert "Full" in card
    assert "waiting" not in card
    assert "Voll" in german
    assert "Warteliste" not in german


def test_a_cancelled_meet_stays_listed_and_is_flagged(client, card_for):
    MeetFactory(title="Ring day", status=Meet.Status.CANCELLED)
    MeetFactory(title="Eifel drive")

    response = client.get(LIST)

    assert "Cancelled" in card_for(response, "Ring day")
    assert "Cancelled" not in card_for(response, "Eifel drive")


@pytest.mark.parametrize("who", [None, "member", "other_organiser"])
def test_a_draft_is_not_listed_for_anyone_but_its_organisers(
    request, client_for, organiser, page_text, who
):
    MeetFactory(title="Secret track day", status=Meet.Status.DRAFT, organisers=[organiser])
    MeetFactory(title="Eifel drive")

    text = page_text(client_for(viewer(request, who)).get(LIST))

    assert "Eifel drive" in text
    assert "Secret track day" not in text
    assert "Your drafts" not in text


@pytest.mark.parametrize("who", ["organiser", "staff"])
def test_a_draft_is_listed_for_its_organiser_and_staff(
    request, client_for, organiser, card_for, who
):
    MeetFactory(title="Secret track day", status=Meet.Status.DRAFT, organisers=[organiser])

    response = client_for(viewer(request, who)).get(LIST)

    assert "Your drafts" in response.content.decode()
    assert "Draft" in card_for(response, "Secret track day")


# --- A meet's page: who may see it ----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status_code"),
    [(None, 404), ("member", 404), ("other_organiser", 404), ("organiser", 200), ("staff", 200)],
)
def test_a_draft_is_shown_only_to_its_organisers_and_staff(
    request, client_for, organiser, page_text, who, status_code
):
    meet = MeetFactory(title="Secret track day", status=Meet.Status.DRAFT, organisers=[organiser])

    response = client_for(viewer(request, who)).get(meet.get_absolute_url())

    assert response.status_code == status_code
    if status_code == 200:
        assert "This is a draft: only its organisers can see it." in page_text(response)
    else:
        assert "Secret track day" not in response.content.decode()


def test_an_unknown_meet_is_404(client):
    assert client.get(reverse("meets:detail", args=["no-such-meet"])).status_code == 404


# --- A meet's page: when, and how many places ------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "utc", "local"),
    [
        ("Europe/Berlin", datetime.datetime(2031, 7, 12, 7, 0), "Saturday 12 July 2031, 09:00"),
        ("Europe/Berlin", datetime.datetime(2031, 1, 11, 7, 0), "Saturday 11 January 2031, 08:00"),
        ("America/New_York", datetime.datetime(2031, 7, 12, 14, 0), "Saturday 12 July 2031, 10:00"),
    ],
    ids=["Berlin summer", "Berlin winter", "New York"],
)
def test_the_meet_page_shows_the_venues_local_time(client, page_text, zone, utc, local):
    starts = utc.replace(tzinfo=datetime.UTC)
    meet = MeetFactory(
        time_zone=zone, starts_at=starts, ends_at=starts + datetime.timedelta(hours=8)
    )

    text = page_text(client.get(meet.get_absolute_url()))

    end = f"{int(local[-5:-3]) + 8:02d}:00"
    assert f"{local} – {end} ({zone} time)" in text


def test_the_rsvp_window_is_shown_in_the_venues_local_time(client, page_text):
    starts = datetime.datetime(2031, 7, 12, 14, 0, tzinfo=datetime.UTC)
    meet = MeetFactory(
        time_zone="America/New_York",
        starts_at=starts,
        rsvp_opens_at=datetime.datetime(2031, 6, 1, 13, 0, tzinfo=datetime.UTC),
        rsvp_closes_at=datetime.datetime(2031, 7, 10, 16, 0, tzinfo=datetime.UTC),
    )

    text = page_text(client.get(meet.get_absolute_url()))

    assert "RSVPs open 1 Jun 2031, 09:00, close 10 Jul 2031, 12:00." in text


def test_the_meet_page_counts_the_places_left(client, page_text):
    meet = MeetFactory(capacity=10)
    RSVPFactory.create_batch(3, meet=meet)
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)

    text = page_text(client.get(meet.get_absolute_url()))

    assert "7 of 10 places left" in text
    assert "3 cars going." in text


def test_a_full_meet_offers_the_waiting_list(client_for, member, member_car, page_text):
    meet = MeetFactory(capacity=2)
    RSVPFactory.create_batch(2, meet=meet)
    WaitlistedRSVPFactory(meet=meet)

    text = page_text(client_for(member).get(meet.get_absolute_url()))

    assert "0 of 2 places left · 1 waiting" in text
    assert "2 cars going, 1 on the waiting list." in text
    assert "Join the waiting list" in text


def test_anonymous_visitors_are_asked_to_log_in_to_rsvp(client, page_text):
    meet = MeetFactory()

    response = client.get(meet.get_absolute_url())

    assert "Log in to RSVP" in page_text(response)
    assert login_url(meet.get_absolute_url()) in response.content.decode()


@pytest.mark.parametrize("members_only", [True, False], ids=["members only", "open meet"])
def test_a_pending_member_is_told_why_they_cannot_rsvp(
    client_for, pending_member, page_text, members_only
):
    meet = MeetFactory(members_only=members_only)

    text = page_text(client_for(pending_member).get(meet.get_absolute_url()))

    assert "Your membership is still waiting for approval by the club's staff." in text
    assert "RSVP with your car" not in text


# --- A meet's page: the cars coming, and whose they are -------------------------------------


@pytest.mark.parametrize(
    ("visibility", "who", "sees_cars"),
    [
        (Meet.AttendeeVisibility.PUBLIC, None, True),
        (Meet.AttendeeVisibility.MEMBERS, None, False),
        (Meet.AttendeeVisibility.MEMBERS, "pending_member", False),
        (Meet.AttendeeVisibility.MEMBERS, "member", True),
        (Meet.AttendeeVisibility.ORGANISERS, None, False),
        (Meet.AttendeeVisibility.ORGANISERS, "member", False),
        (Meet.AttendeeVisibility.ORGANISERS, "other_organiser", False),
        (Meet.AttendeeVisibility.ORGANISERS, "organiser", True),
        (Meet.AttendeeVisibility.ORGANISERS, "staff", True),
    ],
)
def test_the_cars_going_are_shown_as_the_meet_allows(
    request, client_for, organiser, page_text, visibility, who, sees_cars
):
    meet = MeetFactory(attendee_visibility=visibility, organisers=[organiser])
    rsvp = RSVPFactory(meet=meet)

    response = client_for(viewer(request, who)).get(meet.get_absolute_url())

    html, text = response.content.decode(), page_text(response)
    assert (rsvp.car.get_absolute_url() in html) is sees_cars
    assert (f"No. {rsvp.car.plaque_number}" in text) is sees_cars
    assert ("The list of cars is shown to" in text) is not sees_cars


@pytest.mark.parametrize(
    ("who", "named"),
    [
        (None, {"Pia Public"}),
        ("member", {"Pia Public", "Mia Members"}),
        ("organiser", {"Pia Public", "Mia Members"}),
        # The club office sees real names (accounts/privacy.py).
        ("staff", {"Pia Public", "Mia Members", "Nina Nobody"}),
    ],
)
def test_owners_are_named_only_as_they_chose(request, client_for, organiser, page_text, who, named):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC, organisers=[organiser])
    people = {
        "Pia Public": MemberFactory(display_name="Pia Public", name_visibility="public"),
        "Mia Members": MemberFactory(display_name="Mia Members", name_visibility="members"),
        "Nina Nobody": MemberFactory(display_name="Nina Nobody", name_visibility="nobody"),
    }
    for person in people.values():
        RSVPFactory(meet=meet, member=person)

    text = page_text(client_for(viewer(request, who)).get(meet.get_absolute_url()))

    assert {name for name in people if name in text} == named
    for name, person in people.items():
        if name not in named:  # the car is still there, under the number for members
            number = f"Member No. {person.membership_number}"
            assert (number in text) is (who is not None)


def test_the_colour_mix_counts_the_cars_going_by_colour(client, table_rows):
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.ORGANISERS)
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8641B")
    for colour in [orange, orange, None]:
        person = MemberFactory()
        car = CarFactory(owner=person, **({"colour": colour} if colour else {}))
        RSVPFactory(meet=meet, member=person, car=car)
    WaitlistedRSVPFactory(meet=meet)  # not going: not counted

    # Shown to everyone, even where the list of cars is not: it names nobody.
    rows = table_rows(client.get(meet.get_absolute_url()), "chart-colour-mix")

    assert rows == [
        ["Valencia Orange", "2", "66.7%"],
        ["Alpine White", "1", "33.3%"],
    ]


def test_after_the_meet_the_page_shows_the_attendance(client, page_text, table_rows):
    meet = PastMeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC)
    for country in ["DE", "DE", "NL"]:
        person = MemberFactory()
        CheckedInRSVPFactory(
            meet=meet, member=person, car=CarFactory(owner=person, country=country)
        )
    RSVPFactory(meet=meet)  # going, never came

    response = client.get(meet.get_absolute_url())

    text = page_text(response)
    assert "3 cars checked in from 2 countries." in text
    assert text.count("✓ Checked in") == 3
    assert table_rows(response, "chart-attendance-colours") == [["Alpine White", "3", "100.0%"]]
    assert "RSVP with your car" not in text


# --- My meets -------------------------------------------------------------------------------


def test_my_meets_asks_anonymous_visitors_to_log_in(client):
    response = client.get(MINE)

    assert response.status_code == 302
    assert response["Location"] == login_url(MINE)


def test_my_meets_lists_the_members_rsvps_with_a_check_in_code_for_those_going(
    client_for, member, page_text, card_for
):
    going = RSVPFactory(meet=MeetFactory(title="Eifel drive"), member=member)
    waiting = WaitlistedRSVPFactory(meet=MeetFactory(title="Ring day"), member=member)
    RSVPFactory(meet=MeetFactory(title="Cancelled by me"), member=member, status="cancelled")
    RSVPFactory(meet=MeetFactory(title="Someone else's meet"))
    CheckedInRSVPFactory(meet=PastMeetFactory(title="Nürburgring Treffen 2023"), member=member)

    response = client_for(member).get(MINE)

    html, text = response.content.decode(), page_text(response)
    assert "Cancelled by me" not in text
    assert "Someone else's meet" not in text
    assert "Going" in card_for(response, "Eifel drive")
    assert "Waiting list" in card_for(response, "Ring day")
    assert qr_svg(going) in html  # the inline SVG of the code the gate scans
    assert qr_svg(waiting) not in html
    assert html.count('<svg width="') == 1
    # ...and a copy to keep for the gate, where there may be no signal.
    assert reverse("meets:rsvp_qr", args=[going.pk]) in html
    assert reverse("meets:rsvp_qr", args=[waiting.pk]) not in html
    assert "Nürburgring Treffen 2023 Attended" in text


def test_the_qr_code_image_is_only_for_its_member(client_for, member, other_member):
    rsvp = RSVPFactory(member=member)
    url = reverse("meets:rsvp_qr", args=[rsvp.pk])

    mine = client_for(member).get(url)

    assert mine["Content-Type"] == "image/svg+xml"
    assert mine.content.decode() == qr_svg(rsvp)
    assert client_for(other_member).get(url).status_code == 404


# --- Cancelling, and the RSVP page's doors ---------------------------------------------------


def test_a_member_cancels_their_rsvp_from_the_meet_page(client_for, member, page_text):
    rsvp = RSVPFactory(member=member)

    response = client_for(member).post(reverse("meets:rsvp_cancel", args=[rsvp.pk]), follow=True)

    assert response.redirect_chain == [(rsvp.meet.get_absolute_url(), 302)]
    assert "Your RSVP is cancelled." in page_text(response)
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.CANCELLED


def test_once_checked_in_the_meet_page_offers_no_cancel_button(client_for, member, page_text):
    meet = MeetFactory(starts_at=timezone.now() + datetime.timedelta(minutes=30))
    RSVPFactory(meet=meet, member=member, checked_in_at=timezone.now())

    text = page_text(client_for(member).get(meet.get_absolute_url()))

    assert "Checked in ✓" in text
    assert "Cancel my RSVP" not in text


def test_before_check_in_the_meet_page_offers_to_cancel(client_for, member, page_text):
    meet = MeetFactory()
    RSVPFactory(meet=meet, member=member)

    assert "Cancel my RSVP" in page_text(client_for(member).get(meet.get_absolute_url()))


def test_cancelling_someone_elses_rsvp_is_404_and_changes_nothing(client_for, member):
    rsvp = RSVPFactory()

    response = client_for(member).post(reverse("meets:rsvp_cancel", args=[rsvp.pk]))

    assert response.status_code == 404
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING


def test_cancelling_needs_a_post(client_for, member):
    rsvp = RSVPFactory(member=member)

    response = client_for(member).get(reverse("meets:rsvp_cancel", args=[rsvp.pk]))

    assert response.status_code == 405
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_rsvp_page_asks_anonymous_visitors_to_log_in(client, method):
    meet = MeetFactory()
    url = reverse("meets:rsvp", args=[meet.slug])

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"] == login_url(url)
    assert not RSVP.objects.exists()


def test_the_rsvp_page_of_a_draft_is_404_for_a_member(client_for, member, member_car, organiser):
    meet = MeetFactory(status=Meet.Status.DRAFT, organisers=[organiser])

    response = client_for(member).post(
        reverse("meets:rsvp", args=[meet.slug]), {"car": member_car.pk, "guests": 0}
    )

    assert response.status_code == 404
    assert not RSVP.objects.exists()


def test_a_member_without_a_car_is_asked_to_register_it(client_for, member, page_text):
    meet = MeetFactory()

    response = client_for(member).get(reverse("meets:rsvp", args=[meet.slug]))

    text = page_text(response)
    assert "your garage is empty" in text
    assert "Register your car" in text
    assert reverse("register:add") in response.content.decode()
    assert "Send my RSVP" not in text


# --- The register's car page --------------------------------------------------------------


def test_a_cars_page_lists_the_meets_it_attended(client, member, member_car, page_text):
    CheckedInRSVPFactory(
        meet=PastMeetFactory(title="Nürburgring Treffen 2023"), member=member, car=member_car
    )
    RSVPFactory(meet=PastMeetFactory(title="Rainy Eifel drive"), member=member, car=member_car)
    RSVPFactory(meet=MeetFactory(title="Next Ring day"), member=member, car=member_car)

    text = page_text(client.get(reverse("register:car", args=[member_car.pk])))

    attended = text[text.index("Meets attended") :]
    assert "Nürburgring Treffen 2023" in attended
    assert "Rainy Eifel drive" not in attended  # RSVPd, but never checked in
    assert "Next Ring day" not in attended


def test_a_car_that_attended_no_meet_says_so(client, member_car, page_text):
    text = page_text(client.get(reverse("register:car", args=[member_car.pk])))

    assert "Meets attended Not checked in at a club meet yet." in text


# --- Query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 50])
def test_the_list_takes_the_same_queries_for_2_meets_and_50(
    client_for, organiser, count, django_assert_num_queries
):
    for _ in range(count):
        meet = MeetFactory(organisers=[organiser])
        RSVPFactory(meet=meet)
        past = PastMeetFactory()
        CheckedInRSVPFactory(meet=past)
        MeetFactory(status=Meet.Status.DRAFT, organisers=[organiser])
    client = client_for(organiser)

    # 1–2. the upcoming meets' ids and series, then a page of them with their counts,
    # 3–4. the same for the past meets, 5. the session, 6. the user, 7. is the user in the
    # Organisers group (the "New meet" button), 8. the drafts the user organises
    with django_assert_num_queries(8):
        response = client.get(LIST)

    html = response.content.decode()
    assert html.count("cars going</span>") == min(count, public.UPCOMING_SHOWN)
    assert html.count("car came</span>") == min(count, public.PAST_SHOWN)
    assert html.count(">Draft</span>") == count
    assert ("More upcoming meets" in html) == (count > public.UPCOMING_SHOWN)


def test_the_list_pages_through_upcoming_and_past_meets(client):
    soon = timezone.now() + datetime.timedelta(days=1)
    upcoming = [
        MeetFactory(title=f"Upcoming {i:02d}", starts_at=soon + datetime.timedelta(days=i))
        for i in range(public.UPCOMING_SHOWN + 2)
    ]
    past = [PastMeetFactory(title=f"Past {i:02d}") for i in range(public.PAST_SHOWN + 1)]

    first = client.get(LIST).content.decode()
    assert upcoming[0].title in first and upcoming[-1].title not in first
    assert "?upcoming=2" in first and "?past=2" in first

    second = client.get(LIST, {"upcoming": 2, "past": 2}).content.decode()
    assert upcoming[-1].title in second and upcoming[0].title not in second
    assert sum(meet.title in second for meet in past) == 1
    assert "?upcoming=1" in second  # back to the first page, keeping the past page
    # A page number that is no number, or past the end, is the first page or an empty one.
    assert client.get(LIST, {"upcoming": "x"}).status_code == 200
    assert client.get(LIST, {"past": "²"}).status_code == 200  # a digit int() refuses
    assert "No meets are planned" in client.get(LIST, {"upcoming": 99}).content.decode()


@pytest.mark.parametrize("count", [2, 50])
def test_the_meet_page_takes_the_same_queries_for_2_cars_and_50(
    client_for, count, django_assert_num_queries
):
    meet = MeetFactory(capacity=60, attendee_visibility=Meet.AttendeeVisibility.MEMBERS)
    for _ in range(count):
        rsvp = RSVPFactory(meet=meet)
        PhotoFactory(car=rsvp.car, is_cover=True)
    WaitlistedRSVPFactory(meet=meet)
    attendee = User.objects.filter(rsvps__status="going").first()
    client = client_for(attendee)

    # 1. the session, 2. the user, 3. the meet with its counts (meets/counts.py), 4. the
    # viewer's own live RSVP with its car, 5. is the viewer an organiser or a check-in
    # helper; the shared part (cached, built here as the cache is off): 6. the first page
    # of RSVPs going with member, car, model line and colour, 7. the cover photos of their
    # cars, 8. the colour mix (GROUP BY), 9. the countries (GROUP BY); the personal part:
    # 10. the cover photo of the viewer's own car
    with django_assert_num_queries(10):
        response = client.get(meet.get_absolute_url())

    html = response.content.decode()
    # The first page of cars with their photos, and the viewer's own car beside its RSVP.
    assert html.count('class="card-img-top car-thumb"') == min(count, CARS_PER_PAGE) + 1
    assert ("Show more cars" in html) == (count > CARS_PER_PAGE)
    assert f"{count} cars going, 1 on the waiting list." in html
    assert "You're going with your" in unescape(html)  # the attendee's own RSVP


def test_one_query_says_who_organises_and_who_helps_at_a_meet(
    organiser, other_organiser, helper, staff, member, django_assert_num_queries
):
    meet = MeetFactory(organisers=[organiser], checkin_helpers=[helper])

    assert roles_at(AnonymousUser(), meet) == (False, False)
    for user, expected in [
        (organiser, (True, False)),
        (helper, (False, True)),
        (staff, (True, False)),  # staff run every meet
        (other_organiser, (False, False)),  # an organiser of other meets
        (member, (False, False)),
    ]:
        with django_assert_num_queries(1):
            assert roles_at(user, meet) == expected, user
