"""The organiser's area of a meet: who may enter, and what each page does."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ORGANISERS_GROUP
from meets.models import RSVP, Meet, Message
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, QuestionFactory, RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


# --- The cast ------------------------------------------------------------------------


@pytest.fixture
def other_organiser(db):
    """An organiser of the club, but of another meet."""
    user = MemberFactory(display_name="Ivo Elsewhere")
    user.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
    MeetFactory(organisers=[user])
    return user


@pytest.fixture
def meet(organiser, helper):
    meet = MeetFactory(
        title="Nordschleife Summer Meet",
        organisers=[organiser],
        checkin_helpers=[helper],
    )
    QuestionFactory(meet=meet, label="Dietary needs?")
    return meet


@pytest.fixture
def going(meet):
    """A member going with an Alpine White car, who answered the question."""
    member = MemberFactory(display_name="Greta Going", email="greta@example.org")
    return RSVPFactory(
        meet=meet,
        member=member,
        car=CarFactory(owner=member, vin="WBSUR9C50BZ111111"),
        answers={meet.questions.get().key: "Vegetarian"},
        guests=1,
    )


def login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def meet_form_data(meet: Meet, **changes) -> dict:
    """The edit form as the organiser would send it back, with `changes`."""
    tz = meet.tz

    def local(value):
        return timezone.localtime(value, tz).strftime(LOCAL) if value else ""

    data = {
        "title": meet.title,
        "description": meet.description,
        "venue_name": meet.venue_name,
        "venue_address": meet.venue_address,
        "venue_country": meet.venue_country.code or "",
        "latitude": "",
        "longitude": "",
        "map_url": meet.map_url,
        "time_zone": meet.time_zone,
        "starts_at": local(meet.starts_at),
        "ends_at": local(meet.ends_at),
        "capacity": meet.capacity,
        "rsvp_opens_at": local(meet.rsvp_opens_at),
        "rsvp_closes_at": local(meet.rsvp_closes_at),
        "attendee_visibility": meet.attendee_visibility,
    }
    if meet.members_only:
        data["members_only"] = "on"
    data.update(changes)
    return data


# --- The permission ladder -----------------------------------------------------------

GET_PAGES = [
    ("meets:edit", 'value="Nordschleife Summer Meet"'),
    ("meets:cancel", "Cancel this meet?"),
    ("meets:attendees", "Greta Going"),
    ("meets:attendees_csv", "Greta Going"),
    ("meets:message", "Write to your attendees"),
    ("meets:helpers", "Hanna Helper"),
]
POST_ACTIONS = ["meets:publish", "meets:promote"]


def content(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("name", [n for n, _ in GET_PAGES] + POST_ACTIONS)
def test_anonymous_visitors_are_sent_to_log_in(meet, name):
    url = reverse(name, args=[meet.slug])
    client = login(None)
    response = client.post(url) if name in POST_ACTIONS else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", [n for n, _ in GET_PAGES] + POST_ACTIONS)
def test_a_plain_member_learns_nothing(meet, going, member, name):
    url = reverse(name, args=[meet.slug])
    client = login(member)
    response = client.post(url) if name in POST_ACTIONS else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("name", [n for n, _ in GET_PAGES] + POST_ACTIONS)
def test_the_organiser_of_another_meet_learns_nothing(meet, going, other_organiser, name):
    url = reverse(name, args=[meet.slug])
    client = login(other_organiser)
    response = client.post(url) if name in POST_ACTIONS else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("name", [n for n, _ in GET_PAGES] + POST_ACTIONS)
def test_a_checkin_helper_may_not_organise(meet, going, helper, name):
    url = reverse(name, args=[meet.slug])
    client = login(helper)
    response = client.post(url) if name in POST_ACTIONS else client.get(url)
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "text"), GET_PAGES)
def test_the_meets_organiser_sees_each_page(meet, going, organiser, name, text):
    response = login(organiser).get(reverse(name, args=[meet.slug]))
    assert response.status_code == 200
    assert text in content(response)


@pytest.mark.parametrize(("name", "text"), GET_PAGES)
def test_staff_see_each_page(meet, going, staff, name, text):
    response = login(staff).get(reverse(name, args=[meet.slug]))
    assert response.status_code == 200
    assert text in content(response)


def test_organiser_actions_refuse_get(meet, organiser):
    client = login(organiser)
    for name in POST_ACTIONS:
        assert client.get(reverse(name, args=[meet.slug])).status_code == 405


# --- Create, edit, publish, cancel ---------------------------------------------------


def test_a_member_who_is_no_organiser_may_not_create_a_meet(member):
    client = login(member)
    assert client.get(reverse("meets:create")).status_code == 403
    response = client.post(reverse("meets:create"), {"title": "Sneaky meet"})
    assert response.status_code == 403
    assert not Meet.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in_before_creating():
    response = login(None).get(reverse("meets:create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_organiser_creates_a_draft_in_the_venues_time_zone(organiser):
    response = login(organiser).post(
        reverse("meets:create"),
        {
            "title": "Eifel Sunrise Run",
            "venue_name": "Nürburgring, Parkplatz T13",
            "venue_country": "DE",
            "time_zone": "Europe/Berlin",
            "starts_at": "2027-07-10T09:00",
            "ends_at": "2027-07-10T15:00",
            "capacity": "40",
            "attendee_visibility": "members",
        },
    )
    meet = Meet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == meet.get_absolute_url()
    assert meet.status == Meet.Status.DRAFT
    assert list(meet.organisers.all()) == [organiser]
    # 09:00 in Berlin in July (CEST, UTC+2) is 07:00 UTC.
    assert meet.starts_at == datetime.datetime(2027, 7, 10, 7, 0, tzinfo=datetime.UTC)
    assert meet.ends_at == datetime.datetime(2027, 7, 10, 13, 0, tzinfo=datetime.UTC)
    assert meet.slug == "eifel-sunrise-run-2027-07-10"


def test_staff_may_create_a_meet(staff):
    response = login(staff).get(reverse("meets:create"))
    assert response.status_code == 200
    assert "Plan a meet" in response.content.decode()


def test_a_meet_that_ends_before_it_starts_is_refused(organiser):
    response = login(organiser).post(
        reverse("meets:create"),
        {
            "title": "Backwards",
            "venue_name": "Somewhere",
            "time_zone": "Europe/Berlin",
            "starts_at": "2027-07-10T15:00",
            "ends_at": "2027-07-10T09:00",
            "capacity": "10",
            "attendee_visibility": "members",
        },
    )
    assert response.status_code == 200
    assert "The meet must end after it starts." in response.content.decode()
    assert not Meet.objects.exists()


def test_the_organiser_edits_the_meet(meet, organiser):
    data = meet_form_data(meet, title="Nordschleife Summer Meet 2027", venue_name="Brünnchen")
    response = login(organiser).post(reverse("meets:edit", args=[meet.slug]), data)
    assert response.status_code == 302
    meet.refresh_from_db()
    assert meet.title == "Nordschleife Summer Meet 2027"
    assert meet.venue_name == "Brünnchen"


def test_the_organiser_publishes_a_draft(organiser):
    meet = MeetFactory(status=Meet.Status.DRAFT, organisers=[organiser])
    client = login(organiser)
    response = client.post(reverse("meets:publish", args=[meet.slug]))
    assert response.status_code == 302
    meet.refresh_from_db()
    assert meet.status == Meet.Status.PUBLISHED
    # Twice is an error message, not a crash.
    response = client.post(reverse("meets:publish", args=[meet.slug]), follow=True)
    assert "Only a draft can be published." in response.content.decode()


def test_the_cancel_page_names_the_waiting_list_only_when_someone_waits(meet, organiser):
    RSVPFactory(meet=meet)
    url = reverse("meets:cancel", args=[meet.slug])
    client = login(organiser)

    nobody_waits = " ".join(client.get(url).content.decode().split())
    RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    one_waits = " ".join(client.get(url).content.decode().split())

    assert "We e-mail <strong>1 member going</strong>, with a calendar update" in nobody_waits
    assert "waiting list" not in nobody_waits
    assert "<strong>1 on the waiting list</strong>" in one_waits


def test_cancelling_emails_everyone_going_and_waiting_with_a_calendar_update(
    meet, organiser, django_capture_on_commit_callbacks
):
    going = RSVPFactory(meet=meet)
    waiting = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    gone = RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(organiser).post(
            reverse("meets:cancel", args=[meet.slug]), {"reason": "The track is closed."}
        )
    assert response.status_code == 302
    meet.refresh_from_db()
    assert meet.status == Meet.Status.CANCELLED
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([going.member.email, waiting.member.email])
    assert gone.member.email not in recipients
    for message in mail.outbox:
        assert "The track is closed." in message.body
        (name, body, mimetype) = message.attachments[0]
        assert name.endswith(".ics")
        assert mimetype == "text/calendar"
        body = body.decode() if isinstance(body, bytes) else body
        assert "STATUS:CANCELLED" in body


def test_raising_the_capacity_promotes_the_first_on_the_waiting_list(
    organiser, django_capture_on_commit_callbacks
):
    meet = MeetFactory(capacity=1, organisers=[organiser])
    RSVPFactory(meet=meet)
    first = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    second = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(organiser).post(
            reverse("meets:edit", args=[meet.slug]), meet_form_data(meet, capacity=2), follow=True
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == RSVP.Status.GOING
    assert second.status == RSVP.Status.WAITLISTED
    assert [message.to for message in mail.outbox] == [[first.member.email]]
    assert "A place opened up" in mail.outbox[0].subject
    assert "1 car moved up from the waiting list" in response.content.decode()


def test_the_promote_button_fills_free_places(organiser, django_capture_on_commit_callbacks):
    meet = MeetFactory(capacity=2, organisers=[organiser])
    waiting = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(organiser).post(reverse("meets:promote", args=[meet.slug]), follow=True)
    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.GOING
    assert "1 car moved up" in response.content.decode()
    assert mail.outbox[0].to == [waiting.member.email]


# --- The attendee list ---------------------------------------------------------------


def test_the_attendee_list_shows_going_and_the_waiting_list_in_order(meet, going, organiser):
    first = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED, member__display_name="Wim First")
    second = RSVPFactory(
        meet=meet, status=RSVP.Status.WAITLISTED, member__display_name="Wanda Second"
    )
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED, member__display_name="Cora Cancelled")
    response = login(organiser).get(reverse("meets:attendees", args=[meet.slug]))
    assert [r.pk for r in response.context["going"]] == [going.pk]
    assert [(r.pk, r.position) for r in response.context["waiting"]] == [
        (first.pk, 1),
        (second.pk, 2),
    ]
    page = response.content.decode()
    assert "Vegetarian" in page
    assert "Cora Cancelled" not in page
    assert page.index("Wim First") < page.index("Wanda Second")


@pytest.mark.parametrize("query", ["greta", "BZ111111", "Z111111", "wbsur9c50bz111111"])
def test_the_attendee_search_finds_by_name_and_vin(meet, going, organiser, query):
    RSVPFactory(meet=meet, member__display_name="Norbert Nomatch")
    response = login(organiser).get(reverse("meets:attendees", args=[meet.slug]), {"q": query})
    assert [r.pk for r in response.context["going"]] == [going.pk]
    assert "Norbert Nomatch" not in response.content.decode()


def test_the_attendee_search_finds_by_plaque_number(meet, going, organiser):
    other = RSVPFactory(meet=meet)
    client = login(organiser)
    url = reverse("meets:attendees", args=[meet.slug])
    for query in [str(going.car.plaque_number), f"No. {going.car.plaque_number}"]:
        response = client.get(url, {"q": query})
        assert [r.pk for r in response.context["going"]] == [going.pk]
    response = client.get(url, {"q": f"#{other.car.plaque_number}"})
    assert [r.pk for r in response.context["going"]] == [other.pk]


def test_a_search_keeps_the_real_waiting_list_position(meet, organiser):
    RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    second = RSVPFactory(
        meet=meet, status=RSVP.Status.WAITLISTED, member__display_name="Wanda Second"
    )
    response = login(organiser).get(reverse("meets:attendees", args=[meet.slug]), {"q": "wanda"})
    assert [(r.pk, r.position) for r in response.context["waiting"]] == [(second.pk, 2)]


def _make_attendees(meet, going: int, waiting: int) -> None:
    for _ in range(going):
        RSVPFactory(meet=meet)
    for _ in range(waiting):
        RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)


@pytest.mark.parametrize(("going", "waiting"), [(1, 1), (40, 10)])
def test_the_attendee_list_pins_its_query_count(
    organiser, django_assert_num_queries, going, waiting
):
    meet = MeetFactory(capacity=going, organisers=[organiser])
    _make_attendees(meet, going, waiting)
    client = login(organiser)
    url = reverse("meets:attendees", args=[meet.slug])
    # 1 session, 2 user, 3 meet by slug, 4 "is this user an organiser of it",
    # 5 the counts (going, waiting, checked in), 6 the waiting list's order,
    # 7 the live RSVPs with member, car, model line and colour, 8 the cars' cover photos,
    # 9 the meet's questions.
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.context["going"]) == going
    assert len(response.context["waiting"]) == waiting


# --- CSV -----------------------------------------------------------------------------


def test_the_csv_has_every_live_rsvp_with_its_answers(meet, going, organiser):
    waiting = RSVPFactory(
        meet=meet,
        status=RSVP.Status.WAITLISTED,
        answers={meet.questions.get().key: '=HYPERLINK("http://evil.example","Click")'},
    )
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)
    response = login(organiser).get(reverse("meets:attendees_csv", args=[meet.slug]))
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(content(response).lstrip("\ufeff"))))
    assert rows[0] == [
        "status",
        "waitlist_position",
        "member_name",
        "email",
        "membership_number",
        "car_vin",
        "plaque_number",
        "model_line",
        "colour",
        "paint_code",
        "build_month",
        "country",
        "registration_plate",
        "guests",
        "Dietary needs?",
        "rsvp_at",
        "checked_in_at",
    ]
    assert len(rows) == 3  # the header, going and waiting; not the cancelled RSVP
    greta = rows[1]
    assert greta[:15] == [
        "going",
        "",
        "Greta Going",
        "",  # an organiser sees no e-mail address (accounts/privacy.py); staff do
        str(going.member.membership_number),
        "WBSUR9C50BZ111111",
        str(going.car.plaque_number),
        "BMW 1 Series M Coupé (E82)",
        "Alpine White",
        "300",
        "2011-06",
        "DE",
        "",  # no plate
        "1",
        "Vegetarian",
    ]
    assert greta[16] == ""  # not checked in
    assert rows[2][0:2] == ["waitlisted", "1"]
    assert rows[2][2] == waiting.member.display_name
    # A formula in an answer reaches the spreadsheet as text.
    assert rows[2][14] == '\'=HYPERLINK("http://evil.example","Click")'


# --- Messages ------------------------------------------------------------------------


def test_a_message_to_everyone_going_reaches_only_them(
    meet, going, organiser, django_capture_on_commit_callbacks
):
    waiting = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(organiser).post(
            reverse("meets:message", args=[meet.slug]),
            {"audience": "going", "subject": "Gate opens at 8", "body": "Bring your plaque."},
            follow=True,
        )
    assert [message.to for message in mail.outbox] == [[going.member.email]]
    assert waiting.member.email not in mail.outbox[0].to
    assert "Gate opens at 8" in mail.outbox[0].subject
    sent = Message.objects.get()
    assert (sent.meet, sent.audience, sent.recipients, sent.sent_by) == (
        meet,
        "going",
        1,
        organiser,
    )
    page = response.content.decode()
    assert "on its way to 1 member" in page
    assert "Gate opens at 8" in page  # the history


def test_a_message_needs_a_subject(meet, organiser):
    response = login(organiser).post(
        reverse("meets:message", args=[meet.slug]), {"audience": "going", "body": "Hi"}
    )
    assert response.status_code == 200
    assert not Message.objects.exists()


# --- Helpers -------------------------------------------------------------------------


def test_the_organiser_adds_helpers_by_email_or_membership_number(meet, organiser):
    by_email = MemberFactory(email="paul@example.org")
    by_number = MemberFactory()
    client = login(organiser)
    url = reverse("meets:helpers", args=[meet.slug])
    assert client.post(url, {"member": "PAUL@example.org"}).status_code == 302
    assert client.post(url, {"member": f"#{by_number.membership_number}"}).status_code == 302
    assert set(meet.checkin_helpers.all()) >= {by_email, by_number}
    # The new helper can check cars in now.
    assert login(by_email).get(reverse("meets:checkin", args=[meet.slug])).status_code == 200


def test_an_unknown_helper_is_a_form_error(meet, organiser):
    response = login(organiser).post(
        reverse("meets:helpers", args=[meet.slug]), {"member": "nobody@example.org"}
    )
    assert response.status_code == 200
    assert "We found no member" in response.content.decode()


def test_the_organiser_removes_a_helper(meet, organiser, helper):
    client = login(organiser)
    response = client.post(reverse("meets:helpers", args=[meet.slug]), {"helper": helper.pk})
    assert response.status_code == 302
    assert not meet.checkin_helpers.exists()
    assert login(helper).get(reverse("meets:checkin", args=[meet.slug])).status_code == 404


def test_removing_someone_who_is_no_helper_changes_nothing(meet, organiser, helper, member):
    response = login(organiser).post(
        reverse("meets:helpers", args=[meet.slug]), {"helper": member.pk}, follow=True
    )
    assert "not a check-in helper" in response.content.decode()
    assert list(meet.checkin_helpers.all()) == [helper]


# --- The staff admin -----------------------------------------------------------------


def test_the_admin_lists_meets_with_their_going_count(meet, going, staff):
    response = login(staff).get(reverse("admin:meets_meet_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_list[0].going_count == 1
    assert login(staff).get(reverse("admin:meets_meet_change", args=[meet.pk])).status_code == 200
    assert (
        login(staff).get(reverse("admin:meets_rsvp_changelist"), {"q": "BZ111111"}).status_code
        == 200
    )


def test_the_admin_exports_attendees_as_csv(meet, going, staff):
    response = login(staff).post(
        reverse("admin:meets_meet_changelist"),
        {"action": "export_attendees", "_selected_action": [meet.pk]},
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert "greta@example.org" in content(response)


def test_the_admin_promotes_from_the_waiting_list(staff, django_capture_on_commit_callbacks):
    meet = MeetFactory(capacity=1)
    waiting = RSVPFactory(meet=meet, status=RSVP.Status.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        login(staff).post(
            reverse("admin:meets_meet_changelist"),
            {"action": "promote_from_waitlist", "_selected_action": [meet.pk]},
        )
    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.GOING
    assert mail.outbox[0].to == [waiting.member.email]
