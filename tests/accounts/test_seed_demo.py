"""The demo club: `manage.py seed_demo` loads it, and running it again changes nothing."""

import datetime
import io
import re
import zoneinfo

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.demo import (
    DEMO_MEMBER_EMAIL,
    DEMO_ORGANISER_EMAIL,
    DEMO_PASSWORD,
    DEMO_STAFF_EMAIL,
)
from accounts.models import Sequence, User
from accounts.services import member_approve
from meets.demo import SUNDAY_DRIVE_SLUG, UPCOMING_SLUGS
from meets.models import RSVP, Meet, MeetSeries
from membership.cycle import DUE, GRACE, LAPSED, dues_state
from membership.models import Invoice, Level, Mandate, Membership, Payment, Seat
from register.models import Car, Ownership
from tests.conftest import restore_data_migration_rows
from tests.register.factories import CarFactory


def seed() -> str:
    """Run seed_demo (with its on-commit callbacks run, as in real life)."""
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo club, seeded once for the module (each test's changes are rolled back)."""
    with django_db_blocker.unblock(), transaction.atomic():
        restore_data_migration_rows()  # an earlier transactional test's flush took them
        output = seed()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    """seed_demo again when called; `.output` is what the first run printed."""

    def again() -> str:
        return seed()

    again.output = demo
    return again


def snapshot() -> dict:
    return {
        "users": sorted(
            User.objects.values_list(
                "email", "membership_number", "membership_status", "name_visibility"
            )
        ),
        "addresses": EmailAddress.objects.count(),
        "last_number": Sequence.objects.get(name="membership-number").last_value,
        "meets": sorted(
            Meet.objects.values_list("slug", "status", "starts_at", "capacity", "rsvp_opens_at")
        ),
        "rsvps": sorted(RSVP.objects.values_list("meet__slug", "member__email", "car", "status")),
    }


def test_seeding_twice_changes_nothing(seeded):
    first = snapshot()

    seeded()

    assert snapshot() == first
    assert len(first["users"]) > 30
    assert SUNDAY_DRIVE_SLUG in [meet[0] for meet in first["meets"]]


def test_the_demo_club_has_active_lapsed_and_pending_members(seeded):
    statuses = set(User.objects.values_list("membership_status", flat=True))

    assert statuses == {User.Status.ACTIVE, User.Status.LAPSED, User.Status.PENDING}
    assert User.objects.in_directory().count() > 10


@pytest.mark.parametrize(
    ("email", "is_staff", "is_organiser"),
    [
        (DEMO_STAFF_EMAIL, True, True),
        (DEMO_ORGANISER_EMAIL, False, True),
        (DEMO_MEMBER_EMAIL, False, False),
    ],
)
def test_the_demo_accounts_can_log_in_with_a_verified_address(
    seeded, client, email, is_staff, is_organiser
):
    user = User.objects.get(email=email)

    assert user.is_active_member
    assert user.is_staff is is_staff
    assert user.is_organiser is is_organiser
    assert EmailAddress.objects.get(user=user).verified is True
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_no_two_ownership_periods_of_a_demo_car_overlap(seeded):
    clashes = [
        (o.car_id, o.started_on, o.ended_on)
        for o in Ownership.objects.all()
        if Ownership.objects.overlapping(
            car_id=o.car_id, started_on=o.started_on, ended_on=o.ended_on
        )
        .exclude(pk=o.pk)
        .exists()
    ]

    assert clashes == []
    # The demo member's own car changed hands in the seeding, without a clash.
    assert Car.objects.owned_by(User.objects.get(email=DEMO_MEMBER_EMAIL)).filter(
        story__startswith="Bought from its first owner"
    )


def test_seeding_sends_no_email(seeded):
    seeded()

    assert mail.outbox == []


def test_seeding_says_how_to_log_in(seeded):
    assert DEMO_STAFF_EMAIL in seeded.output
    assert DEMO_PASSWORD in seeded.output


def test_seeding_says_where_the_demo_is_served(seeded, settings):
    # make run passes PADDOCK_SITE_URL=http://$(HOST):$(PORT); the tests' is https://testserver.
    site = settings.PADDOCK_SITE_URL

    assert f"Demo club ready at {site}/." in seeded.output
    assert f"Django admin at {site}/admin/" in seeded.output
    assert ":8000" not in seeded.output


# --- The happy path: an upcoming meet with room ----------------------------------------------


def test_a_demo_seeded_before_the_sunday_drive_gets_it_on_the_next_run(seeded):
    first = snapshot()
    Meet.objects.filter(slug=SUNDAY_DRIVE_SLUG).delete()  # its RSVPs go with it

    seeded()

    again = snapshot()
    assert again["rsvps"] == first["rsvps"]
    assert [m[:2] for m in again["meets"]] == [m[:2] for m in first["meets"]]


def test_a_demo_database_weeks_old_gets_its_upcoming_meets_moved_on(seeded):
    """db.sqlite3 outlives the demo's meets: make run moves them on, weekday and hour kept."""
    before = {m.slug: m for m in Meet.objects.filter(slug__in=UPCOMING_SLUGS)}
    rsvps = snapshot()["rsvps"]
    for meet in before.values():  # nine weeks ago on the venue's clock (summer time then)
        venue = zoneinfo.ZoneInfo(meet.time_zone)

        def earlier(moment, venue=venue):
            local = moment.astimezone(venue).replace(tzinfo=None)
            return (local - datetime.timedelta(weeks=9)).replace(tzinfo=venue)

        Meet.objects.filter(pk=meet.pk).update(
            starts_at=earlier(meet.starts_at),
            ends_at=earlier(meet.ends_at),
            rsvp_opens_at=earlier(meet.rsvp_opens_at),
        )

    output = seeded()

    assert "2 moved on by whole weeks" in output
    now = timezone.now()
    for meet in Meet.objects.filter(slug__in=UPCOMING_SLUGS):
        old = before[meet.slug]
        assert meet.starts_at > now + datetime.timedelta(days=1)
        assert meet.rsvp_opens_at < now < meet.starts_at
        assert meet.local_start.strftime("%A %H:%M") == old.local_start.strftime("%A %H:%M")
        assert meet.local_end.strftime("%A %H:%M") == old.local_end.strftime("%A %H:%M")
    assert snapshot()["rsvps"] == rsvps
    assert "moved on" not in seeded()  # and the next run leaves them alone


def test_the_demo_has_a_full_meet_and_one_with_plenty_of_free_places(seeded):
    upcoming = (
        Meet.objects.upcoming()
        .filter(status=Meet.Status.PUBLISHED)
        .annotate(
            going=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.GOING), distinct=True),
            # A place held by an open waiting-list offer is taken (meets/offers.py).
            held=Count("rsvps__offers", filter=Q(rsvps__offers__state="open"), distinct=True),
        )
    )
    with_room = [
        meet
        # The Cars & Coffee series has room too: the test below looks at it.
        for meet in upcoming.filter(going__lt=F("capacity") - F("held"), series__isnull=True)
        if meet.rsvp_window_state() == "open"
    ]
    full = upcoming.get(slug="winter-breakfast-eifel")

    # The Nürburgring weekend has room too: a test below looks at it.
    with_room = [meet for meet in with_room if meet.slug != "nurburgring-2027"]
    assert [meet.slug for meet in with_room] == [SUNDAY_DRIVE_SLUG]
    assert with_room[0].capacity - with_room[0].going >= 40
    assert with_room[0].going > 0  # its page shows cars already going
    assert full.going == full.capacity
    assert RSVP.objects.filter(meet=full).waitlisted().exists()


