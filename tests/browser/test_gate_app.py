"""The gate app in real Chromium: two phones at the gate, no signal, one car scanned twice.

Two devices of the meet ("Gate A" and "Gate B", each its own browser context, as two
phones) open their pairing links and download the list. The signal goes. Gate A checks a
car in by search and one by a photo of its QR code; both gates check the third car in, B a
moment later. A reload with no signal still opens the app (service worker) with its queue.
Back online, A syncs, then B: the server holds one check-in of the third car, at A's time,
and B is told "Already checked in at HH:MM by Gate A".
"""

import datetime

import pytest
import segno
from django.templatetags.static import static
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from meets import gate
from meets.models import RSVP
from meets.models_gate import GateScan
from meets.qr import checkin_url
from membership.card import card_check_url
from tests.browser.test_accessibility import describe, serious_violations
from tests.conftest import SCREENSHOTS
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, QuestionFactory, RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_phone(browser: Browser, url: str, violations: list[str]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(url)
    return context, page


def summary(page: Page):
    return page.locator("#gate-list-summary")


def check_in_by_search(page: Page, query: str) -> None:
    page.get_by_label("Plate, plaque, VIN, membership number (M9) or name").fill(query)
    rows = page.locator("#gate-results li.gate-row")
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name="Check in").click()
    expect(rows.first).to_contain_text("Checked in (waiting to sync)")


# What the gate types, and whether it finds the car with plaque 12, plate "B-PD 911",
# VIN WBS1234567890ABCD of member M9, Olga Owner (app.js `matches`).
SEARCHES = {
    "12": True,
    "No. 12": True,
    "#12": True,
    "Nr. 12": True,
    "13": False,
    "bpd911": True,
    "B PD-911": True,
    "b-pd 911": True,
    "M9": True,
    "m 9": True,
    "Member 9": True,
    "M12": False,
    "890abcd": True,
    "WBS1234567890ABCD": True,
    "WBS1234567890ABCE": False,
    "olga": True,
    "olgx": False,
    "9": False,
}
CAR_12 = {
    "car": {"plaque": 12, "plate": "B-PD 911", "vin": "WBS1234567890ABCD", "vin_tail": "890ABCD"},
    "person": {"name": "Olga Owner", "number": 9},
}


def search_finds(page: Page) -> dict[str, bool]:
    """The app's own search (the module is loaded once: importing it again runs nothing)."""
    return page.evaluate(
        """async ([src, rsvp, queries]) => {
            const app = await import(src);
            return Object.fromEntries(queries.map((q) => [q, app.matches(rsvp, q)]));
        }""",
        [static("gate/app.js"), CAR_12, list(SEARCHES)],
    )


