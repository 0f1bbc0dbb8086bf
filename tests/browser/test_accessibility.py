"""Accessibility in real Chromium: axe-core on every main page, and two keyboard-only journeys.

axe-core (bundled with axe-playwright-python, so no network) checks each page as a visitor,
a member, a car's owner, a meet's organiser and staff (the review queues, the club office)
see it, some forms in their error state, on a desktop and on a phone, and with the German
language cookie. A violation of impact "serious" or "critical" fails the test,
and the message says what to fix: the rule, its impact, the elements and axe's help.

Then someone who uses only the keyboard signs up, and a member RSVPs for a meet with their
car: Tab, type, arrow keys, Enter and Space, with a visible focus ring on every stop.
"""

import datetime
import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.services import member_set_status
from meets.models import RSVP, Meet
from register.models import CarChangeRequest, Colour
from register.sighting_models import Sighting
from tests.factories import MemberFactory, PendingMemberFactory
from tests.meets.factories import (
    CheckedInRSVPFactory,
    MeetFactory,
    PastMeetFactory,
    QuestionFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)
from tests.membership.factories import LevelFactory, invoice_for, member_joined
from tests.register.factories import (
    CarFactory,
    ClaimFactory,
    ColourFactory,
    MileageReadingFactory,
    PhotoFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fail_fast(page: Page):
    """A missing element fails in 10 s rather than Playwright's default 30 s."""
    page.set_default_timeout(10_000)


# --- Helpers ---------------------------------------------------------------------------


def jpeg(colour=(31, 78, 156), size=(640, 480)) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name="photo.jpg")


def log_in_as(page: Page, live_server, user: User | None, *, keep_language: bool = False) -> None:
    """Switch the page's browser to `user` (None: an anonymous visitor) without the form.

    Every cookie goes first, or only the session's with `keep_language` (the page's
    language, chosen by its cookie, stays)."""
    if keep_language:
        page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    else:
        page.context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def serious_violations(page: Page) -> list[dict]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    results = AXE.run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    - {target}: {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more elements")
    return "\n".join(lines)


def check_pages(page: Page, live_server, visits) -> dict[str, list[dict]]:
    """Visit each (label, user, path[, button]) and run axe-core; return the pages that fail.

    With a button's name, the page's form is sent as it is (the browser's own checks off,
    as a form the browser lets through), and axe-core checks the form in its error state.
    """
    failures: dict[str, list[dict]] = {}
    current = object()
    for label, user, path, *submit in visits:
        if user is not current:
            log_in_as(page, live_server, user)
            current = user
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{label}: {path} answered {response.status}"
        if submit:
            page.evaluate(
                "() => document.querySelectorAll('form').forEach(f => f.noValidate = true)"
            )
            with page.expect_navigation() as sent:
                page.get_by_role("button", name=submit[0], exact=True).click()
            status = sent.value.status
            assert status in (200, 400), f"{label}: sending {path} answered {status}"
        page.wait_for_load_state("load")
        violations = serious_violations(page)
        if violations:
            failures[f"{label} ({path})"] = violations
    return failures


def report(failures: dict[str, list[dict]]) -> str:
    return "Serious or critical accessibility violations:\n" + "\n".join(
        f"{page}:\n{describe(violations)}" for page, violations in failures.items()
    )


def focus_ring(page: Page) -> dict:
    """The element that has the focus, and its computed outline and box-shadow."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(),
                name: el.getAttribute('name') || '',
                text: (el.innerText || el.value || '').trim().slice(0, 60),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth) || 0,
                outlineColor: style.outlineColor,
                boxShadow: style.boxShadow,
            };
        }"""
    )


def assert_focus_visible(page: Page) -> None:
    """The focused control shows a solid outline at least 2 px wide.

    Bootstrap's own focus glow (a pale blue box-shadow) is not enough: it is barely
    visible on white and not at all on the blue navbar, so site.css draws an outline.
    """
    ring = focus_ring(page)
    visible = (
        ring["outlineStyle"] not in ("none", "hidden")
        and ring["outlineWidth"] >= 2
        and ring["outlineColor"] not in ("transparent", "rgba(0, 0, 0, 0)")
    )
    assert visible, f"No visible focus on {ring['tag']} {ring['name'] or ring['text']!r}: {ring}"


def tab_to(page: Page, matches, *, most: int = 80) -> None:
    """Press Tab until `matches(active element's description)` is true; fail after `most`.

    Every stop on the way must show where the focus is.
    """
    seen = []
    for _ in range(most):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        seen.append(f"{ring['tag']}:{ring['name'] or ring['text']}")
        assert_focus_visible(page)
        if matches(ring):
            return
    pytest.fail("Tab never reached the control; the focus visited: " + " | ".join(seen))