def rsvp_to_the_drive(client: Client, car: Car, capture_on_commit):
    url = reverse("meets:rsvp", args=[SUNDAY_DRIVE_SLUG])
    assert client.get(url).status_code == 200  # the form, not "you already have an RSVP"
    with capture_on_commit(execute=True):  # the confirmation e-mail goes after the commit
        return client.post(url, {"car": car.pk, "guests": 1, "answer_0": "Yes"}, follow=True)


def assert_going_with_a_checkin_code(response, member: User, car: Car) -> None:
    drive = Meet.objects.get(slug=SUNDAY_DRIVE_SLUG)
    assert response.redirect_chain == [(drive.get_absolute_url(), 302)]
    page = response.content.decode()
    assert "You&#x27;re going! Your check-in code is below." in page
    assert re.search(r'<figure class="text-center qr-code">\s*<svg', page)
    rsvp = RSVP.objects.get(meet=drive, member=member)
    assert (rsvp.car, rsvp.status) == (car, RSVP.Status.GOING)
    assert rsvp.checkin_code
    (confirmation,) = [m for m in mail.outbox if m.to == [member.email]]
    assert "check-in-code.png" in [name for name, *_ in confirmation.attachments]


def test_the_demo_member_rsvps_to_the_sunday_drive_and_is_going_with_a_checkin_code(
    seeded, django_capture_on_commit_callbacks
):
    member = User.objects.get(email=DEMO_MEMBER_EMAIL)
    car = Car.objects.owned_by(member).filter(review_status=Car.Review.VERIFIED).first()
    assert car is not None
    assert not RSVP.objects.filter(meet__slug=SUNDAY_DRIVE_SLUG, member=member).exists()
    client = Client()
    login = client.post(
        reverse("account_login"), {"login": DEMO_MEMBER_EMAIL, "password": DEMO_PASSWORD}
    )
    assert login.status_code == 302

    response = rsvp_to_the_drive(client, car, django_capture_on_commit_callbacks)

    assert_going_with_a_checkin_code(response, member, car)


