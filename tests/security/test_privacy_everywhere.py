"""Every place that shows a person, walked against the rule in accounts/privacy.py.

Greta hides her name from everybody; Mona shows it to club members only. Each test looks
at one page, export or e-mail as one kind of viewer and checks both ways: what the rule
hides is absent, and what it allows is there (so that a test of an empty page fails).
"""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import privacy
from accounts.models import User
from meets.models import Meet
from register.models import Transfer
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory

GRETA = "Greta Rasmussen"
GRETA_EMAIL = "greta.hidden@example.org"
MONA = "Mona Membersonly"
MONA_EMAIL = "mona.members@example.org"


def login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def greta(db):
    return MemberFactory(
        display_name=GRETA, email=GRETA_EMAIL, name_visibility=User.Visibility.NOBODY
    )


@pytest.fixture
def mona(db):
    return MemberFactory(
        display_name=MONA, email=MONA_EMAIL, name_visibility=User.Visibility.MEMBERS
    )


@pytest.fixture
def helper(db):
    return MemberFactory(display_name="Hanna Helper")


@pytest.fixture
def meet(organiser, helper):
    return MeetFactory(
        organisers=[organiser],
        checkin_helpers=[helper],
        attendee_visibility=Meet.AttendeeVisibility.PUBLIC,
    )


@pytest.fixture
def greta_rsvp(meet, greta):
    return RSVPFactory(meet=meet, member=greta)


@pytest.fixture
def mona_rsvp(meet, mona):
    return RSVPFactory(meet=meet, member=mona)


def greta_number(greta) -> str:
    return f"Member No. {greta.membership_number}"


# --- The rule itself -------------------------------------------------------------------


def test_the_rule_says_something_for_every_thing_and_every_viewer():
    for field in privacy.Field:
        assert set(privacy.RULES[field]) == set(privacy.Viewer), field


def test_nobody_but_the_member_and_staff_sees_an_email_address():
    seeing = {
        v for v in privacy.Viewer if privacy.RULES[privacy.Field.EMAIL][v] is privacy.Rule.YES
    }
    assert seeing == {privacy.Viewer.SELF, privacy.Viewer.STAFF}


@pytest.mark.parametrize(
    ("who", "as_", "sees"),
    [
        ("greta", None, GRETA),
        ("staff", None, GRETA),
        ("organiser", privacy.Viewer.ORGANISER, "number"),
        ("helper", privacy.Viewer.HELPER, "number"),
        ("member", privacy.Viewer.PARTY, GRETA),  # the seller once she accepted
        ("member", None, "number"),
        ("pending_member", None, "A member"),
        ("anonymous", None, "A member"),
        # A context role does not lift the public: it needs a logged-in viewer.
        ("anonymous", privacy.Viewer.HELPER, "A member"),
    ],
)
def test_a_hidden_name_is_seen_only_by_those_the_rule_names(request, greta, who, as_, sees):
    viewer = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    expected = greta_number(greta) if sees == "number" else sees
    assert privacy.name_for(greta, viewer, as_=as_) == expected
    assert privacy.email_for(greta, viewer, as_=as_) == (
        GRETA_EMAIL if who in ("greta", "staff") else ""
    )


# --- Transfers -------------------------------------------------------------------------


@pytest.fixture
def seller_car(member):
    return CarFactory(owner=member)


