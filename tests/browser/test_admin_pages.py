"""The admin as staff see it in Chromium at 1280 px, in a browser outside the club's time zone:
axe-core on the index and the members' list, no sideways scroll, underlined breadcrumbs,
and no "You are 1 hour behind server time" under the date and time fields."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import describe, log_in_as, serious_violations
from tests.factories import MemberFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args(browser_context_args):
    # Elsewhere than the club (Europe/Berlin): Django's admin would warn under every field.
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 800},
        "timezone_id": "America/New_York",
    }


def test_the_admin_index_members_list_and_a_date_field_at_1280_px(
    page: Page, live_server, staff, screenshot
):
    page.set_default_timeout(10_000)
    for n in range(12):
        MemberFactory(
            email=f"a.rather.long.address.of.member.{n}@example-motor-club.org",
            display_name=f"Maximiliane von Hohenzollern-Sigmaringen {n}",
        )
    log_in_as(page, live_server, staff)
    failures = {}

    page.goto(live_server.url + "/admin/")
    expect(page.locator("#content-main caption").filter(has_text="Club office")).to_be_visible()
    failures["index"] = serious_violations(page)
    screenshot("admin-index-1280")

    page.goto(live_server.url + "/admin/accounts/user/")
    screenshot("admin-members-1280")
    widths = page.evaluate(
        """() => {
            const root = document.documentElement, results = document.querySelector('.results');
            return {page: [root.scrollWidth, root.clientWidth],
                    results: [results.scrollWidth, results.clientWidth]};
        }"""
    )
    assert widths["page"][0] <= widths["page"][1], widths
    assert widths["results"][0] <= widths["results"][1], widths
    crumb = page.locator("div.breadcrumbs a").first
    assert crumb.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline"
    failures["members"] = serious_violations(page)

    page.goto(live_server.url + "/admin/meets/meet/add/")
    expect(page.locator(".timezone-note").first).to_have_text(
        "Times are in the club’s time zone (Europe/Berlin)."
    )
    warning = page.locator(".timezonewarning")
    expect(warning.first).to_be_attached()  # Django's script added it: the browser is elsewhere
    expect(warning.first).to_be_hidden()
    screenshot("admin-meet-add-1280")

    failures = {name: found for name, found in failures.items() if found}
    assert not failures, "\n".join(f"{name}:\n{describe(v)}" for name, v in failures.items())
