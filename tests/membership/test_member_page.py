"""A member's own membership page: where they stand, what they owe and how to pay, renewing.

The concurrency test at the end runs on both databases:

    .venv/bin/pytest -q tests/membership/test_member_page.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/membership/test_member_page.py
"""

import re
import threading

import pytest
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from membership.methods import TRANSFER
from membership.models import Invoice, Mandate, Payment, Seat
from membership.money import grouped
from membership.paying import epc_payload, payment_context
from membership.services import (
    add_months,
    credit_note_issue,
    invoice_issue,
    membership_renew,
    payment_record,
)
from tests.factories import MemberFactory, PendingMemberFactory
from tests.membership import member_states
from tests.membership.member_states import IBAN, days, dues_for, long_date, member_in, text_of

HOME = reverse("membership:home")
RENEW = reverse("membership:renew")
PROFILE = reverse("accounts:profile")

club_bank = member_states.club_bank  # autouse: the club's account, the renewal settings
levels = member_states.levels


def token_of(response) -> str:
    return re.search(r'name="form_once" value="([0-9a-f]{64})"', response.content.decode())[1]


# --- Who may see it ----------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client):
    for response in (client.get(HOME), client.post(RENEW)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_renewing_takes_only_a_post(client, levels):
    client.force_login(member_in(levels.full, valid_until=days(10)))

    assert client.get(RENEW).status_code == 405


def test_a_pending_applicant_is_told_that_staff_approve_them_and_then_bill_them(client, db):
    client.force_login(PendingMemberFactory())

    response = client.get(HOME)

    assert response.status_code == 200
    assert "The club's staff will review your application" in text_of(response)
    assert "invoice for your first term" in text_of(response)
    assert "Renew now" not in text_of(response)


def test_a_pending_applicant_cannot_renew(client, db):
    client.force_login(PendingMemberFactory())

    assert client.post(RENEW).status_code == 403
    assert not Invoice.objects.exists()


def test_a_member_from_before_the_office_sees_their_status(client, member):
    Seat.objects.filter(member=member).delete()
    User.objects.filter(pk=member.pk).update(renewal_date=days(90))
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert "Your membership: Active." in text
    assert f"Renewal date: {long_date(days(90))}." in text
    assert client.post(RENEW).status_code == 403


# --- What it says in each state --------------------------------------------------------


def test_an_active_member_sees_their_level_fee_period_and_last_valid_day(client, levels):
    member = member_in(levels.full, valid_until=days(200))
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert f"Your membership is active and valid until {long_date(days(199))}." in text
    assert "Full member" in text
    assert "60.00 EUR a year" in text
    assert "12 months from joining" in text
    assert "To pay" not in text
    assert "Renew now" not in text


def test_an_active_member_within_the_notice_period_may_renew_at_an_open_level(client, levels):
    client.force_login(member_in(levels.full, valid_until=days(20)))

    response = client.get(HOME)
    html = response.content.decode()

    assert "Renew now" in html
    assert "Associate — 30.00 EUR a year" in html
    assert "Household — 90.00 EUR a year" in html
    assert "Honorary" not in html  # only staff give it
    assert f'<option value="{levels.full.pk}" selected>' in html


def test_a_member_with_a_renewal_invoice_sees_it_due_and_how_to_pay_it(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    invoice = dues_for(member, issued=days(-10), due=days(20))
    client.force_login(member)

    response = client.get(HOME)
    text = text_of(response)

    assert f"Renewal invoice {invoice.number} is due on {long_date(days(20))}." in text
    assert f'id="invoice-{invoice.number}"' in response.content.decode()
    assert "60.00 EUR" in text
    assert "DE89 3704 0044 0532 0130 00" in text
    assert "COBADEFFXXX" in text
    assert "1M Register e.V." in text
    assert grouped(invoice.reference) in text
    assert "Scan with your banking app" in text  # the GiroCode
    assert response.content.decode().count("<svg") == 1
    assert "Renew now" not in text  # the invoice is the renewal


def test_a_new_members_first_invoice_is_not_called_a_renewal(client, levels):
    member = MemberFactory()  # approved: a membership at the default level, and its invoice
    invoice = Invoice.objects.get(member=member)
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert f"Your first invoice, {invoice.number}, is due on {long_date(invoice.due_on)}." in text
    assert "Renewal invoice" not in text
    assert "60.00 EUR" in text


def test_an_overdue_member_is_told_the_last_day_to_pay_before_lapsing(client, levels):
    member = member_in(levels.full, valid_until=days(-5))
    invoice = dues_for(member, issued=days(-35), due=days(-5))
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert (
        f"Overdue — pay invoice {invoice.number} by {long_date(days(25))} "
        "or your membership lapses." in text
    )


def test_a_lapsed_member_sees_what_they_lost_and_may_renew(client, levels):
    member = member_in(
        levels.full,
        valid_until=days(-60),
        status=User.Status.LAPSED,
        lapsed_on=days(-30),
    )
    dues_for(member, issued=days(-90), due=days(-60))
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert f"Your membership lapsed on {long_date(days(-30))}." in text
    assert "you cannot RSVP to meets, register or claim cars" in text
    assert "Renew now" in text


def test_a_member_for_life_has_nothing_to_renew(client, levels):
    client.force_login(member_in(levels.life, valid_until=None))

    text = text_of(client.get(HOME))

    assert "You are a member for life: there is nothing to renew." in text
    assert "For life" in text
    assert "Renew now" not in text


def test_a_household_shares_the_membership_and_its_payer_gets_the_invoices(client, levels):
    payer = member_in(levels.household, valid_until=days(100), display_name="Olga Owner")
    partner = member_in(
        None,
        valid_until=days(100),
        membership=payer.seat.membership,
        payer=False,
        display_name="Paul Partner",
    )
    client.force_login(payer)
    payer_text = text_of(client.get(HOME))
    client.force_login(partner)
    partner_text = text_of(client.get(HOME))

    assert "Paul Partner" in payer_text
    assert "You receive the household's invoices." in payer_text
    assert "Olga Owner" in partner_text
    assert "Olga Owner receives the household's invoices and renews it." in partner_text


def test_a_household_member_who_hides_their_name_is_shown_by_number(client, levels):
    payer = member_in(levels.household, valid_until=days(100))
    partner = member_in(
        None,
        valid_until=days(100),
        membership=payer.seat.membership,
        payer=False,
        display_name="Hidden Harriet",
        name_visibility=User.Visibility.NOBODY,
    )
    client.force_login(payer)

    text = text_of(client.get(HOME))

    assert "Hidden Harriet" not in text
    assert f"Member No. {partner.membership_number}" in text


def test_a_member_with_a_mandate_is_told_the_debit_will_be_collected(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    dues_for(member, issued=days(-1), due=days(20))
    Mandate.objects.create(
        member=member,
        reference="PDK-M-0001",
        account_holder="Olga Owner",
        iban="DE02120300000000202051",
        signed_on=days(-100),
    )
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert "collected from your account ending 2051 under mandate PDK-M-0001" in text


def test_a_member_without_a_mandate_is_offered_one_once_that_page_exists(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    dues_for(member, issued=days(-1), due=days(20))
    client.force_login(member)

    response = client.get(HOME)

    assert response.status_code == 200
    try:
        mandate_url = reverse("membership:mandate")
    except NoReverseMatch:  # built by the SEPA part of the office
        assert "give a mandate" not in text_of(response)
    else:
        assert f'href="{mandate_url}"' in response.content.decode()
        assert "Pay by direct debit: give a mandate" in text_of(response)


def test_without_the_clubs_bank_account_the_page_says_whom_to_ask(client, levels, settings):
    settings.PADDOCK_BANK_IBAN = ""
    member = member_in(levels.full, valid_until=days(20))
    dues_for(member, issued=days(-1), due=days(20))
    client.force_login(member)

    response = client.get(HOME)

    assert "ask the club's staff how to pay" in text_of(response)
    assert "<svg" not in response.content.decode()


def test_the_history_lists_invoices_credit_notes_and_payments(client, levels):
    member = member_in(levels.full, valid_until=days(100))
    paid = invoice_issue(member=member, description="Dues 2025", total_cents=6000)
    payment_record(invoice=paid, amount_cents=6000, method=TRANSFER, received_on=days(-3))
    cancelled = invoice_issue(member=member, description="Meet fee", total_cents=2500)
    note = credit_note_issue(invoice=cancelled, reason="Wrong amount")
    client.force_login(member)

    text = text_of(client.get(HOME))

    assert f"{paid.number}" in text and "Paid" in text
    assert f"{cancelled.number}" in text and "Cancelled" in text
    assert f"{note.number}" in text and "Credit note" in text and "-25.00 EUR" in text
    assert "Payments received" in text and "Bank transfer" in text


def test_the_history_links_to_each_invoice_once_that_page_exists(client, levels):
    member = member_in(levels.full, valid_until=days(100))
    invoice = invoice_issue(member=member, description="Dues", total_cents=6000)
    client.force_login(member)

    html = client.get(HOME).content.decode()

    try:
        url = reverse("membership:invoice", args=[invoice.number])
    except NoReverseMatch:  # built by the documents part of the office
        assert invoice.number in html
    else:
        assert f'href="{url}"' in html


@pytest.mark.parametrize("count", [2, 50])
def test_the_page_takes_the_same_queries_for_2_invoices_and_50(
    client, levels, count, django_assert_num_queries
):
    member = member_in(levels.full, valid_until=days(20))
    for n in range(count):
        invoice = invoice_issue(member=member, description=f"Item {n}", total_cents=1000 + n)
        if n % 2:
            payment_record(invoice=invoice, amount_cents=invoice.total_cents, method=TRANSFER)
    client.force_login(member)

    # 1. the session, 2. the member, 3. their seat with membership and level,
    # 4. the membership's oldest open dues invoice, 5. their invoices with what was paid
    # on each, 6. their active mandate, 7. their payments with invoices, 8. the
    # household's seats with members, 9. the levels offered for renewal
    with django_assert_num_queries(9):
        response = client.get(HOME)

    assert response.status_code == 200
    assert response.content.decode().count('class="card mb-3 border-warning"') == count // 2


# --- Renewing ----------------------------------------------------------------------------


def test_renewing_issues_the_next_terms_invoice_once_even_when_sent_twice(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    client.force_login(member)
    data = {"level": levels.full.pk, "form_once": token_of(client.get(HOME))}

    first = client.post(RENEW, data)
    second = client.post(RENEW, data, follow=True)

    invoice = Invoice.objects.get(member=member)
    assert first.status_code == 302
    assert first["Location"] == f"{HOME}#invoice-{invoice.number}"
    assert "You sent this form twice; it was handled once." in text_of(second)
    assert invoice.period_start == days(20)
    assert invoice.total_cents == 6000
    assert invoice.level == levels.full
    page = text_of(client.get(HOME))
    assert f"Renewal invoice {invoice.number} is due on" in page


def test_renewing_again_without_the_token_gives_back_the_same_invoice(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    client.force_login(member)

    client.post(RENEW, {"level": levels.full.pk})
    response = client.post(RENEW, {"level": levels.full.pk}, follow=True)

    assert Invoice.objects.filter(member=member).count() == 1
    invoice = Invoice.objects.get(member=member)
    assert f"Your invoice {invoice.number} is open: pay it to renew." in text_of(response)


def test_renewing_at_another_level_bills_it_and_switches_when_paid(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    client.force_login(member)

    client.post(RENEW, {"level": levels.associate.pk})

    invoice = Invoice.objects.get(member=member)
    assert (invoice.level, invoice.total_cents) == (levels.associate, 3000)
    assert "Associate" in invoice.description
    membership = member.seat.membership
    membership.refresh_from_db()
    assert membership.level == levels.full  # not before it is paid

    payment_record(invoice=invoice, amount_cents=3000, method=TRANSFER)

    membership.refresh_from_db()
    assert membership.level == levels.associate
    assert membership.valid_until == add_months(days(20), 12)


def test_a_level_only_staff_give_cannot_be_chosen(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    client.force_login(member)

    response = client.post(RENEW, {"level": levels.honorary.pk}, follow=True)

    assert "Please choose one of the levels offered." in text_of(response)
    assert not Invoice.objects.filter(member=member).exists()


def test_a_made_up_level_is_refused_with_a_message(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    client.force_login(member)

    response = client.post(RENEW, {"level": "99999x"}, follow=True)

    assert response.status_code == 200
    assert "Please choose one of the levels offered." in text_of(response)
    assert not Invoice.objects.filter(member=member).exists()


def test_a_member_not_yet_due_is_told_so_and_billed_nothing(client, levels):
    member = member_in(levels.full, valid_until=days(200))
    client.force_login(member)

    response = client.post(RENEW, {"level": levels.full.pk}, follow=True)

    assert "Your membership is not due for renewal yet." in text_of(response)
    assert not Invoice.objects.filter(member=member).exists()


def test_the_household_member_who_does_not_pay_cannot_renew_it(client, levels):
    payer = member_in(levels.household, valid_until=days(10))
    partner = member_in(None, valid_until=days(10), membership=payer.seat.membership, payer=False)
    client.force_login(partner)

    assert "Renew now" not in text_of(client.get(HOME))
    response = client.post(RENEW, {"level": levels.household.pk}, follow=True)

    assert "The member who pays for your household renews it." in text_of(response)
    assert not Invoice.objects.exists()


def test_a_lapsed_member_renews_for_a_new_term_and_the_stale_invoice_is_cancelled(client, levels):
    member = member_in(
        levels.full, valid_until=days(-60), status=User.Status.LAPSED, lapsed_on=days(-30)
    )
    stale = dues_for(member, issued=days(-90), due=days(-60))
    client.force_login(member)

    response = client.post(RENEW, {"level": levels.full.pk})

    stale.refresh_from_db()
    assert stale.status == Invoice.Status.CANCELLED
    assert stale.credit_notes.get().total_cents == -6000
    fresh = Invoice.objects.get(member=member, kind="invoice", status="open")
    assert fresh.period_start == timezone.localdate()
    assert response["Location"] == f"{HOME}#invoice-{fresh.number}"

    payment_record(invoice=fresh, amount_cents=6000, method=TRANSFER)

    member.refresh_from_db()
    assert member.membership_status == User.Status.ACTIVE


def test_a_lapsed_member_who_changes_level_gets_that_levels_invoice(client, levels):
    member = member_in(
        levels.full, valid_until=days(-60), status=User.Status.LAPSED, lapsed_on=days(-30)
    )
    dues_for(member, issued=days(-90), due=days(-60))
    client.force_login(member)

    client.post(RENEW, {"level": levels.associate.pk})

    live = Invoice.objects.filter(member=member, kind="invoice").exclude(status="cancelled")
    assert [(i.level, i.total_cents) for i in live] == [(levels.associate, 3000)]


# --- The profile -------------------------------------------------------------------------


def test_the_profile_shows_level_term_open_invoice_and_links(client, levels):
    member = member_in(levels.full, valid_until=days(20))
    invoice = dues_for(member, issued=days(-10), due=days(20))
    client.force_login(member)

    response = client.get(PROFILE)
    text = text_of(response)

    assert "Level and dues" in text
    assert "Full member" in text
    assert long_date(days(19)) in text  # valid until its last day
    assert f"{invoice.number}: 60.00 EUR, due on {long_date(days(20))}" in text
    assert f'href="{HOME}"' in response.content.decode()


def test_the_profile_of_an_applicant_has_no_membership_panel(client, db):
    client.force_login(PendingMemberFactory())

    response = client.get(PROFILE)

    assert response.status_code == 200
    assert "Level and dues" not in text_of(response)


def test_the_profile_offers_renewal_when_it_is_due(client, levels):
    client.force_login(member_in(levels.full, valid_until=days(5)))

    assert "Renew my membership" in text_of(client.get(PROFILE))


def test_accounts_knows_nothing_of_the_office():
    from pathlib import Path

    import accounts

    imports = re.compile(r"^\s*(?:from|import) (\w+)", re.M)
    for source in Path(accounts.__file__).parent.rglob("*.py"):
        assert "membership" not in imports.findall(source.read_text()), source


# --- The GiroCode ------------------------------------------------------------------------


def test_the_girocode_payload_is_exactly_what_epc069_12_asks_for():
    payload = epc_payload(
        iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
        name="1M Register e.V.",
        amount_cents=1234,
        reference="RF18 5390 0754 7034",
    )

    assert payload == (
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\n1M Register e.V.\nDE89370400440532013000\n"
        "EUR12.34\n\nRF18539007547034"
    )


def test_the_girocode_of_an_issued_invoice_carries_what_is_left_to_pay(levels, monkeypatch):
    from membership import paying

    member = member_in(levels.full, valid_until=days(100))
    invoice = invoice_issue(member=member, description="Dues", total_cents=6000)
    payment_record(invoice=invoice, amount_cents=1000, method=TRANSFER)
    drawn = []
    monkeypatch.setattr(paying, "epc_svg", lambda payload: drawn.append(payload) or "<svg/>")

    pay = payment_context(invoice, balance_cents=5000, mandate=None)

    assert drawn == [
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\n1M Register e.V.\nDE89370400440532013000\n"
        f"EUR50.00\n\n{invoice.reference}"
    ]
    assert (pay["amount"], pay["girocode"]) == ("50.00 EUR", "<svg/>")
    assert pay["reference"] == grouped(invoice.reference)


def test_a_girocode_keeps_to_the_limits_of_the_standard():
    base = {"iban": IBAN, "bic": "", "name": "Club", "reference": "RF18539007547034"}

    assert epc_payload(**base, amount_cents=1).split("\n")[7] == "EUR0.01"
    assert epc_payload(**base, amount_cents=99_999_999_999).split("\n")[7] == "EUR999999999.99"
    for cents in (0, -100, 100_000_000_000):
        with pytest.raises(ValueError):
            epc_payload(**base, amount_cents=cents)
    long_name = epc_payload(**{**base, "name": "Ä" * 100}, amount_cents=100).split("\n")[5]
    assert long_name == "Ä" * 70


def test_ibans_and_references_are_printed_in_groups_of_four():
    assert grouped("DE89370400440532013000") == "DE89 3704 0044 0532 0130 00"
    assert grouped("RF18 539007547034") == "RF18 5390 0754 7034"


# --- At the same moment ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_renewing_twice_at_the_same_moment_issues_one_invoice(levels):
    member = member_in(levels.full, valid_until=days(10))
    membership = member.seat.membership
    barrier = threading.Barrier(4)
    results, errors = [], []

    def renew():
        try:
            barrier.wait(timeout=30)
            results.append(membership_renew(membership=membership).pk)
        except BaseException as error:  # noqa: BLE001 - every failure counts
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=renew) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(set(results)) == 1
    assert Invoice.objects.filter(membership=membership, kind="invoice").count() == 1
    assert not Payment.objects.exists()


# --- Accessible markup -------------------------------------------------------------------


def test_the_page_labels_its_controls_and_names_its_links_and_buttons(client, levels):
    from tests.test_accessibility_markup import audit

    member = member_in(levels.full, valid_until=days(20))
    dues_for(member, issued=days(-1), due=days(20))
    lapsed = member_in(levels.full, valid_until=days(-60), status=User.Status.LAPSED)

    for who in (member, lapsed):
        client.force_login(who)
        for url in (HOME, PROFILE):
            found = audit(client.get(url).content.decode())
            assert found.images_without_alt == []
            assert found.unlabelled_controls() == []
            assert found.unnamed == []


# --- In a real browser -------------------------------------------------------------------


@pytest.mark.browser
def test_the_page_runs_under_the_csp_copies_the_iban_and_passes_axe(live_server, page, levels):
    from axe_playwright_python.sync_playwright import Axe

    member = member_in(levels.full, valid_until=days(20), display_name="Olga Owner")
    invoice = dues_for(member, issued=days(-1), due=days(20))
    violations = member_states.csp_violations(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    member_states.log_in(page, live_server, member)

    page.goto(f"{live_server.url}{HOME}")
    page.get_by_role("button", name="Copy IBAN").click()
    assert page.evaluate("navigator.clipboard.readText()") == IBAN
    page.get_by_role("button", name="Copy Reference").click()
    assert page.evaluate("navigator.clipboard.readText()") == invoice.reference
    for path in (HOME, PROFILE):
        page.goto(f"{live_server.url}{path}")
        found = Axe().run(page).response["violations"]
        assert [v["id"] for v in found if v["impact"] in {"serious", "critical"}] == [], path

    assert violations == []