def start_transfer(seller, car, buyer_number) -> Client:
    client = login(seller)
    response = client.post(
        reverse("register:transfer", args=[car.pk]),
        {"buyer": str(buyer_number), "transfer_date": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302, text(response)
    return client


def test_a_seller_who_types_a_number_does_not_learn_the_hidden_name(member, greta, seller_car):
    seller = start_transfer(member, seller_car, greta.membership_number)

    garage = text(seller.get(reverse("register:garage")))
    car_page = text(seller.get(seller_car.get_absolute_url()))
    for page in (garage, car_page):
        assert GRETA not in page
        assert GRETA_EMAIL not in page
        assert f"→ {greta_number(greta)}" in page or f"to {greta_number(greta)}" in page


def test_a_seller_sees_a_members_only_name_in_the_transfer(member, mona, seller_car):
    seller = start_transfer(member, seller_car, mona.membership_number)

    assert f"→ {MONA}" in text(seller.get(reverse("register:garage")))
    assert MONA_EMAIL not in text(seller.get(seller_car.get_absolute_url()))


def test_the_buyer_sees_a_hidden_seller_as_a_number_only(
    greta, member, django_capture_on_commit_callbacks
):
    greta_car = CarFactory(owner=greta)
    with django_capture_on_commit_callbacks(execute=True):
        start_transfer(greta, greta_car, member.membership_number)

    garage = text(login(member).get(reverse("register:garage")))
    assert GRETA not in garage
    assert f"From {greta_number(greta)}" in garage
    (started,) = mail.outbox
    assert started.to == [member.email]
    assert GRETA not in started.body
    assert greta_number(greta) in started.body


def test_the_seller_learns_the_name_only_when_the_buyer_accepts(
    member, greta, seller_car, django_capture_on_commit_callbacks
):
    start_transfer(member, seller_car, greta.membership_number)
    transfer = Transfer.objects.get(car=seller_car)
    with django_capture_on_commit_callbacks(execute=True):
        login(greta).post(
            reverse("register:transfer_respond", args=[transfer.pk]), {"action": "decline"}
        )
    declined = mail.outbox[-1]
    assert declined.to == [member.email]
    assert GRETA not in declined.body
    assert greta_number(greta) in declined.body

    start_transfer(member, seller_car, greta.membership_number)
    transfer = Transfer.objects.get(car=seller_car, state=Transfer.State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        login(greta).post(
            reverse("register:transfer_respond", args=[transfer.pk]), {"action": "accept"}
        )
    accepted = mail.outbox[-1]
    assert accepted.to == [member.email]
    assert f"{GRETA} has accepted" in accepted.body
    assert GRETA_EMAIL not in accepted.body
    # On the pages, after the sale, she is a member like any other to the seller.
    car_page = text(login(member).get(seller_car.get_absolute_url()))
    assert GRETA not in car_page
    assert greta_number(greta) in car_page


# --- Check-in --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["helper", "organiser"])
def test_the_checkin_list_hides_a_hidden_name_and_every_email(
    request, meet, greta_rsvp, mona_rsvp, who
):
    page = text(login(request.getfixturevalue(who)).get(reverse("meets:checkin", args=[meet.slug])))

    assert GRETA not in page
    assert greta_number(greta_rsvp.member) in page
    assert MONA in page  # members only: a helper is a member
    for address in (GRETA_EMAIL, MONA_EMAIL):
        assert address not in page


def test_staff_at_the_gate_see_real_names(meet, greta_rsvp, staff):
    page = text(login(staff).get(reverse("meets:checkin", args=[meet.slug])))
    assert GRETA in page


@pytest.mark.parametrize("who", ["helper", "organiser"])
def test_the_checkin_code_page_hides_a_hidden_name(request, meet, greta_rsvp, mona_rsvp, who):
    client = login(request.getfixturevalue(who))
    greta_page = text(client.get(reverse("meets:checkin_code", args=[greta_rsvp.checkin_code])))
    mona_page = text(client.get(reverse("meets:checkin_code", args=[mona_rsvp.checkin_code])))

    assert GRETA not in greta_page
    assert GRETA_EMAIL not in greta_page
    assert greta_number(greta_rsvp.member) in greta_page
    assert MONA in mona_page
    assert MONA_EMAIL not in mona_page
    assert str(mona_rsvp.member.membership_number) in mona_page


def search(client, meet, query) -> str:
    return text(client.get(reverse("meets:checkin", args=[meet.slug]), {"q": query}))


@pytest.mark.parametrize("query", ["greta.hidden", "example.org", "mona.members"])
def test_a_helper_cannot_search_by_email(meet, greta_rsvp, mona_rsvp, helper, query):
    page = search(login(helper), meet, query)
    assert greta_rsvp.car.vin_short not in page
    assert mona_rsvp.car.vin_short not in page
    assert "Nobody going matches" in page


def test_staff_can_search_by_email(meet, greta_rsvp, staff):
    assert greta_rsvp.car.vin_short in search(login(staff), meet, "greta.hidden")


def test_a_helper_cannot_confirm_a_hidden_name_by_searching_it(meet, greta_rsvp, mona_rsvp, helper):
    client = login(helper)
    assert greta_rsvp.car.vin_short not in search(client, meet, "Rasmussen")
    assert mona_rsvp.car.vin_short in search(client, meet, "Membersonly")


@pytest.mark.parametrize(
    "form", ["M{n}", "m {n}", "member {n}", "Member No. {n}", "Mitglied Nr. {n}"]
)
def test_a_helper_finds_a_member_by_membership_number(meet, greta_rsvp, mona_rsvp, helper, form):
    page = search(login(helper), meet, form.format(n=greta_rsvp.member.membership_number))
    assert greta_rsvp.car.vin_short in page
    assert mona_rsvp.car.vin_short not in page


def test_a_plain_number_is_a_plaque_not_a_membership_number(meet, greta_rsvp, mona_rsvp, helper):
    number = greta_rsvp.member.membership_number
    greta_rsvp.car.plaque_number = 99999
    greta_rsvp.car.save(update_fields=["plaque_number"])
    # Mona's car carries the plaque with Greta's membership number.
    mona_rsvp.car.plaque_number = number
    mona_rsvp.car.save(update_fields=["plaque_number"])
    client = login(helper)

    by_plaque = search(client, meet, str(number))
    assert mona_rsvp.car.vin_short in by_plaque
    assert greta_rsvp.car.vin_short not in by_plaque
    by_member = search(client, meet, f"M{number}")
    assert greta_rsvp.car.vin_short in by_member
    assert mona_rsvp.car.vin_short not in by_member


def test_checking_in_a_hidden_member_says_their_number_not_their_name(meet, greta_rsvp, helper):
    # On the meet's day: check-in is open only around it.
    start = timezone.now() + datetime.timedelta(hours=2)
    Meet.objects.filter(pk=meet.pk).update(
        starts_at=start, ends_at=start + datetime.timedelta(hours=6)
    )
    response = login(helper).post(
        reverse("meets:checkin_rsvp", args=[meet.slug, greta_rsvp.pk]), follow=True
    )
    page = text(response)
    assert "Checked in:" in page
    assert GRETA not in page
    assert greta_number(greta_rsvp.member) in page


# --- Organisers ------------------------------------------------------------------------


def test_the_attendee_list_hides_a_hidden_name_and_every_email(
    meet, greta_rsvp, mona_rsvp, organiser
):
    page = text(login(organiser).get(reverse("meets:attendees", args=[meet.slug])))
    assert GRETA not in page
    assert greta_number(greta_rsvp.member) in page
    assert MONA in page
    assert f"Member No. {mona_rsvp.member.membership_number}" in page
    for address in (GRETA_EMAIL, MONA_EMAIL):
        assert address not in page
    assert greta_rsvp.car.vin_short not in text(
        login(organiser).get(reverse("meets:attendees", args=[meet.slug]), {"q": "greta.hidden"})
    )


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text(response).lstrip("\ufeff"))))