def test_a_newly_approved_member_with_a_car_is_going_to_the_sunday_drive(
    seeded, django_capture_on_commit_callbacks
):
    # One of the demo's applicants: the registrar approves them, they register their car.
    newcomer = User.objects.filter(membership_status=User.Status.PENDING).first()
    member_approve(member=newcomer, notify=False)
    car = CarFactory(owner=newcomer)
    client = Client()
    client.force_login(newcomer)

    response = rsvp_to_the_drive(client, car, django_capture_on_commit_callbacks)

    assert_going_with_a_checkin_code(response, newcomer, car)


# --- The register that knows its cars best (issue 15) ------------------------------------


def test_the_demo_shows_sourced_facts_disputes_and_a_settled_one(seeded, client):
    from register.facts import CarFact, FactSettlement

    Source = CarFact.Source

    sourced = Car.objects.filter(facts__source=Source.FACTORY_PAPERS).distinct()
    assert sourced.count() >= 12
    disputed = set(
        Car.objects.filter(disputed_fields__gt="").values_list("disputed_fields", flat=True)
    )
    assert disputed == {"paint_code", "build_date", "colour"}
    settled = FactSettlement.objects.get()
    assert settled.field == "market" and settled.car.market.code == settled.value
    car = Car.objects.get(disputed_fields="paint_code")
    page = client.get(car.get_absolute_url()).content.decode()
    assert "The registrar has not settled this yet." in page


def test_the_demo_has_two_listings_a_conversation_and_a_car_sold_outside(seeded):
    from register.models import Enquiry, Listing, TimelineEntry

    live = list(Listing.objects.live())
    assert len(live) == 2
    assert sorted(listing.price_cents is None for listing in live) == [False, True]
    assert Enquiry.objects.get().messages.count() == 2
    sold = Listing.objects.get(state=Listing.State.SOLD)
    assert sold.sold_to == Listing.SoldTo.OUTSIDE
    assert sold.car.ownerships.current().get().member is None
    assert TimelineEntry.objects.filter(car=sold.car, system_text="sold_outside").exists()


