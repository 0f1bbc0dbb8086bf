"""Every main page runs in Chromium under the site's CSP without a single violation."""

import pytest
from playwright.sync_api import Page, expect

from meets.models import Meet
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.browser


def test_the_main_pages_load_without_a_content_security_policy_violation(
    live_server, page: Page, member
):
    car = CarFactory(owner=member)
    meet = MeetFactory(attendee_visibility=Meet.AttendeeVisibility.PUBLIC)
    RSVPFactory(meet=meet)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    paths = [
        "/",
        "/register/",
        car.get_absolute_url(),
        "/register/stats/",
        "/register/for-sale/",
        "/register/sightings/new/",
        "/api/docs/",
        "/meets/",
        meet.get_absolute_url(),
        "/accounts/login/",
        "/accounts/signup/",
        "/admin/login/",
    ]

    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        page.wait_for_load_state("load")

    assert violations == []
    # The API's browsable docs draw its endpoints from the schema, with scripts of our own.
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 6
    assert violations == []
    # The listener does hear a violation: an inline script is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    assert any("script-src" in text for text in violations)
