"""Issue 16's pages on a phone (390 px wide): nothing sticks out sideways.

Series and clones, waiting-list offers and no-shows, check-in devices and the album's pages,
each as the person who uses it sees it, with content in it (long names, photos, offers).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from meets import albums, gate, services
from meets.album_models import AlbumPhoto
from meets.models import Meet
from meets.offer_models import Offer
from meets.series import series_create
from tests.accounts.images import jpeg_bytes, upload
from tests.browser.test_accessibility import log_in_as
from tests.factories import MemberFactory
from tests.meets.factories import (
    MeetFactory,
    PastMeetFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Maximiliane Wilhelmine von Hohenzollern-Sigmaringen"


def too_wide(page: Page, live_server, paths) -> dict[str, int]:
    """The paths whose page is wider than the phone, with their width."""
    wide = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{path} answered {response.status}"
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    return wide


def test_the_new_pages_fit_a_phone(live_server, page: Page, organiser):
    page.set_viewport_size(PHONE)
    page.set_default_timeout(10_000)
    start = timezone.now() + datetime.timedelta(days=10)
    meet = MeetFactory(
        title="Cars & Coffee Rhein-Main: the long summer breakfast drive",
        organisers=[organiser],
        capacity=1,
        promotion=Meet.Promotion.OFFER,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=4),
    )
    going = RSVPFactory(meet=meet, member=MemberFactory(display_name=LONG_NAME))
    waiting = WaitlistedRSVPFactory(meet=meet, member=MemberFactory(display_name=LONG_NAME))
    WaitlistedRSVPFactory(meet=meet)
    services.rsvp_cancel(rsvp=going, member=going.member)
    assert Offer.objects.open().get().rsvp == waiting
    series, _made = series_create(meet=meet, pattern="monthly_weekday", count=6)
    gate.device_create(meet=meet, name="Gate A at the long north entrance", by=organiser)

    past = PastMeetFactory(title="Nürburgring weekend 2025", organisers=[organiser])
    RSVPFactory(meet=past, member=MemberFactory(display_name=LONG_NAME))
    RSVPFactory(meet=past, checked_in_at=past.starts_at)
    attendee = MemberFactory(display_name=LONG_NAME)
    RSVPFactory(meet=past, member=attendee)
    for _ in range(2):
        photo = albums.album_photos_add(
            meet=past,
            member=attendee,
            uploads=[upload(jpeg_bytes(size=(1200, 800)))],
            caption="The whole paddock at dawn, from the grandstand above the pits",
            car=None,
        )[0]
        assert photo.state == AlbumPhoto.State.PENDING

    log_in_as(page, live_server, organiser)
    organiser_pages = [
        reverse("meets:list"),
        meet.get_absolute_url(),
        reverse("meets:attendees", args=[meet.slug]),
        reverse("meets:gate_devices", args=[meet.slug]),
        reverse("meets:clone", args=[meet.slug]),
        reverse("meets:repeat", args=[past.slug]),
        series.get_absolute_url(),
        reverse("meets:series_edit", args=[series.slug]),
        reverse("meets:no_shows"),
        reverse("meets:album", args=[past.slug]),
        reverse("meets:album_review", args=[past.slug]),
    ]
    wide = too_wide(page, live_server, organiser_pages)

    log_in_as(page, live_server, waiting.member)
    wide |= too_wide(page, live_server, [meet.get_absolute_url(), reverse("meets:mine")])
    log_in_as(page, live_server, attendee)
    wide |= too_wide(page, live_server, [reverse("meets:album_add", args=[past.slug])])

    assert not wide, f"wider than {PHONE['width']} px: {wide}"
