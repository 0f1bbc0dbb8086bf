"""The register that knows its cars best, in real Chromium, at desktop and phone width.

A visitor opens a car's page: its factory facts with their sources (a paint code in
dispute shown side by side), its earlier owners as a summary without names, the journey
map through its owners' countries, when it was last seen and that it is for sale. On a
phone the visitor reports a sighting of it; the registrar accepts it from the review page,
and the car's timeline says where it was seen, in the town only. The statistics page shows
the world map of the register and the survival estimate, at both widths.
"""

import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from register import fact_services
from register.facts import CarFact
from register.lastseen import note_evidence
from register.models import Car, Sighting
from register.sale import listing_create
from tests.browser.test_records_journey import log_in, shoot
from tests.register.factories import CarFactory, ColourFactory, OwnershipFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _fail_fast(page: Page):
    page.set_default_timeout(10_000)


def fits_the_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def a_car_with_a_story(member, staff) -> Car:
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8731A")
    car = CarFactory(colour=orange, market="US", country="NL")
    for started, ended, country in (
        (datetime.date(2011, 5, 1), datetime.date(2016, 3, 1), "US"),
        (datetime.date(2016, 3, 1), datetime.date(2021, 7, 1), "DE"),
    ):
        OwnershipFactory(
            car=car,
            member=None,
            owner_name="Ernst Earlier",
            started_on=started,
            ended_on=ended,
            country=country,
        )
    OwnershipFactory(car=car, member=member, started_on=datetime.date(2021, 7, 1), country="NL")
    fact_services.car_fact_add(
        car=car,
        field="paint_code",
        value="A76",
        source=CarFact.Source.FACTORY_PAPERS,
        confidence=CarFact.Confidence.CONFIRMED,
        user=staff,
    )
    fact_services.car_fact_add(
        car=car,
        field="paint_code",
        value="475",
        source=CarFact.Source.OWNER,
        confidence=CarFact.Confidence.UNCERTAIN,
        user=member,
    )
    note_evidence(car.pk, datetime.date(2025, 6, 14), Car.Evidence.CHECK_IN)
    listing_create(car=car, seller=member, price_cents=6_450_000, description="Full history.")
    for n, country in enumerate(("DE", "DE", "GB", "FR", "US", "JP")):
        CarFactory(colour=orange, country=country, vin=f"WBSUR9C50B99{n:05d}")
    return car


def test_a_visitor_reads_a_cars_record_reports_a_sighting_and_the_registrar_accepts_it(
    live_server, page: Page, browser: Browser, member, staff
):
    car = a_car_with_a_story(member, staff)
    car_url = f"{live_server.url}{car.get_absolute_url()}"

    # Desktop: the facts with their sources, the dispute side by side, the provenance.
    page.set_viewport_size(DESKTOP)
    page.goto(car_url)
    facts = page.get_by_role("region", name="Factory facts and their sources")
    expect(facts).to_contain_text("Factory papers")
    expect(facts).to_contain_text("475")
    expect(facts).to_contain_text("The registrar has not settled this yet.")
    main = page.locator("main")
    expect(main).to_contain_text("2 earlier owners, 2011–2021")
    expect(main).not_to_contain_text("Ernst Earlier")
    expect(main).to_contain_text("Last seen")
    expect(main).to_contain_text("For sale")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    shoot(page, "register-knows-car-desktop")

    # A phone: the same page fits; the visitor reports a sighting of the car.
    page.set_viewport_size(PHONE)
    page.reload()
    assert fits_the_width(page)
    shoot(page, "register-knows-car-phone")
    page.get_by_role("link", name="Seen this car?").click()
    expect(page.get_by_role("heading", name="Report a sighting")).to_be_visible()
    assert fits_the_width(page)
    page.get_by_label("Town or nearest town").fill("Spa")
    page.get_by_label("Country").select_option("BE")
    page.get_by_label("Date seen").fill("2026-07-26")
    page.get_by_label("Your e-mail address").fill("spotter@example.org")
    shoot(page, "register-knows-sighting-form-phone")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Thank you")
    sighting = Sighting.objects.get()
    assert (sighting.car, sighting.state) == (car, Sighting.State.PENDING)

    # The registrar accepts it from the review page, in their own browser.
    context = browser.new_context(viewport=DESKTOP)
    try:
        review = context.new_page()
        review.set_default_timeout(10_000)
        review.goto(f"{live_server.url}/register/review/sightings/")
        log_in(review, staff)
        card = review.get_by_role("article").filter(has_text="Spa")
        expect(card).to_contain_text(f"No. {car.plaque_number}")
        shoot(review, "register-knows-sighting-review")
        card.get_by_role("button", name="Accept", exact=True).click()
        expect(review.get_by_role("alert")).to_contain_text("accepted")
    finally:
        context.close()

    page.goto(car_url)
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Seen in Spa, Belgium")
    expect(page.locator("main")).not_to_contain_text("spotter@example.org")
    car.refresh_from_db()
    assert car.last_seen_on == datetime.date(2026, 7, 26)


def test_the_statistics_page_draws_the_map_and_the_survival_estimate(live_server, page: Page):
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", reported_production=2_000)
    for n, country in enumerate(["DE"] * 6 + ["NL"] * 3 + ["GB", "US", "JP", "CH"]):
        car = CarFactory(colour=orange, country=country, vin=f"WBSUR9C50B88{n:05d}")
        note_evidence(car.pk, datetime.date(2025, 5, 1), Car.Evidence.MILEAGE)

    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/register/stats/")
        world = page.get_by_role("img", name="Map: where the registered cars live")
        expect(world).to_be_visible()
        expect(page.locator("main")).to_contain_text("survive")
        assert fits_the_width(page), name
        shoot(page, f"register-knows-stats-{name}")
