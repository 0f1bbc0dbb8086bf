"""The club office in real Chromium: a new member's first year, and staff at the inbox.

A visitor signs up and confirms their address; a staff member finds them in the inbox and
approves them; the new member finds their first invoice on their profile, gives a SEPA
mandate online, opens the invoice and shows their membership card. The staff member sees
the money that came in on the bank statement waiting in the inbox, matches it by hand to
the invoice, and the member's page then says it is paid.
"""

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from membership.models import Invoice, Mandate, Statement, StatementLine
from membership.money import grouped
from tests.browser.test_member_journey import confirmation_path, shoot
from tests.factories import TEST_PASSWORD, MemberFactory
from tests.membership.factories import LevelFactory

pytestmark = pytest.mark.browser

NEW_EMAIL = "olivia.office@example.org"
NEW_PASSWORD = "Black-Sapphire-2012"


@pytest.fixture(autouse=True)
def _fail_fast(page: Page):
    page.set_default_timeout(10_000)


@pytest.fixture
def club(settings):
    settings.PADDOCK_BANK_IBAN = "DE89370400440532013000"
    settings.PADDOCK_BANK_BIC = "COBADEFFXXX"
    settings.PADDOCK_SEPA_CREDITOR_ID = "DE98ZZZ09999999999"
    return LevelFactory(name="Full member", slug="full", fee_cents=6000, is_default=True)