def test_the_demo_has_sightings_cars_not_seen_for_years_and_cars_in_many_countries(seeded, client):
    from register.models import Sighting

    today = timezone.localdate()
    states = set(Sighting.objects.values_list("state", flat=True))
    long_ago = Car.objects.public().filter(
        last_seen_on__lt=today - datetime.timedelta(days=5 * 365)
    )
    countries = set(Car.objects.public().exclude(country="").values_list("country", flat=True))

    assert {"accepted", "pending", "lead"} <= states
    assert long_ago.count() >= 10
    assert len(countries) >= 5
    stats = client.get(reverse("register:stats")).content.decode()
    assert "Map: where the registered cars live" in stats
    not_seen = client.get(reverse("register:list"), {"not_seen": "5"}).content.decode()
    assert f"No. {long_ago.exclude(plaque_number=None).first().plaque_number}" in not_seen


# --- The club office (membership/): levels with euro fees, a year in every state ---------


def office_snapshot() -> dict:
    return {
        "levels": sorted(Level.objects.values_list("slug", "fee_cents", "period", "is_default")),
        "invoices": sorted(
            Invoice.objects.values_list("number", "member__email", "status", "total_cents")
        ),
        "payments": Payment.objects.count(),
        "memberships": sorted(
            Membership.objects.values_list("level__slug", "valid_until", "lapsed_on")
        ),
        "mandates": Mandate.objects.count(),
    }


def test_seeding_twice_changes_nothing_in_the_office(seeded):
    first = office_snapshot()

    output = seeded()

    assert office_snapshot() == first
    assert len(first["invoices"]) > 50
    assert "invoices already there" in output
    assert mail.outbox == []


def test_the_demo_levels_have_euro_fees(seeded):
    levels = {level.slug: level for level in Level.objects.all()}

    assert [(slug, levels[slug].fee_cents, levels[slug].period) for slug in levels] == [
        ("full", 6000, "calendar"),
        ("household", 9000, "calendar"),
        ("associate", 3000, "calendar"),
        ("honorary", 0, "life"),
        ("lifetime", 60000, "life"),
    ]
    assert levels["full"].is_default
    assert levels["household"].seats == 2
    assert not levels["associate"].allows_cars
    assert not levels["honorary"].open_to_applicants
    assert not levels["lifetime"].open_to_applicants


def test_the_demo_has_members_in_every_state(seeded):
    today = timezone.localdate()
    open_dues = Invoice.objects.filter(kind="invoice", status="open")
    states = [dues_state(invoice, today) for invoice in open_dues]

    assert states.count(GRACE) == 1
    assert states.count(LAPSED) >= 1
    assert states.count(DUE) >= 3
    assert set(
        Payment.objects.filter(invoice__issued_on__year__gte=today.year - 1).values_list(
            "method", flat=True
        )
    ) >= {"transfer", "sepa_dd", "cash"}
    paid_this_year = Invoice.objects.filter(status="paid", period_start__year=today.year)
    assert paid_this_year.count() > 60
    # Every direct debit payer gave a mandate.
    debtors = set(
        Payment.objects.filter(method="sepa_dd").values_list("invoice__member", flat=True)
    )
    assert debtors <= set(Mandate.objects.values_list("member", flat=True))
    assert Membership.objects.filter(level__slug="household").count() == 1
    assert Seat.objects.filter(membership__level__slug="household").count() == 2
    assert Membership.objects.filter(level__slug="honorary").count() == 1
    assert Membership.objects.filter(level__slug="associate").count() == 1
    # The accounts' lapsed members lapsed for an invoice they never paid.
    lapsed = User.objects.filter(membership_status=User.Status.LAPSED)
    assert lapsed.exists()
    for member in lapsed:
        invoice = Invoice.objects.get(member=member, status="open")
        assert dues_state(invoice, today) == LAPSED
        assert member.seat.membership.lapsed_on is not None


