"""A car's journey onto the register, in real Chromium.

A member logs in → registers their car through the form → adds a photo → a staff member
verifies it in the Django admin → anyone finds it on the public register, with its plaque
number and its rarity. And the register and the car page on a phone.
"""

import re

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from register.models import Car, CarPhoto, Colour
from tests.conftest import SCREENSHOTS
from tests.factories import TEST_PASSWORD, MemberFactory
from tests.register.factories import ColourFactory, ModelLineFactory

pytestmark = pytest.mark.browser

TYPED_VIN = "wbs-ur920-50vk-12345"  # as a member types it off the registration papers
VIN = "WBSUR92050VK12345"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(autouse=True)
def _fail_fast(page: Page):
    """A missing element fails in 10 s rather than Playwright's default 30 s."""
    page.set_default_timeout(10_000)


def make_jpeg(path, *, size=(1200, 800), colour=(31, 78, 156)):
    """A real JPEG, Monte Carlo Blue all over, with a lighter band: a phone's photo."""
    image = Image.new("RGB", size, colour)
    image.paste((120, 160, 220), (0, size[1] // 3, size[0], size[1] // 2))
    image.save(path, "JPEG", quality=85)
    return path


def wait_until_loaded(page: Page, selector: str) -> None:
    """Wait until the picture at `selector` has arrived and decoded (fails after 10 s)."""
    # A promise in one evaluate, not wait_for_function: its polling evaluates a string in
    # the page, which the site's CSP refuses whenever the picture is not there at once.
    page.wait_for_selector(selector, state="attached")
    loaded = page.evaluate(
        """(selector) => { const img = document.querySelector(selector);
            return img.complete ? img.naturalWidth > 0 : new Promise((done) => {
                img.onload = () => done(img.naturalWidth > 0); img.onerror = () => done(false);
                setTimeout(() => done(img.complete && img.naturalWidth > 0), 10000); }); }""",
        selector,
    )
    assert loaded, f"the picture at {selector} did not load"


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Screenshot of a page other than the `page` fixture's."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def staff_verifies(browser: Browser, live_server, *, staff: User, vin: str) -> None:
    """A staff member, in their own browser, runs "Verify selected cars" on the changelist."""
    context = browser.new_context()
    try:
        admin = context.new_page()
        admin.set_default_timeout(10_000)
        admin.goto(f"{live_server.url}/admin/")
        admin.get_by_label("E-mail address").fill(staff.email)
        admin.get_by_label("Password").fill(TEST_PASSWORD)
        admin.get_by_role("button", name="Log in").click()
        expect(admin.get_by_role("link", name="Cars", exact=True)).to_be_visible()

        admin.goto(f"{live_server.url}/admin/register/car/?review_status__exact=pending")
        row = admin.locator("#result_list tbody tr").filter(has_text=vin)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Waiting for staff")
        row.locator("input[name=_selected_action]").check()
        admin.locator("select[name=action]").select_option(
            label="Verify selected cars (give plaque numbers)"
        )
        shoot(admin, "register-05-admin-verify")
        admin.get_by_role("button", name="Go").click()

        expect(admin.locator(".messagelist")).to_contain_text("1 car verified.")
        shoot(admin, "register-06-admin-verified")
    finally:
        context.close()


def test_a_member_registers_their_car_with_a_photo_and_after_verification_anyone_finds_it(
    live_server, page: Page, browser: Browser, screenshot, tmp_path
):
    line = ModelLineFactory()
    ColourFactory(model_line=line, name="Valencia Orange", paint_code="A76", swatch="#E8731A")
    ColourFactory(
        model_line=line,
        name="Monte Carlo Blue",
        paint_code="X04",
        kind=Colour.Kind.SPECIAL,
        swatch="#1F4E9C",
        reported_production=2,
    )
    member = MemberFactory(display_name="Mara Monte", country="BE")
    staff = MemberFactory(display_name="Stella Staff", is_staff=True, is_superuser=True)

    # The member logs in through the log-in form and finds the button on the register.
    page.goto(f"{live_server.url}/register/")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Log in"
    ).click()
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    screenshot("register-00-login")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Mara Monte")).to_be_visible()
    page.goto(f"{live_server.url}/register/")
    page.get_by_role("link", name="Register your car").click()

    # The form: the VIN as typed from the papers, with dashes and in lower case.
    expect(page.get_by_role("heading", name="Register your car")).to_be_visible()
    page.get_by_role("textbox", name="VIN").fill(TYPED_VIN)
    page.get_by_label("Model line").select_option(label=line.name)
    page.get_by_label("Colour").select_option(label="Monte Carlo Blue (X04)")
    page.get_by_label("Build month").fill("2011-09")
    page.get_by_label("First market").select_option(label="Belgium")
    page.get_by_label("Where it lives now").select_option(label="Belgium")
    page.get_by_label("The car's story").fill("One of two in Monte Carlo Blue, they say.")
    page.get_by_label("You have owned it since").fill("2019-03-15")
    screenshot("register-01-add-form")
    page.get_by_role("button", name="Register my car").click()

    # The car's page: waiting for staff, the full VIN for its owner, no plaque yet.
    car = Car.objects.get()
    expect(page).to_have_url(f"{live_server.url}{car.get_absolute_url()}")
    expect(page.get_by_role("alert")).to_contain_text("the registrar will verify it")
    main = page.locator("main")
    expect(main).to_contain_text("This car is waiting for the registrar to verify it.")
    expect(main).to_contain_text(f"VIN {VIN}")
    expect(main).not_to_contain_text("No. ")
    assert (car.vin, car.review_status, car.plaque_number) == (VIN, "pending", None)
    screenshot("register-02-car-pending")

    # A photo from the member's phone.
    page.get_by_role("link", name="Add a photo").click()
    expect(page.get_by_role("heading", name="Add a photo")).to_be_visible()
    photo_input = page.get_by_label(re.compile(r"^\s*Photo\W*$"))  # label: "Photo*"
    photo_input.set_input_files(make_jpeg(tmp_path / "blue.jpg"))
    page.get_by_label("Caption").fill("Fresh from the wash")
    screenshot("register-03-photo-form")
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("alert")).to_contain_text("We removed its location")
    hero = page.locator("figure.car-hero img")
    expect(hero).to_have_attribute("alt", "Fresh from the wash")
    expect(hero).to_have_attribute("src", re.compile(rf"^/media/cars/{car.pk}/.+\.jpg$"))
    wait_until_loaded(page, "figure.car-hero img")  # the photo must load
    photo = CarPhoto.objects.get()
    assert photo.is_cover
    screenshot("register-04-car-with-photo")

    # Staff verify it in the Django admin, in their own browser.
    staff_verifies(browser, live_server, staff=staff, vin=VIN)
    car.refresh_from_db()
    assert car.review_status == Car.Review.VERIFIED
    assert car.plaque_number is not None
    plaque = f"No. {car.plaque_number}"

    # Anyone, logged in or not, finds it on the public register.
    visitor = browser.new_context()
    try:
        public = visitor.new_page()
        public.set_default_timeout(10_000)
        public.goto(f"{live_server.url}/register/")
        expect(public.locator("main")).to_contain_text("1 car match")
        card = public.locator("article.car-card")
        expect(card).to_have_count(1)
        expect(card).to_contain_text(plaque)
        expect(card).to_contain_text("Monte Carlo Blue")
        expect(card).to_contain_text("✓ Verified")
        expect(card).to_contain_text("••••••••••VK12345")
        expect(card).not_to_contain_text(VIN)
        wait_until_loaded(public, "article.car-card img")
        shoot(public, "register-07-public-list", full_page=True)

        card.get_by_role("link").click()
        expect(public).to_have_url(f"{live_server.url}{car.get_absolute_url()}")
        expect(public.get_by_role("heading", level=1)).to_contain_text(plaque)
        rarity = public.locator("section.rarity-callout:visible")
        expect(rarity).to_contain_text("The only Monte Carlo Blue car on the register")
        expect(rarity).to_contain_text("100.0% of the 1 BMW 1 Series M Coupé (E82) car on")
        expect(rarity).to_contain_text("Special paint")
        page_text = public.locator("main")
        expect(page_text).to_contain_text("✓ Verified by the registrar")
        expect(page_text).not_to_contain_text(VIN)
        # The owner's name is for members only (their default): the public sees neither
        # it nor the membership number, which would tie the member's cars together.
        expect(page_text).not_to_contain_text("Mara Monte")
        expect(page_text).not_to_contain_text(f"Member No. {member.membership_number}")
        expect(page_text).to_contain_text("A member")
        wait_until_loaded(public, "figure.car-hero img")
        shoot(public, "register-08-public-car", full_page=True)
    finally:
        visitor.close()

    # On a phone: the register list and the car's page fit the screen.
    phone = browser.new_context(**PHONE)
    try:
        mobile = phone.new_page()
        mobile.set_default_timeout(10_000)
        mobile.goto(f"{live_server.url}/register/")
        expect(mobile.locator("article.car-card")).to_contain_text(plaque)
        wait_until_loaded(mobile, "article.car-card img")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
        shoot(mobile, "register-phone-01-list", full_page=True)

        mobile.goto(f"{live_server.url}{car.get_absolute_url()}")
        expect(mobile.locator("section.rarity-callout:visible")).to_contain_text(
            "The only Monte Carlo"
        )
        wait_until_loaded(mobile, "figure.car-hero img")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
        shoot(mobile, "register-phone-02-car", full_page=True)
    finally:
        phone.close()
