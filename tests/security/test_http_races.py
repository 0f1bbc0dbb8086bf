"""Races over real HTTP: many browsers pressing buttons in the same instant.

The site runs in pytest-django's live server (a threaded WSGI server in this process);
each browser tab is a `requests.Session` with the person's cookies, logged in with a
session made by the test client. A tab opens the page first (keeping its connection, so
thirty presses need no thirty new connections), then the threads press the button
together, released by a barrier. The threads only speak HTTP — they never touch the ORM,
so they hold no database connection; the server thread of each HTTP connection closes
its own when the connection ends. Run on both databases:

    .venv/bin/pytest -q tests/security/test_http_races.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/security/test_http_races.py

Nothing may be lost or duplicated, capacities hold exactly, and no request gets a 500.
A double submit sends the form's one-time token twice ({% form_once %}): the first is
handled, the second is sent where the first led, so no form adds the same row twice.
"""

import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ORGANISERS_GROUP, User
from meets.models import RSVP, Meet, Message
from register.models import Car, CarPhoto, Claim, MileageReading, Ownership, TimelineEntry, Transfer
from tests.accounts.images import jpeg_bytes
from tests.factories import MemberFactory
from tests.meets.factories import (
    GateDayMeetFactory,
    MeetFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    PhotoFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW_VIN = "WBSUR92050VK12345"


class Browser:
    """One person's browser: their session cookie and a CSRF cookie, over real HTTP."""

    def __init__(self, live_server, person: User):
        client = Client()
        client.force_login(person)
        self.base = live_server.url
        self.session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.csrf = secrets.token_hex(16)  # 32 characters: a valid CSRF secret
        self.tabs: list[requests.Session] = []

    def open(self, path: str) -> requests.Session:
        """A new tab with this browser's cookies, showing the page at `path`.

        The tab keeps its connection open, as a browser does, so pressing the button
        needs no new one: the live server's listen queue holds only ten.
        """
        tab = requests.Session()
        tab.cookies.set(settings.SESSION_COOKIE_NAME, self.session_id)
        tab.cookies.set(settings.CSRF_COOKIE_NAME, self.csrf)
        self.tabs.append(tab)
        response = tab.get(self.base + path, timeout=90)
        assert response.status_code == 200, (path, response.status_code)
        tab.html = response.text
        return tab

    def post(self, tab: requests.Session, path: str, data: dict, files=None):
        """Press the button; the server closes the connection after answering."""
        return self._last_on_connection(
            tab,
            "POST",
            path,
            data={**data, "csrfmiddlewaretoken": self.csrf},
            files=files,
            allow_redirects=False,
        )

    def page(self, tab: requests.Session, path: str) -> str:
        """The text of a page as this tab sees it (with the messages left for it)."""
        response = self._last_on_connection(tab, "GET", path)
        assert response.status_code == 200, response.status_code
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))

    def _last_on_connection(self, tab: requests.Session, method: str, path: str, **kwargs):
        """Send a request that asks the server to close the connection after it.

        Django's server closes it without saying so in the answer, so `requests` would
        put the connection back in its pool and send the tab's next request on it; on a
        busy machine the server has not closed it yet, and that request is lost
        ("Connection aborted"). Forget the tab's connections instead: the next request
        opens a new one, as the server expects.
        """
        try:
            return tab.request(
                method, self.base + path, headers={"Connection": "close"}, timeout=90, **kwargs
            )
        finally:
            tab.close()

    def close(self) -> None:
        for tab in self.tabs:
            tab.close()


@pytest.fixture
def browser_for(live_server):
    """browser_for(person): a logged-in browser; its tabs are closed after the test."""
    browsers: list[Browser] = []

    def make(person: User) -> Browser:
        browsers.append(Browser(live_server, person))
        return browsers[-1]

    yield make
    for browser in browsers:
        browser.close()
    # Each closed connection ends its thread in the live server, which then closes its
    # database connection: wait for that, or PostgreSQL cannot drop the test database.
    # (The last requests asked the server to close: a tab kept alive by a test's
    # traceback must not keep a server thread waiting for its next request.)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.02)