def test_the_demo_member_has_paid_and_has_next_years_invoice_open(seeded):
    member = User.objects.get(email=DEMO_MEMBER_EMAIL)
    today = timezone.localdate()

    invoices = list(Invoice.objects.filter(member=member).order_by("period_start"))

    assert [(i.status, i.period_start.year) for i in invoices] == [
        ("paid", today.year),
        ("open", today.year + 1),
    ]
    assert member.membership_status == User.Status.ACTIVE
    assert member.renewal_date == member.seat.membership.valid_until
    client = Client()
    client.force_login(member)
    page = client.get(invoices[1].get_absolute_url())
    assert page.status_code == 200
    assert "How to pay" in page.content.decode()


def test_running_the_cycle_on_the_demo_is_consistent_with_it(seeded):
    """The demo's states are what the cycle would have made: a run today lapses nobody
    new (the grace member is still in grace), and a second run sends nothing."""
    today = timezone.localdate()
    from membership.cycle import renewal_cycle_run

    first = renewal_cycle_run(today=today)

    assert first["lapsed"] == 0
    assert renewal_cycle_run(today=today) == {"notices": 0, "reminders": 0, "lapsed": 0}


def test_the_demo_has_a_monthly_cars_and_coffee_with_members_going_to_the_next(seeded, client):
    from meets.series_demo import SLUG

    series = MeetSeries.objects.get(slug=SLUG)
    dates = list(Meet.objects.upcoming().filter(series=series))

    assert 5 <= len(dates) <= 8
    for meet in dates:
        local = meet.local_start
        assert (local.weekday(), local.day <= 7, local.hour) == (6, True, 10)
    assert RSVP.objects.filter(meet=dates[0]).going().count() >= 3
    page = client.get(series.get_absolute_url()).content.decode()
    assert "A series of meets: monthly, first Sunday, at 10:00" in page


def test_most_demo_cars_have_a_plate_and_the_gate_of_the_breakfast_sees_them(seeded):
    """register/plates_demo.py: plates of the country a car lives in, most seen at the gate
    only, some by members, a few by everyone; the demo organiser's gate shows them."""
    choices = dict(
        Car.objects.exclude(registration_plate="")
        .values_list("plate_visibility")
        .annotate(n=Count("pk"))
    )
    assert Car.objects.exclude(registration_plate="").count() > 0.7 * Car.objects.count()
    assert choices["gate"] > choices["members"] > choices["public"] > 0
    assert (
        not Car.objects.filter(country="NL")
        .exclude(registration_plate__regex=r"^(\d\d[A-Z]{3}\d)?$")
        .exists()
    )

    organiser = User.objects.get(email=DEMO_ORGANISER_EMAIL)
    client = Client()
    client.force_login(organiser)
    page = client.get(reverse("meets:checkin", args=["winter-breakfast-eifel"]))
    shown = [r.plate for r in page.context["rsvps"] if r.plate]
    assert shown and all(p in page.content.decode() for p in shown)


def test_the_nurburgring_weekend_is_open_with_its_typed_questions_answered(seeded, client):
    """Issue 16's demo: the upcoming weekend asks typed questions at RSVP and at the gate;
    its 45 cars going answered every required one asked at RSVP."""
    from meets.demo import RING_2027_GOING, RING_2027_SLUG
    from meets.questions import checkin_questions, missing_required, rsvp_questions

    meet = Meet.objects.get(slug=RING_2027_SLUG)
    asked = rsvp_questions(meet)

    assert meet.status == Meet.Status.PUBLISHED and meet.rsvp_window_state() == "open"
    assert {q.kind for q in asked} == {"yes_no", "multiple", "single", "date", "number", "country"}
    assert [q.label for q in checkin_questions(meet)] == ["Track day wristband number"]
    going = RSVP.objects.filter(meet=meet).going()
    assert going.count() == RING_2027_GOING
    assert all(not missing_required(asked, rsvp.answers) for rsvp in going)
    page = client.get(meet.get_absolute_url()).content.decode()
    assert f"{RING_2027_GOING} cars going" in page