def test_the_attendee_csv_follows_the_rule(meet, greta_rsvp, mona_rsvp, organiser, staff):
    url = reverse("meets:attendees_csv", args=[meet.slug])
    rows = {r["car_vin"]: r for r in csv_rows(login(organiser).get(url))}
    greta_row, mona_row = rows[greta_rsvp.car.vin], rows[mona_rsvp.car.vin]
    assert greta_row["member_name"] == greta_number(greta_rsvp.member)
    assert greta_row["membership_number"] == str(greta_rsvp.member.membership_number)
    assert mona_row["member_name"] == MONA
    assert greta_row["email"] == mona_row["email"] == ""

    staff_rows = {r["car_vin"]: r for r in csv_rows(login(staff).get(url))}
    assert staff_rows[greta_rsvp.car.vin]["member_name"] == GRETA
    assert staff_rows[greta_rsvp.car.vin]["email"] == GRETA_EMAIL


def test_an_organiser_naming_a_helper_by_email_does_not_learn_their_hidden_name(
    meet, greta, organiser
):
    response = login(organiser).post(
        reverse("meets:helpers", args=[meet.slug]), {"member": GRETA_EMAIL}, follow=True
    )
    page = text(response)
    assert meet.checkin_helpers.filter(pk=greta.pk).exists()
    assert GRETA not in page
    assert greta_number(greta) in page
    assert GRETA_EMAIL not in page.replace(f'value="{GRETA_EMAIL}"', "")


def test_an_organisers_message_tells_nobody_about_anyone_else(
    meet, greta_rsvp, mona_rsvp, organiser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(organiser).post(
            reverse("meets:message", args=[meet.slug]),
            {"audience": "going", "subject": "Parking", "body": "Park by the gate."},
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([GRETA_EMAIL, MONA_EMAIL])
    for message in mail.outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        other = MONA if message.to == [GRETA_EMAIL] else GRETA
        other_email = MONA_EMAIL if message.to == [GRETA_EMAIL] else GRETA_EMAIL
        assert other not in message.body
        assert other_email not in message.body


# --- Public pages, directory and register exports --------------------------------------


def test_the_public_sees_neither_name_on_a_meets_attendee_list(meet, greta_rsvp, mona_rsvp):
    page = text(login(None).get(meet.get_absolute_url()))
    assert GRETA not in page
    assert MONA not in page
    assert greta_number(greta_rsvp.member) not in page  # the public cannot tie cars together
    assert mona_rsvp.car.vin_short in page or "A member" in page


def test_a_member_sees_mona_but_not_greta_on_the_attendee_list(meet, greta_rsvp, mona_rsvp, member):
    page = text(login(member).get(meet.get_absolute_url()))
    assert MONA in page
    assert GRETA not in page
    assert greta_number(greta_rsvp.member) in page


def test_the_directory_does_not_list_a_hidden_name(greta, mona, member):
    client = login(member)
    directory = text(client.get(reverse("members:directory")))
    assert MONA in directory
    assert GRETA not in directory
    assert client.get(reverse("members:detail", args=[greta.membership_number])).status_code == 404


def test_the_public_register_csv_names_nobody(greta, mona):
    CarFactory(owner=greta)
    CarFactory(owner=mona)
    body = text(login(None).get(reverse("register:export_csv")))
    for secret in (GRETA, GRETA_EMAIL, MONA, MONA_EMAIL):
        assert secret not in body


def test_the_staff_register_csv_names_everyone(greta, staff):
    CarFactory(owner=greta)
    body = text(login(staff).get(reverse("register:export_staff_csv")))
    assert GRETA in body
    assert GRETA_EMAIL in body


def test_a_car_page_shows_the_public_a_members_only_owner_as_a_member(mona, other_member):
    car = CarFactory(owner=mona)
    assert MONA not in text(login(None).get(car.get_absolute_url()))
    assert MONA in text(login(other_member).get(car.get_absolute_url()))
