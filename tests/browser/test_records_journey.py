"""A verified car's records, in real Chromium: a change that waits, and a reading that drops.

The owner of a verified car changes its colour: the page says the change waits for the
registrar, and the car keeps its old colour and its verification. A staff member, in their
own browser, sees the before and after in the review queue and accepts it; the car page
shows the new colour. Then the owner records a mileage lower than an earlier one: the form
warns them and asks them to confirm, and the car page marks the reading.
"""

import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from register.models import Car, CarChangeRequest, MileageReading
from tests.conftest import SCREENSHOTS
from tests.factories import TEST_PASSWORD
from tests.register.factories import CarFactory, ColourFactory, MileageReadingFactory

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


def spec_colour(page: Page):
    """The colour in the car page's "Factory specification" card."""
    spec = page.get_by_role("region", name="Factory specification")
    return spec.locator("dt", has_text="Colour").locator("xpath=following-sibling::dd[1]")


def staff_accepts_the_change(browser: Browser, live_server, *, staff: User, car: Car) -> None:
    """A staff member, in their own browser, accepts the change from the review queue."""
    context = browser.new_context()
    try:
        review = context.new_page()
        review.set_default_timeout(10_000)
        review.goto(f"{live_server.url}/register/review/")
        log_in(review, staff)
        expect(review).to_have_url(f"{live_server.url}/register/review/")

        changes = review.get_by_role("region", name="Changes to verified cars")
        card = changes.get_by_role("article")
        expect(card).to_have_count(1)
        expect(card).to_contain_text(f"No. {car.plaque_number}")
        expect(card).to_contain_text("Proposed by Olga Owner")
        row = card.get_by_role("row", name="Colour")
        expect(row.get_by_role("deletion")).to_have_text("Valencia Orange (A76)")
        expect(row.get_by_role("insertion")).to_have_text("Java Green (428)")
        shoot(review, "records-change-review")

        card.get_by_role("button", name="Approve").click()
        expect(review.get_by_role("alert")).to_contain_text(
            "Change accepted: BMW 1 Series M Coupé (E82)"
        )
        expect(review.get_by_text("No changes are waiting.")).to_be_visible()
    finally:
        context.close()


def test_an_owner_changes_a_verified_cars_colour_and_records_a_reading_that_goes_backwards(
    live_server, page: Page, browser: Browser, screenshot, member, staff
):
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8731A")
    ColourFactory(name="Java Green", paint_code="428", swatch="#6BA539")
    car = CarFactory(owner=member, colour=orange)
    MileageReadingFactory(
        car=car, read_on=datetime.date(2023, 5, 1), kilometres=48_000, recorded_by=member
    )
    car_url = f"{live_server.url}{car.get_absolute_url()}"

    # The owner logs in on the way to the edit page and changes the colour.
    page.goto(f"{live_server.url}/register/cars/{car.pk}/edit/")
    log_in(page, member)
    expect(page.get_by_role("heading", name="Edit your car")).to_be_visible()
    expect(page.locator("main")).to_contain_text("goes to the registrar first")
    page.get_by_label("Colour").select_option(label="Java Green (428)")
    page.get_by_role("button", name="Save").click()

    # Saved, but waiting: the car keeps its old colour and stays verified.
    expect(page).to_have_url(car_url)
    expect(page.get_by_role("alert")).to_contain_text(
        "Saved. Your change to the car's factory facts is waiting for the registrar"
    )
    expect(spec_colour(page)).to_have_text("Valencia Orange (A76)")
    expect(page.locator("main")).to_contain_text("✓ Verified by the registrar")
    change = CarChangeRequest.objects.get()
    assert change.state == CarChangeRequest.State.PENDING

    # Staff accept it from the review queue; the car page shows the new colour.
    staff_accepts_the_change(browser, live_server, staff=staff, car=car)
    page.goto(car_url)
    expect(spec_colour(page)).to_have_text("Java Green (428)")
    expect(page.locator("main")).to_contain_text("✓ Verified by the registrar")
    car.refresh_from_db()
    assert (car.colour.name, car.review_status) == ("Java Green", Car.Review.VERIFIED)

    # A reading lower than the one from 2023: the form warns and asks to confirm.
    page.get_by_role("link", name="Add a reading").click()
    expect(page.get_by_role("heading", name="Add a mileage reading")).to_be_visible()
    page.get_by_label("Read on").fill("2024-06-01")
    page.get_by_label("Odometer reading").fill("4800")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("main")).to_contain_text(
        "This reading goes backwards: the car had 48,000 km on"
    )
    confirm = page.get_by_label("Yes, the odometer really shows this reading")
    expect(confirm).not_to_be_checked()
    assert MileageReading.objects.count() == 1
    confirm.check()
    page.get_by_role("button", name="Save").click()

    # The car page lists it, marked as going backwards; the earlier one is not marked.
    expect(page).to_have_url(car_url)
    expect(page.get_by_role("alert")).to_contain_text("Mileage recorded: 4,800 km.")
    readings = page.get_by_role("table", name="Odometer readings").locator("tbody tr")
    expect(readings).to_have_count(2)
    expect(readings.nth(0)).to_contain_text("1 Jun 2024")
    expect(readings.nth(0)).to_contain_text("4,800")
    expect(readings.nth(0)).to_contain_text("goes backwards")
    expect(readings.nth(1)).to_contain_text("48,000")
    expect(readings.nth(1)).not_to_contain_text("goes backwards")
    screenshot("records-mileage-flagged")
    assert MileageReading.objects.get(kilometres=4_800).flagged