def test_two_offline_gates_check_in_one_car_once_and_the_later_one_is_told(
    live_server, browser: Browser, organiser, tmp_path
):
    now = timezone.now()
    meet = MeetFactory(
        title="Nürburgring weekend",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=6),
        rsvp_opens_at=now - datetime.timedelta(days=20),
        organisers=[organiser],
    )
    rsvps = [RSVPFactory(meet=meet) for _ in range(5)]
    first, second, third = rsvps[:3]
    _device_a, token_a = gate.device_create(meet=meet, name="Gate A", by=organiser)
    device_b, token_b = gate.device_create(meet=meet, name="Gate B", by=organiser)
    qr_png = tmp_path / "rsvp-qr.png"
    segno.make(checkin_url(second), error="m").save(qr_png, kind="png", scale=6, border=4)
    # A member who did not RSVP comes anyway, with their car and their membership card.
    walker = MemberFactory(display_name="Walter Walk-in")
    walkers_car = CarFactory(owner=walker)
    card_png = tmp_path / "card-qr.png"
    card = card_check_url(walker, walker.seat)
    segno.make(card, error="m").save(card_png, kind="png", scale=6)
    violations: list[str] = []
    app = f"{live_server.url}/meets/gate/"

    context_a, a = open_phone(browser, f"{app}#{meet.slug}:{token_a}", violations)
    context_b, b = open_phone(browser, f"{app}#{meet.slug}:{token_b}", violations)
    for page in (a, b):
        expect(summary(page)).to_contain_text("5 cars, 0 checked in")
        expect(page.locator("#gate-meet-title")).to_have_text("Nürburgring weekend")
        # The token left the address bar once kept.
        assert page.url == app
        # The service worker is in control: the app can open with no signal.
        # (page.wait_for_function would evaluate a string in the page, which the CSP refuses.)
        page.evaluate(
            """() => navigator.serviceWorker.controller || new Promise((resolve) =>
                navigator.serviceWorker.addEventListener("controllerchange", resolve))"""
        )
    shoot(a, "gate-list")
    assert search_finds(a) == SEARCHES

    context_a.set_offline(True)
    context_b.set_offline(True)
    expect(a.locator("#gate-network")).to_have_text("Offline")

    # Gate A: the first car by its plaque, the second by a photo of its QR code, the third.
    check_in_by_search(a, f"No. {first.car.plaque_number}")
    a.get_by_label("Scan from a photo").set_input_files(qr_png)
    scanned = a.locator(f'#gate-results li[data-rsvp="{second.pk}"]')
    expect(scanned).to_be_visible()
    expect(a.get_by_role("status")).to_contain_text(f"Scanned: No. {second.car.plaque_number}")
    scanned.get_by_label("Odometer (km, optional)").fill("48210")
    scanned.get_by_role("button", name="Check in").click()
    expect(scanned).to_contain_text("Checked in (waiting to sync)")
    check_in_by_search(a, third.car.vin[-7:])
    # Gate B, a moment later: the same third car, by its owner's membership number.
    check_in_by_search(b, f"M{third.member.membership_number}")
    expect(a.locator("#gate-pending-summary")).to_have_text("3 check-ins waiting to sync")
    expect(summary(a)).to_contain_text("5 cars, 3 checked in")
    shoot(a, "gate-offline-queue")
    # Gate B: the walk-in's card. The device holds the cards of this meet's people only, so
    # offline it says so (not "not valid"); then the walk-in.
    b.get_by_label("Scan from a photo").set_input_files(card_png)
    expect(b.locator("#gate-card")).to_contain_text("Not one of this meet's members")
    expect(b.locator("#gate-card")).to_contain_text("Checked against the list downloaded at")
    b.get_by_text("Walk-in: a member without an RSVP").click()
    number = b.get_by_label("Membership number", exact=True)
    expect(number).to_have_value(f"M{walker.membership_number}")
    b.get_by_label("Car: plaque number or VIN").fill(str(walkers_car.plaque_number))
    b.get_by_role("button", name="Check in the walk-in").click()
    expect(b.get_by_role("status")).to_contain_text("Walk-in queued")
    expect(b.locator("#gate-pending-summary")).to_have_text("2 check-ins waiting to sync")

    # No signal, and the app is opened again: the service worker and IndexedDB bring it back.
    a.reload()
    expect(a.locator("#gate-pending-summary")).to_have_text("3 check-ins waiting to sync")
    expect(summary(a)).to_contain_text("5 cars, 3 checked in")
    assert RSVP.objects.filter(meet=meet, checked_in_at__isnull=False).count() == 0

    # Signal again: A syncs first (on its own, when the browser says it is online).
    context_a.set_offline(False)
    expect(a.locator("#gate-pending-summary")).to_have_text("Everything is synced.")
    third.refresh_from_db()
    scan_a = GateScan.objects.get(device__name="Gate A", rsvp=third)
    assert third.checked_in_at == scan_a.scanned_at
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.checked_in_at is not None and second.checked_in_at is not None
    # The odometer typed at the gate became a reading on the car.
    assert second.car.mileage_readings.get().kilometres == 48210

    context_b.set_offline(False)
    b.get_by_role("button", name="Sync now").click()
    at = timezone.localtime(third.checked_in_at, meet.tz).strftime("%H:%M")
    alert = b.locator("#gate-notices [role=alert]")
    expect(alert).to_contain_text(f"Already checked in at {at} by Gate A.")
    expect(b.locator("#gate-pending-summary")).to_have_text("Everything is synced.")
    # The walk-in is on the list now, as an RSVP of the meet, checked in.
    expect(summary(b)).to_contain_text("6 cars, 4 checked in")
    shoot(b, "gate-already")
    # Everything on show at once (notice, card, result, walk-in form): axe-core finds no
    # serious or critical accessibility problem.
    problems = serious_violations(b)
    assert not problems, describe(problems)
    walk_in = RSVP.objects.get(meet=meet, member=walker)
    assert walk_in.car == walkers_car and walk_in.checked_in_at is not None

    third.refresh_from_db()
    assert third.checked_in_at == scan_a.scanned_at
    assert GateScan.objects.filter(rsvp=third, result=GateScan.Result.CHECKED_IN).count() == 1
    assert GateScan.objects.get(device__name="Gate B", rsvp=third).result == "already"
    assert RSVP.objects.filter(meet=meet, checked_in_at__isnull=False).count() == 4
    # The organiser revokes Gate B: its next call is refused, and it says why.
    gate.device_revoke(device=device_b)
    b.get_by_role("button", name="Download list").click()
    expect(b.locator("#gate-notices")).to_contain_text("withdrawn by its organiser")
    assert violations == []
    context_a.close()
    context_b.close()


