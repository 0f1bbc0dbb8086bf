"""The register's list on a phone (issue 18): a compact row a car, not a tall card.

A page of 24 cars was about 10,000 px tall at 375 px wide, most of it grey placeholders.
One page load per language; screenshots under test-output/screenshots/.
"""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from register.models import Car
from tests.conftest import SCREENSHOTS
from tests.register.factories import CarFactory, ColourFactory, PhotoFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
TALLEST = 3_500  # px: the whole page, 24 cars, header and footer included


def test_a_page_of_24_cars_is_a_compact_list_on_a_phone(live_server, page: Page):
    black = ColourFactory(name="Black Sapphire Metallic", paint_code="475", swatch="#1B1B1F")
    for n in range(24):
        car = CarFactory(
            colour=black if n % 3 else None,
            build_date=datetime.date(2011, 1 + n % 12, 1),
            **({"unverified": True} if n % 4 == 0 else {}),
        )
        if n % 5 == 0:
            PhotoFactory(car=car, is_cover=True)
    Car.objects.filter(plaque_number__isnull=True).update(status=Car.Status.STORED)
    page.set_viewport_size(PHONE)

    for language, word in [("en-gb", "Colour unknown"), ("de", "Farbe unbekannt")]:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        page.goto(live_server.url + reverse("register:list"))

        cards = page.locator("article.car-card")
        expect(cards).to_have_count(24)
        expect(cards.filter(has_text=word).first).to_be_visible()
        height = page.evaluate("document.documentElement.scrollHeight")
        # The thumbnails load lazily: bring them all in for the screenshot.
        page.evaluate(
            "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
        )
        # A promise in one evaluate, not wait_for_function: its polling evaluates a string
        # in the page, which the site's CSP refuses whenever the first look finds one
        # picture still loading.
        page.evaluate(
            """() => Promise.all([...document.images].map((image) => image.complete || new
                Promise((done) => { image.onload = image.onerror = done;
                    setTimeout(done, 10000); })))"""
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = "en" if language == "en-gb" else "de"
        page.screenshot(path=str(SCREENSHOTS / f"register-list-phone-{name}.png"), full_page=True)
        assert height < TALLEST, f"{language}: the list is {height} px tall"
        assert width <= PHONE["width"], f"{language}: the list is {width} px wide"
        # A car's photo is a small thumbnail beside its facts, not a banner across the card.
        photo = cards.locator("img.car-thumb").first.bounding_box()
        assert photo["width"] < 100, photo
        # A placeholder without a photo takes no room at all.
        assert cards.locator(".car-thumb-empty").first.is_hidden()