def staff_logs_in(browser: Browser, live_server, staff: User) -> Page:
    context = browser.new_context()
    admin = context.new_page()
    admin.set_default_timeout(10_000)
    admin.goto(f"{live_server.url}/admin/")
    admin.get_by_label("E-mail address").fill(staff.email)
    admin.get_by_label("Password").fill(TEST_PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    expect(admin.get_by_role("link", name="Members", exact=True).first).to_be_visible()
    return admin


def test_a_new_member_is_approved_from_the_inbox_gives_a_mandate_and_pays_their_first_dues(
    live_server, page: Page, browser: Browser, screenshot, club
):
    staff = MemberFactory(display_name="Stella Staff", is_staff=True, is_superuser=True)
    mail.outbox.clear()

    # Sign up and confirm the address.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill(NEW_EMAIL)
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Join the club", exact=True).click()
    expect(
        page.get_by_role("heading", name=re.compile("verify your e-?mail", re.I))
    ).to_be_visible()
    page.goto(live_server.url + confirmation_path(mail.outbox[0]))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    # Pending: no card yet, and the membership page says what comes next.
    page.goto(f"{live_server.url}/membership/")
    expect(page.locator("main")).to_contain_text("approv")
    screenshot("office-01-pending-membership")

    # Staff: the inbox counts the applicant and leads to the admin to approve them.
    admin = staff_logs_in(browser, live_server, staff)
    admin.goto(f"{live_server.url}/office/")
    expect(admin.get_by_role("heading", name="Staff inbox")).to_be_visible()
    to_approve = admin.locator("[data-inbox-item=members_to_approve]")
    expect(to_approve.locator("[data-count]")).to_have_attribute("data-count", "1")
    expect(admin.get_by_role("link", name=re.compile("^Office"))).to_contain_text("1")
    shoot(admin, "office-02-inbox-applicant")
    to_approve.get_by_role("link", name="Members to approve").click()
    row = admin.locator("#result_list tbody tr").filter(has_text=NEW_EMAIL)
    expect(row).to_have_count(1)
    row.locator("input[name=_selected_action]").check()
    admin.locator("select[name=action]").select_option("approve_members")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 member approved.")

    olivia = User.objects.get(email=NEW_EMAIL)
    assert olivia.membership_status == User.Status.ACTIVE
    invoice = Invoice.objects.get(member=olivia)
    # The first term runs to the end of the calendar year, pro rata from this month.
    months = 13 - datetime.date.today().month
    assert invoice.total_cents == (6000 * months * 2 + 12) // 24
    notices = [m for m in mail.outbox if invoice.number in m.subject]
    assert notices and notices[0].attachments[0][0] == f"invoice-{invoice.number}.pdf"

    # The member's profile shows the invoice; the membership page shows how to pay.
    page.goto(f"{live_server.url}/accounts/profile/")
    panel = page.locator("main")
    expect(panel).to_contain_text(invoice.number)
    screenshot("office-03-profile-panel")
    page.get_by_role("link", name="Pay or see my invoices").click()
    expect(page.get_by_role("heading", name="My membership")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("DE89 3704 0044 0532 0130 00")
    screenshot("office-04-membership-to-pay")

    # A SEPA mandate, given online.
    page.get_by_role("link", name="Pay by direct debit: give a mandate").click()
    expect(page.get_by_role("heading", name="Pay your dues by direct debit")).to_be_visible()
    page.get_by_label("Account holder").fill("Olivia Office")
    page.get_by_label("IBAN").fill("de02 1203 0000 0000 2020 5")  # one digit short
    page.get_by_label("I give the SEPA direct debit mandate above.").check()
    page.get_by_role("button", name="Give the mandate").click()
    expect(page.locator(".invalid-feedback, .errorlist").first).to_be_visible()
    screenshot("office-05-mandate-bad-iban")
    page.get_by_label("IBAN").fill("de02 1203 0000 0000 2020 51")
    page.get_by_label("I give the SEPA direct debit mandate above.").check()
    page.get_by_role("button", name="Give the mandate").click()
    expect(page.get_by_role("heading", name="Your mandate")).to_be_visible()
    mandate = Mandate.objects.get(member=olivia, status=Mandate.Status.ACTIVE)
    assert mandate.iban == "DE02120300000000202051"
    expect(page.locator("main")).to_contain_text(mandate.reference)
    screenshot("office-06-mandate-given")

    # The invoice, printable.
    page.goto(f"{live_server.url}/membership/")
    page.get_by_role("link", name="View the invoice").first.click()
    expect(page.locator("main")).to_contain_text(invoice.number)
    expect(page.locator("main")).to_contain_text(grouped(invoice.reference))  # fours
    screenshot("office-07-invoice")

    # The card.
    page.goto(f"{live_server.url}/membership/card/")
    expect(page.get_by_role("heading", name="Membership card", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(str(olivia.membership_number))
    screenshot("office-08-card")

    # The money arrives by transfer without the reference: the statement line waits.
    statement = Statement.objects.create(
        format=Statement.Format.CAMT053, filename="december.xml", sha256="0" * 64
    )
    line = StatementLine.objects.create(
        statement=statement,
        booked_on=datetime.date.today(),
        amount_cents=invoice.total_cents,
        counterparty_name="Olivia Office",
        remittance="Mitgliedsbeitrag Olivia",
        fingerprint="f" * 64,
    )
    admin.goto(f"{live_server.url}/office/")
    waiting = admin.locator("[data-inbox-item=unmatched_payments]")
    expect(waiting.locator("[data-count]")).to_have_attribute("data-count", "1")
    shoot(admin, "office-09-inbox-unmatched")
    waiting.get_by_role("link", name="Unmatched payments").click()
    card = admin.locator(f"#line-{line.pk}")
    expect(card).to_contain_text("Olivia Office")
    card.get_by_label("Invoice number").fill(invoice.number)
    card.get_by_role("button", name="Match", exact=True).click()
    expect(admin.get_by_role("alert").first).to_contain_text(invoice.number)
    shoot(admin, "office-10-matched")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID

    # The member sees it paid, and nothing left to pay.
    page.goto(f"{live_server.url}/membership/")
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Paid")
    screenshot("office-11-paid")

    # On a phone: the page and the card fit the screen, nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [
        ("/membership/", "office-12-phone-membership"),
        ("/membership/card/", "office-13-phone-card"),
    ]:
        page.goto(live_server.url + path)
        # Wide tables scroll inside their own box (.table-responsive), not the page.
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
        screenshot(name)
    admin.context.close()