# --- The club's data ------------------------------------------------------------------


@pytest.fixture
def club(member, organiser):
    """A register and meets with real content: photos, a timeline, mileage, queues."""
    member.avatar.save("olga.jpg", jpeg((212, 99, 24), (256, 256)))
    member.bio = "Valencia Orange, 2011, bought from the first owner in Munich."
    member.save()

    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8641B")
    white = ColourFactory(name="Alpine White", paint_code="300", swatch="#F4F4F2")
    black = ColourFactory(name="Black Sapphire", paint_code="475", swatch="#0F1216")
    blue = ColourFactory(
        name="Monte Carlo Blue",
        paint_code="X04",
        swatch="#1F4E9C",
        kind=Colour.Kind.SPECIAL,
        reported_production=2,
    )

    car = CarFactory(owner=member, colour=orange, story="Delivered in Munich in June 2011.")
    PhotoFactory(car=car, is_cover=True, caption="At the Nordschleife, autumn 2023")
    PhotoFactory(car=car, caption="")
    TimelineEntryFactory(car=car, title="First service", body="Oil, filters, brake fluid.")
    TimelineEntryFactory(car=car, title="Track day at Spa", happened_on=datetime.date(2021, 8, 14))
    MileageReadingFactory(car=car, read_on=datetime.date(2020, 1, 1), kilometres=24_500)
    MileageReadingFactory(car=car, read_on=datetime.date(2023, 6, 1), kilometres=41_200)
    for colour, country in [(white, "FR"), (black, "GB"), (blue, "BE"), (white, "NL")]:
        CarFactory(colour=colour, country=country)
    CarFactory(colour=black, unverified=True, country="AT")

    meet = MeetFactory(
        title="Eifel drive",
        description="Coffee at the track, then the Eifel roads to Adenau.",
        capacity=3,
        organisers=[organiser],
    )
    QuestionFactory(meet=meet, label="Dietary needs for the lunch")
    going = [
        RSVPFactory(meet=meet, car=CarFactory(colour=colour, owner=MemberFactory()))
        for colour in (orange, white, black)
    ]
    WaitlistedRSVPFactory(meet=meet)
    WaitlistedRSVPFactory(meet=meet)

    open_meet = MeetFactory(title="Sunday breakfast", capacity=20, organisers=[organiser])
    RSVPFactory(meet=open_meet)
    # A question of each kind on the RSVP form, and one asked at the gate.
    for label, kind, extra in [
        ("Dinner?", "yes_no", {"required": True}),
        ("Diet", "multiple", {"choices": ["Vegan", "None"]}),
        ("T-shirt size", "single", {"choices": ["S", "M"], "required": True}),
        ("Arriving on", "date", {}),
        ("Passengers", "number", {"min_value": 0, "max_value": 3}),
        ("Driving from", "country", {}),
    ]:
        QuestionFactory(meet=open_meet, label=label, kind=kind, **extra)
    QuestionFactory(meet=meet, label="Wristband", asked_at="checkin", required=True)

    past = PastMeetFactory(title="Spring gathering", organisers=[organiser])
    for colour in (orange, blue):
        CheckedInRSVPFactory(meet=past, car=CarFactory(colour=colour, owner=MemberFactory()))

    return {"car": car, "meet": meet, "rsvp": going[0], "open_meet": open_meet, "past": past}


# --- axe-core on every main page ------------------------------------------------------


