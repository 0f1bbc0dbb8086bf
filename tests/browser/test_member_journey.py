"""A new member's journey through the site, in real Chromium.

Sign up → confirm the e-mail → fill in the profile with a photo → wait for approval
(the members' directory is closed until then) → a staff member approves them in the
Django admin → the member finds themself in the directory. And the same site on a phone.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from tests.conftest import SCREENSHOTS
from tests.factories import TEST_PASSWORD, MemberFactory

pytestmark = pytest.mark.browser

NEW_EMAIL = "nina.newcomer@example.org"
NEW_PASSWORD = "Valencia-Orange-2011"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")


@pytest.fixture(autouse=True)
def _fail_fast(page: Page):
    """A missing element fails in 10 s rather than Playwright's default 30 s."""
    page.set_default_timeout(10_000)


def make_jpeg(path, *, size=(640, 480), colour=(212, 99, 24)):
    """A small, real JPEG: what a member's phone would upload."""
    Image.new("RGB", size, colour).save(path, "JPEG", quality=85)
    return path


def confirmation_path(message) -> str:
    """The path of the confirmation link in an allauth e-mail.

    The link is absolute and, with DEBUG off, uses https (ACCOUNT_DEFAULT_HTTP_PROTOCOL);
    the live server speaks plain http, so the test follows the path on it.
    """
    match = CONFIRM_LINK.search(message.body)
    assert match, f"No confirmation link in:\n{message.body}"
    return urlsplit(match.group(0)).path