def test_the_gate_answers_a_checkin_question_offline_and_the_rsvp_keeps_it(
    live_server, browser: Browser, organiser
):
    now = timezone.now()
    meet = MeetFactory(
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=6),
        rsvp_opens_at=now - datetime.timedelta(days=20),
        organisers=[organiser],
    )
    diet = QuestionFactory(meet=meet, label="Dietary notes")  # asked at RSVP: not the gate's
    wristband = QuestionFactory(
        meet=meet,
        label="Wristband number",
        kind="number",
        min_value=1,
        max_value=500,
        required=True,
        asked_at="checkin",
        help_text="Printed on the band.",
    )
    camping = QuestionFactory(
        meet=meet, label="Camping tonight?", kind="yes_no", required=True, asked_at="checkin"
    )
    size = QuestionFactory(
        meet=meet, label="T-shirt size", kind="single", choices=["S", "M", "L"], asked_at="checkin"
    )
    country = QuestionFactory(meet=meet, label="Driving from", kind="country", asked_at="checkin")
    rsvp = RSVPFactory(meet=meet, answers={diet.key: "Vegan", size.key: "M"})
    _device, token = gate.device_create(meet=meet, name="Gate A", by=organiser)
    violations: list[str] = []
    context, page = open_phone(
        browser, f"{live_server.url}/meets/gate/#{meet.slug}:{token}", violations
    )
    expect(summary(page)).to_contain_text("1 car, 0 checked in")
    context.set_offline(True)

    page.get_by_label("Plate, plaque, VIN, membership number (M9) or name").fill(
        f"No. {rsvp.car.plaque_number}"
    )
    card = page.locator(f'#gate-results li[data-rsvp="{rsvp.pk}"]')
    expect(card.get_by_label("T-shirt size")).to_have_value("M")  # downloaded
    expect(card).to_contain_text("2 required questions unanswered")
    expect(card).not_to_contain_text("Dietary notes")
    card.get_by_label("Wristband number").fill("17")
    card.get_by_label("Driving from").select_option("NL")
    expect(card).to_contain_text("1 required question unanswered")
    shoot(page, "gate-questions")
    problems = serious_violations(page)
    assert not problems, describe(problems)
    card.get_by_role("group", name="Camping tonight?").get_by_label("Yes").check()
    expect(card.locator(".gate-unanswered")).to_be_hidden()
    card.get_by_role("button", name="Check in").click()
    expect(card).to_contain_text("Checked in (waiting to sync)")
    # Still shown, and answerable, while it waits.
    expect(card.get_by_label("Wristband number")).to_have_value("17")
    expect(page.locator("#gate-pending-summary")).to_have_text("1 check-in waiting to sync")

    context.set_offline(False)
    expect(page.locator("#gate-pending-summary")).to_have_text("Everything is synced.")
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.answers == {
        diet.key: "Vegan",
        size.key: "M",
        wristband.key: 17,
        camping.key: True,
        country.key: "NL",
    }
    # Checked in: a later answer still goes, on its own.
    card.get_by_label("T-shirt size").select_option("L")
    card.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("status")).to_contain_text("Answers saved (waiting to sync)")
    expect(page.locator("#gate-pending-summary")).to_have_text("Everything is synced.")
    expect(page.locator("#gate-notices")).to_be_empty()  # no "already checked in" for it
    rsvp.refresh_from_db()
    assert rsvp.answers[size.key] == "L"
    assert violations == []
    context.close()


STORED = """() => new Promise((resolve, reject) => {
    const request = indexedDB.open("paddock-gate");
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
        const tx = request.result.transaction(["lists", "pairings"], "readonly");
        const lists = tx.objectStore("lists").getAll();
        const pairings = tx.objectStore("pairings").getAll();
        tx.oncomplete = () => resolve({
            lists: lists.result.length,
            tokens: pairings.result.map((p) => p.token),
        });
    };
})"""


def test_a_revoked_device_forgets_the_meets_list_and_its_token(
    live_server, browser: Browser, organiser
):
    """The list holds names, membership numbers, plates and VINs: a phone whose device was
    revoked (lost, or the meet is over) keeps none of it, nor the token."""
    now = timezone.now()
    meet = MeetFactory(
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=6),
        rsvp_opens_at=now - datetime.timedelta(days=20),
        organisers=[organiser],
    )
    RSVPFactory(meet=meet, member=MemberFactory(display_name="Olga Owner"))
    device, token = gate.device_create(meet=meet, name="Gate A", by=organiser)
    violations: list[str] = []
    context, page = open_phone(
        browser, f"{live_server.url}/meets/gate/#{meet.slug}:{token}", violations
    )
    expect(summary(page)).to_contain_text("1 car, 0 checked in")
    assert page.evaluate(STORED) == {"lists": 1, "tokens": [token]}

    gate.device_revoke(device=device)
    page.get_by_role("button", name="Download list").click()
    expect(page.locator("#gate-notices")).to_contain_text("withdrawn by its organiser")
    expect(summary(page)).to_have_text(
        "No list on this device yet: download it while you have signal."
    )
    page.get_by_label("Plate, plaque, VIN, membership number (M9) or name").fill("Olga")
    expect(page.locator("#gate-results li.gate-row")).to_have_count(0)
    assert page.evaluate(STORED) == {"lists": 0, "tokens": [""]}
    page.reload()
    expect(summary(page)).to_have_text(
        "No list on this device yet: download it while you have signal."
    )
    assert violations == []
    context.close()