def staff_visits(club, member, organiser, staff) -> list[tuple]:
    """What staff and organisers see outside Django's admin, with something in every list,
    and the forms that are cheap to send in their error state."""
    meet, open_meet = club["meet"], club["open_meet"]
    # The review queue: a new car, a claim and a change to a verified car.
    CarFactory(pending=True, owner=MemberFactory())
    ClaimFactory(car=club["car"], claimant=MemberFactory())
    CarChangeRequest.objects.create(
        car=club["car"], proposed_by=member, changes={"colour": ColourFactory().pk}
    )
    Sighting.objects.create(
        identifier_kind=Sighting.Identifier.VIN,
        identifier=club["car"].vin,
        car=club["car"],
        town="Adenau",
        country="DE",
        seen_on=datetime.date(2024, 5, 4),
        reporter=member,
    )
    # The office: a member with an unpaid invoice, and an applicant in the inbox.
    level = LevelFactory(name="Full member", slug="full", is_default=True)
    payer = member_joined(level=level, on=datetime.date.today(), display_name="Paula Payer")
    invoice = invoice_for(payer)
    PendingMemberFactory(display_name="Anton Applicant")
    return [
        ("review queue", staff, "/register/review/"),
        ("import, errors", staff, "/register/staff/import/", "Check and import"),
        ("disputed facts", staff, "/register/review/facts/"),
        ("sightings to review", staff, "/register/review/sightings/"),
        ("office inbox", staff, "/office/"),
        ("office members", staff, "/office/members/"),
        ("office invoices", staff, "/office/invoices/"),
        (
            "invoice, payment errors",
            staff,
            f"/office/invoices/{invoice.number}/manage/",
            "Record the payment",
        ),
        ("dues", staff, "/office/dues/"),
        ("direct debits", staff, "/office/sepa/"),
        ("statements", staff, "/office/statements/", "Import"),
        ("unmatched statement lines", staff, "/office/statements/unmatched/"),
        ("new meet, errors", organiser, "/meets/new/", "Save the draft"),
        ("meet edit", organiser, f"/meets/{open_meet.slug}/edit/"),
        ("message, errors", organiser, f"/meets/{meet.slug}/message/", "Send the message"),
        ("helpers", organiser, f"/meets/{meet.slug}/helpers/"),
        ("cancel the meet", organiser, f"/meets/{open_meet.slug}/cancel/"),
        ("gate devices", organiser, f"/meets/{meet.slug}/gate/devices/"),
    ]


def test_no_serious_accessibility_violation_on_the_main_pages(
    live_server, page: Page, club, member, organiser, pending_member, staff
):
    car, meet, open_meet, past = club["car"], club["meet"], club["open_meet"], club["past"]
    # A lapsed member with a car: the pages say why instead of offering the buttons.
    lapsed = member_set_status(member=MemberFactory(display_name="Lena Lapsed"), status="lapsed")
    CarFactory(owner=lapsed)
    visits = [
        ("home", None, "/"),
        ("register list", None, "/register/"),
        ("car, public view", None, car.get_absolute_url()),
        ("statistics", None, "/register/stats/"),
        ("meets list", None, "/meets/"),
        ("full meet, visitor", None, meet.get_absolute_url()),
        ("past meet with attendance", None, past.get_absolute_url()),
        ("sign-up", None, "/accounts/signup/"),
        ("log-in", None, "/accounts/login/"),
        ("home, member", member, "/"),
        ("car, owner's view", member, car.get_absolute_url()),
        ("full meet, member", member, meet.get_absolute_url()),
        ("open meet, member", member, open_meet.get_absolute_url()),
        ("RSVP form", member, f"/meets/{open_meet.slug}/rsvp/"),
        ("my meets", member, "/meets/mine/"),
        ("garage", member, "/register/garage/"),
        ("profile", member, "/accounts/profile/"),
        ("profile edit", member, "/accounts/profile/edit/"),
        ("members' directory", member, "/members/"),
        ("member's page", member, member.get_absolute_url()),
        ("register your car", member, "/register/add/"),
        ("claim by VIN, empty", member, "/register/claim/?vin="),
        ("home, applicant", pending_member, "/"),
        ("garage, applicant", pending_member, "/register/garage/"),
        ("garage, lapsed member", lapsed, "/register/garage/"),
        ("register list, lapsed member", lapsed, "/register/"),
        ("open meet, lapsed member", lapsed, open_meet.get_absolute_url()),
        ("full meet, organiser", organiser, meet.get_absolute_url()),
        ("attendee list", organiser, f"/meets/{meet.slug}/manage/"),
        ("check-in list", organiser, f"/meets/{meet.slug}/checkin/"),
        ("check-in by QR code", organiser, club["rsvp"].get_checkin_url()),
        ("new meet form", organiser, "/meets/new/"),
        ("questions form", organiser, f"/meets/{open_meet.slug}/questions/"),
        *staff_visits(club, member, organiser, staff),
    ]

    failures = check_pages(page, live_server, visits)

    assert not failures, report(failures)
    # The check does catch a violation: a picture without alt text is critical.
    page.locator("main").evaluate(
        "main => main.insertAdjacentHTML('beforeend', '<img src=\"/static/img/favicon.svg\">')"
    )
    assert "image-alt" in {v["id"] for v in serious_violations(page)}