def shoot(page: Page, name: str) -> None:
    """Screenshot of what the window shows, for a page other than the `page` fixture's.

    Not full-page: the admin changelist's country filter lists every country on earth
    and makes the page several thousand pixels tall.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def admin_approves(browser: Browser, live_server, *, staff: User, member: User) -> None:
    """A staff member, in their own browser, runs "Approve selected members" on the changelist."""
    context = browser.new_context()
    try:
        admin = context.new_page()
        admin.goto(f"{live_server.url}/admin/")
        admin.get_by_label("E-mail address").fill(staff.email)
        admin.get_by_label("Password").fill(TEST_PASSWORD)
        admin.get_by_role("button", name="Log in").click()
        expect(admin.get_by_role("link", name="Members", exact=True).first).to_be_visible()

        admin.goto(f"{live_server.url}/admin/accounts/user/?membership_status__exact=pending")
        row = admin.locator("#result_list tbody tr").filter(has_text=member.email)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Pending approval")
        row.locator("input[name=_selected_action]").check()
        admin.locator("select[name=action]").select_option("approve_members")
        shoot(admin, "journey-05-admin-approve")
        admin.get_by_role("button", name="Go").click()

        expect(admin.locator(".messagelist")).to_contain_text("1 member approved.")
        shoot(admin, "journey-06-admin-approved")
    finally:
        context.close()


def test_a_visitor_joins_fills_in_their_profile_and_after_approval_finds_themself_in_the_directory(
    live_server, page: Page, browser: Browser, screenshot, tmp_path
):
    staff = MemberFactory(display_name="Stella Staff", is_staff=True, is_superuser=True)
    mail.outbox.clear()

    # The home page invites the visitor to join.
    page.goto(live_server.url)
    hero = page.locator("section.hero")
    expect(hero.get_by_role("heading", level=1)).to_have_text("BMW 1 Series M Register")
    screenshot("journey-00-home")
    hero.get_by_role("link", name="Join the club").click()

    # Sign up with e-mail and password.
    expect(page.get_by_role("heading", name="Join the club", exact=True)).to_be_visible()
    page.get_by_label("Email").fill(NEW_EMAIL)
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(NEW_PASSWORD)  # label: "Password*"
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    screenshot("journey-01-signup")
    page.get_by_role("button", name="Join the club", exact=True).click()

    # "Verify your e-mail": not logged in yet, a confirmation e-mail is on its way.
    verify = page.get_by_role("heading", name=re.compile("verify your e-?mail", re.I))
    expect(verify).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert [m.to for m in mail.outbox] == [[NEW_EMAIL]]

    # The member follows the link in the e-mail and presses Confirm.
    page.goto(live_server.url + confirmation_path(mail.outbox[0]))
    expect(
        page.get_by_role("heading", name=re.compile("confirm your e-?mail", re.I))
    ).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    # Logged in straight away (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION), on their profile.
    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_role("button", name=NEW_EMAIL)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Pending approval")

    # Edit the profile: name, place, bio, privacy and a photo.
    page.get_by_role("link", name="Edit profile").click()
    expect(page.get_by_role("heading", name="Edit your profile")).to_be_visible()
    page.get_by_label("Display name").fill("  Nina   Newcomer ")
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_label("City", exact=True).fill("Adenau")
    page.get_by_label("Short bio").fill("Alpine White, 2011, manual. First Ring weekend this year.")
    page.get_by_label("Club members only").check()
    page.get_by_label("Photo", exact=True).set_input_files(make_jpeg(tmp_path / "nina.jpg"))
    screenshot("journey-02-profile-edit")
    page.get_by_role("button", name="Save profile").click()

    # Saved: the message, the details and the photo on the profile page.
    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_role("alert")).to_contain_text("Your profile has been saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nina Newcomer")
    about = page.locator("section", has=page.get_by_role("heading", name="About you"))
    expect(about).to_contain_text("Germany")
    expect(about).to_contain_text("Adenau")
    expect(about).to_contain_text("First Ring weekend this year.")
    expect(page.locator("main")).to_contain_text("Club members only")
    avatar = page.get_by_role("img", name="Your profile photo")
    expect(avatar).to_be_visible()
    expect(avatar).to_have_attribute("src", re.compile(r"^/media/avatars/.+\.jpg$"))
    assert avatar.evaluate("img => img.complete && img.naturalWidth") > 0, "the photo must load"
    screenshot("journey-03-profile-saved")

    nina = User.objects.get(email=NEW_EMAIL)
    assert nina.display_name == "Nina Newcomer"
    assert nina.membership_status == User.Status.PENDING
    assert nina.membership_number is None

    # Still pending: the members' directory is closed to them.
    response = page.goto(f"{live_server.url}/members/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You can't see this page")).to_be_visible()
    expect(page.locator("main")).to_contain_text("still waiting for approval")
    screenshot("journey-04-directory-403-pending")

    # Staff approve the application in the Django admin, in their own browser.
    mail.outbox.clear()
    admin_approves(browser, live_server, staff=staff, member=nina)
    nina.refresh_from_db()
    assert nina.membership_status == User.Status.ACTIVE
    assert nina.membership_number is not None
    assert [m.to for m in mail.outbox] == [[NEW_EMAIL]]
    assert "Welcome to the BMW 1 Series M Register" in mail.outbox[0].subject

    # The member reloads the directory and finds themself, with their number.
    response = page.goto(f"{live_server.url}/members/")
    assert response.status == 200
    expect(page.get_by_role("heading", name="Members' directory")).to_be_visible()
    card = page.locator("li").filter(has=page.get_by_role("link", name="Nina Newcomer"))
    expect(card).to_have_count(1)
    expect(card).to_contain_text(f"No. {nina.membership_number} · Germany")
    expect(card).not_to_contain_text("Adenau")  # the city stays hidden unless they tick the box
    expect(card.locator("img.avatar")).to_be_visible()  # decorative: alt=""
    screenshot("journey-07-directory")

    # Their own page in the directory.
    card.get_by_role("link", name="Nina Newcomer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nina Newcomer")
    expect(page.locator("main")).to_contain_text(f"Member No. {nina.membership_number}")
    screenshot("journey-08-member-page")


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, is_mobile=True)
def test_on_a_phone_the_menu_folds_away_and_opens_to_reach_the_directory(
    live_server, page: Page, screenshot
):
    MemberFactory(display_name="Anna Achterberg", country="NL", city="Utrecht")
    member = MemberFactory(display_name="Pia Phone", country="AT", city="Graz")

    page.goto(live_server.url)
    members_link = page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Members", exact=True
    )
    toggler = page.get_by_role("button", name="Toggle navigation")
    expect(toggler).to_be_visible()
    expect(members_link).to_be_hidden()
    expect(page.locator("section.hero").get_by_role("link", name="Join the club")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    screenshot("phone-01-home")

    toggler.click()
    expect(members_link).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    page.wait_for_timeout(400)  # let Bootstrap's collapse animation finish for the picture
    screenshot("phone-02-menu-open")

    # Anonymous: the directory asks them to log in first, then shows it.
    members_link.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/members/$"))
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    expect(page.get_by_role("heading", name="Members' directory")).to_be_visible()
    expect(page.get_by_role("link", name="Anna Achterberg")).to_be_visible()
    expect(page.get_by_role("link", name="Pia Phone")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    screenshot("phone-03-directory")
