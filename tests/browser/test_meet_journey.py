"""A member's way to a meet, in real Chromium, and the organiser at the gate.

An active member with two cars logs in from the meet's page, RSVPs with one of them and
answers the organiser's question, sees "You're going" and the check-in QR code on the meet
page and on My meets (and on a phone). The organiser, in their own browser, checks the car
in from the meet's check-in list; scanning the member's code afterwards changes nothing.
"""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from meets.models import RSVP, Meet
from tests.conftest import SCREENSHOTS
from tests.factories import TEST_PASSWORD
from tests.meets.factories import MeetFactory, QuestionFactory
from tests.register.factories import CarFactory, ColourFactory

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fail_fast(page: Page):
    """A missing element fails in 10 s rather than Playwright's default 30 s."""
    page.set_default_timeout(10_000)


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot of any page (the `screenshot` fixture covers only `page`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, user: User) -> None:
    """Fill in and send the log-in form the page is on."""
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def qr_code(page: Page):
    return page.locator("figure.qr-code svg")


def test_a_member_rsvps_with_their_car_and_the_organiser_checks_them_in(
    live_server, page: Page, browser: Browser, screenshot, member, organiser
):
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8641B")
    CarFactory(owner=member)  # Alpine White: the car that stays at home
    orange_car = CarFactory(owner=member, colour=orange)
    starts = (timezone.now() + datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    meet = MeetFactory(
        title="Eifel drive",
        venue_name="Nürburgring, parking area at the Grand-Prix track",
        description="Coffee at the track, then the Eifel roads to Adenau.",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=6),
        capacity=20,
        organisers=[organiser],
    )
    question = QuestionFactory(meet=meet, label="Dietary needs for the lunch")
    meet_url = live_server.url + meet.get_absolute_url()
    mail.outbox.clear()

    # Anonymous: the meet page invites them to log in to RSVP.
    page.goto(meet_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Eifel drive")
    expect(page.get_by_text("20 of 20 places left")).to_be_visible()
    screenshot("meet-journey-01-meet-anonymous")
    page.get_by_role("link", name="Log in to RSVP").click()

    # The log-in form, then back on the meet page.
    log_in(page, member)
    expect(page).to_have_url(meet_url)
    screenshot("meet-journey-02-meet-logged-in")
    page.get_by_role("link", name="RSVP with your car").click()

    # The RSVP form: choose the orange car, one guest, answer the question.
    expect(page.get_by_role("heading", level=1)).to_have_text("RSVP: Eifel drive")
    car_choice = page.get_by_label("The car you'll bring")
    car_choice.select_option(
        label=f"Valencia Orange BMW 1 Series M Coupé (E82) · No. {orange_car.plaque_number}"
        f" · …{orange_car.vin_short}"
    )
    page.get_by_label("Guests (passengers and friends)").fill("1")
    page.get_by_label("Dietary needs for the lunch").fill("Vegetarian")
    screenshot("meet-journey-03-rsvp-form")
    page.get_by_role("button", name="Send my RSVP").click()

    # Going: the message, the car, and the QR code to show at the gate.
    expect(page).to_have_url(meet_url)
    expect(page.get_by_role("alert").filter(has_text="You're going!")).to_be_visible()
    rsvp_card = page.locator("section", has=page.get_by_role("heading", name="Your RSVP"))
    expect(rsvp_card).to_contain_text(
        "You're going with your Valencia Orange BMW 1 Series M Coupé (E82) and 1 guest."
    )
    expect(rsvp_card).to_contain_text("19 of 20 places left")
    expect(qr_code(page)).to_be_visible()
    assert qr_code(page).bounding_box()["width"] >= 100, "the code must be big enough to scan"
    screenshot("meet-journey-04-going")

    rsvp = RSVP.objects.get(meet=meet)
    assert (rsvp.member, rsvp.car, rsvp.guests, rsvp.status) == (member, orange_car, 1, "going")
    assert rsvp.answers == {question.key: "Vegetarian"}
    assert [m.subject for m in mail.outbox] == ["You're going: Eifel drive"]

    # My meets lists it, with the same code.
    page.goto(live_server.url + "/meets/")
    page.get_by_role("link", name="My meets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My meets")
    card = page.locator("article").filter(has_text="Eifel drive")
    expect(card).to_contain_text("Going")
    expect(card).to_contain_text("With your Valencia Orange BMW 1 Series M Coupé (E82) and 1 guest")
    expect(card.locator("figure.qr-code svg")).to_be_visible()
    screenshot("meet-journey-05-my-meets")

    # The meet page on a phone: nothing sticks out sideways, the code is on screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(meet_url)
    expect(qr_code(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    screenshot("meet-journey-06-meet-phone")

    # The organiser, in their own browser, checks the car in at the gate.
    context = browser.new_context()
    try:
        gate = context.new_page()
        gate.set_default_timeout(10_000)
        gate.goto(meet_url)
        gate.get_by_role("link", name="Log in").first.click()
        log_in(gate, organiser)
        gate.goto(meet_url)
        gate.get_by_role("link", name="Check-in at the gate").click()
        expect(gate.get_by_role("heading", level=1)).to_have_text("Check-in")
        expect(gate.get_by_role("heading", name="Checked in 0 of 1")).to_be_visible()
        gate.get_by_label("Name, plate, VIN or its last 7, or plaque number").fill(
            orange_car.vin_short
        )
        gate.get_by_role("button", name="Find").click()
        expect(gate.locator("li.card")).to_have_count(1)
        expect(gate.locator("li.card")).to_contain_text("Olga Owner")
        shoot(gate, "meet-journey-07-checkin-found")
        gate.get_by_role("button", name="Check in Olga Owner").click()

        expect(gate.get_by_role("alert").filter(has_text="Checked in:")).to_be_visible()
        expect(gate.get_by_role("heading", name="Checked in 1 of 1")).to_be_visible()
        expect(gate.locator("li.card")).to_contain_text(re.compile(r"✓ In at \d\d:\d\d"))
        shoot(gate, "meet-journey-08-checked-in")

        # Scanning the member's QR code afterwards is harmless.
        gate.goto(live_server.url + rsvp.get_checkin_url())
        expect(gate.get_by_role("status").filter(has_text="Already checked in")).to_be_visible()
        expect(gate.get_by_role("button", name="Check in")).to_have_count(0)
        expect(gate.locator("main")).to_contain_text("Vegetarian")
        shoot(gate, "meet-journey-09-qr-scanned-again")
    finally:
        context.close()

    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.checked_in_by == organiser
    assert Meet.objects.get(pk=meet.pk).rsvps.filter(checked_in_at__isnull=False).count() == 1

    # The member's page says so too.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("figure.qr-code figcaption")).to_contain_text("Checked in ✓")
    screenshot("meet-journey-10-member-checked-in")