def test_no_serious_accessibility_violation_on_a_phone(
    live_server, page: Page, club, member, screenshot
):
    car, meet = club["car"], club["meet"]
    page.set_viewport_size(PHONE)
    visits = [
        ("home, phone", None, "/"),
        ("car, public view, phone", None, car.get_absolute_url()),
        ("register list, phone", None, "/register/"),
        ("statistics, phone", None, "/register/stats/"),
        ("car, owner's view, phone", member, car.get_absolute_url()),
        ("full meet, member, phone", member, meet.get_absolute_url()),
    ]

    failures = check_pages(page, live_server, visits)

    assert not failures, report(failures)
    # The menu opened: its links and the toggler pass too.
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("link", name="Members", exact=True)).to_be_visible()
    page.wait_for_timeout(400)  # Bootstrap's collapse animation
    violations = serious_violations(page)
    assert not violations, report({"meet page, phone, menu open": violations})
    screenshot("a11y-phone-meet-menu-open")


def test_no_serious_accessibility_violation_in_german(live_server, page: Page, club):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "de", "url": live_server.url}]
    )
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    violations = serious_violations(page)

    assert not violations, report({"home, German": violations})


# --- Keyboard only --------------------------------------------------------------------


def test_a_visitor_signs_up_with_the_keyboard_only(live_server, page: Page, screenshot):
    mail.outbox.clear()
    page.goto(live_server.url + "/accounts/signup/")
    expect(page.get_by_role("heading", name="Join the club", exact=True)).to_be_visible()

    # The first Tab stop is the skip link: visible when focused, and it jumps to the form.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert_focus_visible(page)
    screenshot("a11y-keyboard-signup-skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, lambda ring: ring["name"] == "email")
    page.keyboard.type("kira.keys@example.org")
    page.keyboard.press("Tab")
    assert focus_ring(page)["name"] == "password1"
    assert_focus_visible(page)
    page.keyboard.type("Valencia-Orange-2011")
    page.keyboard.press("Tab")
    assert focus_ring(page)["name"] == "password2"
    assert_focus_visible(page)
    page.keyboard.type("Valencia-Orange-2011")
    screenshot("a11y-keyboard-signup-filled")
    # The submit button is the next stop and shows its focus too.
    tab_to(page, lambda ring: ring["tag"] == "button" and ring["text"] == "Join the club", most=5)
    page.keyboard.press("Shift+Tab")
    assert focus_ring(page)["name"] == "password2"
    page.keyboard.press("Enter")

    expect(
        page.get_by_role("heading", name=re.compile("verify your e-?mail", re.I))
    ).to_be_visible()
    assert [m.to for m in mail.outbox] == [["kira.keys@example.org"]]
    assert User.objects.filter(email="kira.keys@example.org").exists()
    screenshot("a11y-keyboard-signup-done")


def test_a_member_rsvps_for_a_meet_with_the_keyboard_only(
    live_server, page: Page, screenshot, member, organiser
):
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8641B")
    CarFactory(owner=member)  # Alpine White: stays at home
    orange_car = CarFactory(owner=member, colour=orange)
    meet = MeetFactory(title="Sunday breakfast", capacity=10, organisers=[organiser])
    log_in_as(page, live_server, member)
    page.goto(live_server.url + meet.get_absolute_url())

    tab_to(page, lambda ring: ring["tag"] == "a" and ring["text"] == "RSVP with your car")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("RSVP: Sunday breakfast")
    page.wait_for_load_state("load")  # the style sheets too, before reading focus styles
    tab_to(page, lambda ring: ring["name"] == "car")
    # Cars are listed in the form's order; arrow down until the orange one is chosen.
    car_select = page.get_by_label("The car you'll bring")
    for _ in range(4):
        if car_select.evaluate("s => s.value") == str(orange_car.pk):
            break
        page.keyboard.press("ArrowDown")
    assert car_select.evaluate("s => s.value") == str(orange_car.pk)
    page.keyboard.press("Tab")
    assert focus_ring(page)["name"] == "guests"
    assert_focus_visible(page)
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    tab_to(page, lambda ring: ring["tag"] == "button" and ring["text"] == "Send my RSVP", most=5)
    screenshot("a11y-keyboard-rsvp-submit-focused")
    page.keyboard.press("Space")

    expect(page).to_have_url(live_server.url + meet.get_absolute_url())
    expect(page.get_by_role("alert").filter(has_text="You're going!")).to_be_visible()
    rsvp = RSVP.objects.get(meet=meet)
    assert (rsvp.member, rsvp.car, rsvp.guests, rsvp.status) == (member, orange_car, 1, "going")
    assert Meet.objects.get(pk=meet.pk).rsvps.count() == 1
    screenshot("a11y-keyboard-rsvp-done")