def together(calls: list[Callable[[], object]]) -> list:
    """Run the calls in threads released at the same instant; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported below, none lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request is stuck"
    assert errors == [], errors
    return results


def form_once(html: str, path: str) -> dict[str, str]:
    """The one-time token of the form on the page that is sent to `path` (or to itself)."""
    for form in re.finditer(r"<form\b[^>]*>.*?</form>", html, re.S):
        action = re.search(r'action="([^"]*)"', form.group(0).split(">", 1)[0])
        if action is None or action.group(1) in ("", path):
            token = re.search(r'name="form_once" value="([0-9a-f]+)"', form.group(0))
            if token:
                return {"form_once": token.group(1)}
    raise AssertionError(f"no form to {path} with a one-time token")


def double_submit(browser_for, person: User, page: str, path: str, data: dict, files=None):
    """The form on `page` sent to `path` twice at once: a double click, from two
    connections of one browser, both carrying the form's one-time token."""
    browser = browser_for(person)
    tabs = [browser.open(page), browser.open(page)]
    data = {**data, **form_once(tabs[0].html, path)}
    return together([lambda tab=tab: browser.post(tab, path, data, files) for tab in tabs])


def assert_sent_once(responses) -> None:
    """Both sends of one form led to the same page: the second one was not handled again."""
    assert len({r.headers["Location"] for r in responses}) == 1


