"""Issue 18's pages as a person sees them, and where the focus goes after a form's errors.

One pass over the pages the issue touched (log-in, sign-up, the register list, the car-photo
upload, a meet, the claim form with an empty VIN, the staff review queue) at desktop and
phone width, in English and German: a screenshot of each under
test-output/screenshots/i18-<page>-<desktop|phone>-<en|de>.png, and a visible heading.

In English at desktop width, forms of three kinds are sent empty (allauth's log-in, a
crispy form, the hand-written VIN search): the focus lands on the error summary, as
static/js/form-errors.js puts it. And a date-and-time field keeps its focus ring.
"""

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_accessibility import log_in_as
from tests.conftest import SCREENSHOTS
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory, ClaimFactory, PhotoFactory

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 800}}


def sign_in(page: Page, live_server, user) -> None:
    """The page's browser context as `user` (None: a visitor), in the language it has."""
    log_in_as(page, live_server, user, keep_language=True)


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(),
                id: el.id,
                summary: el.hasAttribute('data-error-summary'),
                role: el.getAttribute('role'),
                invalid: el.getAttribute('aria-invalid'),
                outline: style.outlineStyle + ' ' + style.outlineWidth,
            };
        }"""
    )


def assert_focus_on_the_errors(page: Page, what: str) -> None:
    where = focused(page)
    assert (where["summary"] and where["role"] == "alert") or where["invalid"] == "true", (
        f"{what}: the focus is on {where}"
    )


def check_focus_after_errors(page: Page, live_server, member, staff, car) -> None:
    # allauth's log-in form, sent empty.
    sign_in(page, live_server, None)
    page.goto(live_server.url + "/accounts/login/")
    page.evaluate("() => document.querySelectorAll('form').forEach(f => f.noValidate = true)")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert_focus_on_the_errors(page, "log-in")

    # A crispy form: the car-photo upload, sent without a photo.
    sign_in(page, live_server, member)
    page.goto(f"{live_server.url}/register/cars/{car.pk}/photos/")
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()
    assert_focus_on_the_errors(page, "photo upload")
    # A link in the summary takes the focus to its field.
    page.locator("[data-error-summary] a").first.click()
    assert focused(page)["invalid"] == "true"

    # A date-and-time field keeps a visible ring wherever the focus is inside it.
    sign_in(page, live_server, staff)
    page.goto(live_server.url + "/meets/new/")
    field = page.locator("input[type=datetime-local]").first
    field.focus()
    page.keyboard.press("Tab")  # from the day to the month (or on to the time)
    ring = page.evaluate(
        "() => { const f = document.querySelector('input[type=datetime-local]');"
        " const s = getComputedStyle(f); return [f.matches(':focus-within'),"
        " s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    if ring[0]:
        assert ring[1] == "solid" and ring[2] >= 2, ring


def test_issue_18_pages_at_both_widths_in_both_languages(
    live_server, browser: Browser, member, staff
):
    car = CarFactory(owner=member)
    PhotoFactory(car=car, is_cover=True)
    for _ in range(5):
        CarFactory(unverified=True)
    meet = MeetFactory(title="Eifel drive", capacity=2)
    RSVPFactory(meet=meet)
    RSVPFactory(meet=meet)
    ClaimFactory(car=CarFactory(), claimant=member)
    CarFactory(pending=True, owner=member)
    other_car = CarFactory()
    pages = [
        ("login", None, "/accounts/login/"),
        ("signup", None, "/accounts/signup/"),
        ("register-list", None, "/register/"),
        ("meet", member, meet.get_absolute_url()),
        ("photo-upload", member, f"/register/cars/{car.pk}/photos/"),
        ("claim-empty-vin", member, "/register/claim/?vin="),
        ("claim-form", member, f"/register/cars/{other_car.pk}/claim/"),
        ("review-queue", staff, "/register/review/"),
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    for width, viewport in WIDTHS.items():
        for language, code in (("en", "en-gb"), ("de", "de")):
            context = browser.new_context(viewport=viewport)
            context.add_cookies(
                [
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": code,
                        "url": live_server.url,
                    }
                ]
            )
            # A member's own choice of language (their profile) wins over the cookie.
            for user in (member, staff):
                user.language = code
                user.save(update_fields=["language"])
            page = context.new_page()
            page.set_default_timeout(10_000)
            current = object()
            for name, user, path in pages:
                if user is not current:
                    sign_in(page, live_server, user)
                    current = user
                response = page.goto(live_server.url + path)
                assert response.status == 200, f"{name}: {path} answered {response.status}"
                expect(page.locator("html")).to_have_attribute("lang", code)
                expect(page.locator("main h1").first).to_be_visible()
                # No page scrolls sideways at phone width.
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width}"
                if name == "claim-empty-vin":
                    assert_focus_on_the_errors(page, "VIN search")
                page.screenshot(
                    path=str(SCREENSHOTS / f"i18-{name}-{width}-{language}.png"), full_page=True
                )
            if (width, language) == ("desktop", "en"):
                check_focus_after_errors(page, live_server, member, staff, car)
            context.close()
