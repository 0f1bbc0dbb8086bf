"""The demo club's office: levels with euro fees, and a membership year in every state."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.demo import DEMO_MEMBER_EMAIL
from accounts.models import User
from membership.cycle import DUE, GRACE, LAPSED, dues_state
from membership.models import Invoice, Level, Mandate, Membership, Payment, Seat
from tests.conftest import restore_data_migration_rows


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo club, seeded once for the module (each test's changes are rolled back)."""
    with django_db_blocker.unblock(), transaction.atomic():
        restore_data_migration_rows()  # an earlier transactional test's flush took them
        seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    return seed


def snapshot() -> dict:
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
    first = snapshot()

    output = seeded()

    assert snapshot() == first
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