def statuses(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


def assert_no_server_error(responses) -> None:
    assert all(r.status_code < 500 for r in responses), [
        (r.status_code, r.text[:300]) for r in responses
    ]


# --- The last places of a meet ---------------------------------------------------------


def test_thirty_members_rsvp_at_once_for_the_last_five_places(browser_for):
    meet = MeetFactory(capacity=8)
    earlier = [RSVPFactory(meet=meet) for _ in range(3)]  # 5 places left
    people = [MemberFactory() for _ in range(30)]
    cars = {person.pk: CarFactory(owner=person) for person in people}
    path = reverse("meets:rsvp", args=[meet.slug])
    mail.outbox.clear()

    def rsvp(person: User):
        browser = browser_for(person)
        tab = browser.open(path)  # the RSVP form, open in each member's browser
        return lambda: browser.post(tab, path, {"car": cars[person.pk].pk, "guests": 0})

    responses = together([rsvp(person) for person in people])

    assert_no_server_error(responses)
    assert [r.status_code for r in responses] == [302] * 30
    assert {r.headers["Location"] for r in responses} == {meet.get_absolute_url()}
    new = RSVP.objects.filter(meet=meet, member__in=people)
    assert new.count() == 30
    assert Counter(new.values_list("status", flat=True)) == {"going": 5, "waitlisted": 25}
    assert RSVP.objects.filter(meet=meet).going().count() == meet.capacity == 8
    # Those who were going before still are: nobody lost a place to the rush.
    assert set(
        RSVP.objects.filter(pk__in=[r.pk for r in earlier]).values_list("status", flat=True)
    ) == {"going"}
    assert Counter(new.values_list("member", flat=True)) == {p.pk: 1 for p in people}
    # One confirmation each: 5 "You're going", 25 "waiting list".
    subjects = Counter(m.subject.split(":")[0] for m in mail.outbox)
    assert subjects == {"You're going": 5, "You're on the waiting list": 25}


# --- One transfer, accepted twice at once -------------------------------------------------


def test_a_buyer_accepting_one_transfer_from_two_tabs_at_once_gets_the_car_once(browser_for):
    seller, buyer = MemberFactory(display_name="Sam Seller"), MemberFactory(display_name="Bo")
    car = CarFactory(owner=seller)
    transfer = TransferFactory(car=car, from_member=seller, to_member=buyer)
    browser = browser_for(buyer)
    garage = reverse("register:garage")
    tabs = [browser.open(garage), browser.open(garage)]
    path = reverse("register:transfer_respond", args=[transfer.pk])

    responses = together(
        [lambda tab=tab: browser.post(tab, path, {"action": "accept"}) for tab in tabs]
    )

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    assert Ownership.objects.filter(car=car, member=buyer).count() == 1
    assert Ownership.objects.filter(car=car).count() == 2
    assert Ownership.objects.current().get(car=car).member == buyer
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert Transfer.objects.filter(car=car).count() == 1
    assert TimelineEntry.objects.filter(car=car).count() == 1  # "Changed hands" once
    # Each tab is told what happened to its click.
    pages = sorted(browser.page(tab, garage) for tab in tabs)
    said = [
        "The car is now in your garage" in page or "This transfer is already accepted" in page
        for page in pages
    ]
    assert said == [True, True]
    assert sum("The car is now in your garage" in page for page in pages) == 1


# --- Double submits of every form ---------------------------------------------------------


def car_form(model_line, colour, **changes) -> dict:
    return {
        "model_line": model_line.pk,
        "colour": colour.pk,
        "build_date": "2011-06",
        "market": "DE",
        "country": "DE",
        "transmission": Car.Transmission.MANUAL,
        "steering": Car.Steering.LEFT,
        "status": Car.Status.ON_THE_ROAD,
        "options": "Sunroof",
        "story": "Bought new in Munich.",
        "vin_visibility": Car.VinVisibility.LAST7,
        **changes,
    }


def test_registering_a_new_car_twice_at_once_makes_one_car(browser_for):
    person = MemberFactory()
    colour = ColourFactory()
    data = car_form(colour.model_line, colour, vin=NEW_VIN, started_on="2019-03-15")

    add = reverse("register:add")
    responses = double_submit(browser_for, person, add, add, data)

    assert_no_server_error(responses)
    car = Car.objects.get(vin=NEW_VIN)
    assert 302 in statuses(responses)
    loser = [r for r in responses if r.status_code != 302]
    for response in loser:  # the second is told, on the form, that the car is there
        assert response.status_code == 200
        assert "already" in response.text
    assert list(car.ownerships.values_list("member", flat=True)) == [person.pk]


def test_claiming_a_car_twice_at_once_makes_one_claim(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=MemberFactory())
    data = {"evidence": "Bought it in March; I hold the registration papers."}

    claim = reverse("register:claim", args=[car.pk])
    responses = double_submit(browser_for, person, claim, claim, data)

    assert_no_server_error(responses)
    assert 302 in statuses(responses)
    assert Claim.objects.filter(car=car, claimant=person).count() == 1


def test_saving_a_cars_details_twice_at_once_saves_them(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=person)
    data = car_form(car.model_line, car.colour, story="Now with a track-day history.")

    edit = reverse("register:edit", args=[car.pk])
    responses = double_submit(browser_for, person, edit, edit, data)

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    car.refresh_from_db()
    assert car.story == "Now with a track-day history."
    assert Car.objects.count() == 1


def test_adding_a_timeline_entry_twice_at_once_adds_it_once(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=person)
    data = {"kind": "service", "happened_on": "2024-05-04", "title": "Inspection II"}
    path = reverse("register:timeline_add", args=[car.pk])

    responses = double_submit(browser_for, person, path, path, data)

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    assert_sent_once(responses)
    assert TimelineEntry.objects.filter(car=car, title="Inspection II").count() == 1


def test_recording_the_mileage_twice_at_once_records_it_once(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=person)
    data = {"read_on": "2024-05-04", "distance": 48_000, "unit": "km"}
    path = reverse("register:mileage_add", args=[car.pk])

    responses = double_submit(browser_for, person, path, path, data)

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    assert_sent_once(responses)
    assert MileageReading.objects.filter(car=car, kilometres=48_000).count() == 1


def test_uploading_a_photo_twice_at_once_stores_it_once(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=person)
    picture = jpeg_bytes(size=(640, 480), color="steelblue")
    path = reverse("register:photo_add", args=[car.pk])

    responses = double_submit(
        browser_for,
        person,
        path,
        path,
        {"caption": "Eifel sunrise"},
        files={"image": ("photo.jpg", picture, "image/jpeg")},
    )

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    photos = CarPhoto.objects.filter(car=car)
    assert photos.filter(is_cover=True).count() == 1
    stored = {p.image.name for p in photos} | {p.thumbnail.name for p in photos}
    on_disk = {
        p.relative_to(settings.MEDIA_ROOT).as_posix()
        for p in Path(settings.MEDIA_ROOT).rglob("*")
        if p.is_file()
    }
    assert on_disk == stored  # no file without its row
    assert_sent_once(responses)
    assert photos.count() == 1


def test_making_a_photo_the_cover_twice_at_once_leaves_one_cover(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=person)
    PhotoFactory(car=car, is_cover=True)
    second = PhotoFactory(car=car)
    path = reverse("register:photo_cover", args=[second.pk])

    responses = double_submit(browser_for, person, car.get_absolute_url(), path, {})

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    assert list(CarPhoto.objects.filter(car=car, is_cover=True)) == [second]


def test_deleting_a_photo_twice_at_once_deletes_it_and_keeps_one_cover(browser_for):
    person = MemberFactory()
    car = CarFactory(owner=person)
    cover = PhotoFactory(car=car, is_cover=True)
    other = PhotoFactory(car=car)
    path = reverse("register:photo_delete", args=[cover.pk])

    responses = double_submit(browser_for, person, car.get_absolute_url(), path, {})

    assert_no_server_error(responses)
    # The second finds the photo gone already (404), or deletes nothing more.
    assert statuses(responses) in ([302, 302], [302, 404])
    assert list(CarPhoto.objects.filter(car=car)) == [other]
    other.refresh_from_db()
    assert other.is_cover
    assert not (Path(settings.MEDIA_ROOT) / cover.image.name).exists()
    assert (Path(settings.MEDIA_ROOT) / other.image.name).exists()


def test_starting_a_transfer_twice_at_once_starts_one(browser_for):
    person, buyer = MemberFactory(), MemberFactory()
    car = CarFactory(owner=person)
    data = {"buyer": buyer.email, "transfer_date": timezone.localdate().isoformat(), "note": ""}
    mail.outbox.clear()

    path = reverse("register:transfer", args=[car.pk])

    responses = double_submit(browser_for, person, path, path, data)

    assert_no_server_error(responses)
    assert 302 in statuses(responses)
    assert Transfer.objects.filter(car=car).count() == 1
    assert Transfer.objects.get().to_member == buyer
    assert [m.to for m in mail.outbox] == [[buyer.email]]


def test_declining_a_transfer_twice_at_once_tells_the_seller_once(browser_for):
    seller, buyer = MemberFactory(), MemberFactory()
    car = CarFactory(owner=seller)
    transfer = TransferFactory(car=car, from_member=seller, to_member=buyer)
    mail.outbox.clear()
    path = reverse("register:transfer_respond", args=[transfer.pk])

    garage = reverse("register:garage")
    responses = double_submit(browser_for, buyer, garage, path, {"action": "decline"})

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.DECLINED
    assert Ownership.objects.current().get(car=car).member == seller
    assert [m.to for m in mail.outbox] == [[seller.email]]


def test_rsvping_twice_at_once_makes_one_rsvp(browser_for):
    meet = MeetFactory(capacity=10)
    person = MemberFactory()
    car = CarFactory(owner=person)
    mail.outbox.clear()
    path = reverse("meets:rsvp", args=[meet.slug])

    responses = double_submit(browser_for, person, path, path, {"car": car.pk, "guests": 1})

    assert_no_server_error(responses)
    assert 302 in statuses(responses)
    rsvp = RSVP.objects.get(meet=meet, member=person)
    assert (rsvp.status, rsvp.car, rsvp.guests) == (RSVP.Status.GOING, car, 1)
    assert len(mail.outbox) == 1


def test_cancelling_an_rsvp_twice_at_once_gives_the_place_to_one_person(browser_for):
    meet = MeetFactory(capacity=1)
    mine = RSVPFactory(meet=meet)
    first_waiting = WaitlistedRSVPFactory(meet=meet)
    second_waiting = WaitlistedRSVPFactory(meet=meet)
    path = reverse("meets:rsvp_cancel", args=[mine.pk])

    page = meet.get_absolute_url()
    responses = double_submit(browser_for, mine.member, page, path, {})

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    statuses_now = dict(RSVP.objects.filter(meet=meet).values_list("pk", "status"))
    assert statuses_now == {
        mine.pk: RSVP.Status.CANCELLED,
        first_waiting.pk: RSVP.Status.GOING,
        second_waiting.pk: RSVP.Status.WAITLISTED,
    }


def test_saving_the_profile_with_a_new_photo_twice_at_once_keeps_one_photo(browser_for):
    person = MemberFactory(display_name="Ada Avatar")
    data = {
        "display_name": "Ada Lovelace",
        "name_visibility": "members",
        "country": "DE",
        "language": "en-gb",
    }
    picture = jpeg_bytes(size=(300, 300), color="navy")

    edit = reverse("accounts:profile_edit")

    responses = double_submit(
        browser_for,
        person,
        edit,
        edit,
        data,
        files={"avatar": ("me.jpg", picture, "image/jpeg")},
    )

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    person.refresh_from_db()
    assert person.display_name == "Ada Lovelace"
    assert person.avatar
    on_disk = {
        p.relative_to(settings.MEDIA_ROOT).as_posix()
        for p in Path(settings.MEDIA_ROOT).rglob("*")
        if p.is_file()
    }
    assert on_disk == {person.avatar.name}


# --- The organiser's forms ----------------------------------------------------------------


def organiser_of(*meets) -> User:
    person = MemberFactory(display_name="Oscar Organiser")
    person.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
    for meet in meets:
        meet.organisers.add(person)
    return person


def test_creating_a_meet_twice_at_once_creates_one_draft(browser_for):
    person = organiser_of()
    data = {
        "title": "Eifel Sunrise Run",
        "venue_name": "Nürburgring, Parkplatz T13",
        "venue_country": "DE",
        "time_zone": "Europe/Berlin",
        "starts_at": "2027-07-10T09:00",
        "ends_at": "2027-07-10T15:00",
        "capacity": "40",
        "attendee_visibility": "members",
    }
    path = reverse("meets:create")

    responses = double_submit(browser_for, person, path, path, data)

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    assert_sent_once(responses)
    assert Meet.objects.filter(organisers=person, status=Meet.Status.DRAFT).count() == 1


def test_sending_a_message_twice_at_once_sends_it_once(browser_for):
    meet = MeetFactory()
    going = [RSVPFactory(meet=meet) for _ in range(3)]
    person = organiser_of(meet)
    data = {"audience": "going", "subject": "Gates open at 8", "body": "See you there."}
    path = reverse("meets:message", args=[meet.slug])
    mail.outbox.clear()

    responses = double_submit(browser_for, person, path, path, data)

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    copies = Counter(tuple(m.to) for m in mail.outbox)
    assert set(copies) == {(r.member.email,) for r in going}
    assert set(copies.values()) == {1}
    assert Message.objects.filter(meet=meet).count() == 1
    assert_sent_once(responses)


def test_cancelling_a_meet_twice_at_once_tells_everyone_once(browser_for):
    meet = MeetFactory()
    going = [RSVPFactory(meet=meet) for _ in range(3)]
    person = organiser_of(meet)
    path = reverse("meets:cancel", args=[meet.slug])
    mail.outbox.clear()

    responses = double_submit(browser_for, person, path, path, {"reason": "Snow."})

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    meet.refresh_from_db()
    assert meet.status == Meet.Status.CANCELLED
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.member.email for r in going)


def test_two_helpers_scanning_one_code_at_once_check_the_car_in_once(browser_for):
    meet = GateDayMeetFactory()
    rsvp = RSVPFactory(meet=meet)
    helpers = [MemberFactory(), MemberFactory()]
    meet.checkin_helpers.add(*helpers)
    path = reverse("meets:checkin_code", args=[rsvp.checkin_code])
    browsers = [browser_for(helper) for helper in helpers]
    tabs = [browser.open(path) for browser in browsers]

    responses = together(
        [
            lambda browser=browser, tab=tab: browser.post(tab, path, {"back": "checkin"})
            for browser, tab in zip(browsers, tabs, strict=True)
        ]
    )

    assert_no_server_error(responses)
    assert statuses(responses) == [302, 302]
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.checked_in_by in helpers
    checkin_list = reverse("meets:checkin", args=[meet.slug])
    pages = [b.page(t, checkin_list) for b, t in zip(browsers, tabs, strict=True)]
    assert sum("Checked in:" in page for page in pages) == 1
    assert sum("Already checked in at" in page for page in pages) == 1
