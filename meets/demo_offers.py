"""Demo data for waiting-list offers and no-shows (called once from meets/demo.py).

- The Nürburgring weekend 2027 offers freed places (24 hours to accept).
- "Evening run to the Hohe Acht", upcoming and full, offers its places: the demo member
  (member@paddock.example) is first in line and holds an open offer to accept or decline.
- Two past meets where check-in was used and a few members going never came: the
  organiser's no-shows page has something to show.

Idempotent: keyed by slug. On a later run an offer of the demo member's that ran out while
nobody looked is given another 24 hours, so the demo always has one to click.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL
from accounts.models import User
from meets.models import RSVP, Meet
from meets.offer_models import Offer

RING_2027_SLUG = "nurburgring-2027"
OFFER_SLUG = "hohe-acht-evening-run"
NO_SHOW_SLUGS = ("ring-spring-breakfast", "mosel-autumn-drive")
OFFER_HOURS = 24


def seed_offers() -> list[str]:
    """What was made, one line each (nothing on a second run)."""
    from meets.demo import _member_cars  # meets/demo.py calls this module

    made = []
    Meet.objects.filter(slug=RING_2027_SLUG).update(
        promotion=Meet.Promotion.OFFER, offer_hours=OFFER_HOURS
    )
    organiser = User.objects.get(email=DEMO_ORGANISER_EMAIL)
    demo_member = User.objects.get(email=DEMO_MEMBER_EMAIL)
    pairs = [(m, c) for m, c in _member_cars() if m != demo_member and m.is_active_member]
    mine = [(m, c) for m, c in _member_cars() if m == demo_member]
    with transaction.atomic():
        if not Meet.objects.filter(slug=OFFER_SLUG).exists() and mine:
            made.append(_offer_meet(organiser, pairs[30:41], mine[0]))
        if not Meet.objects.filter(slug__in=NO_SHOW_SLUGS).exists():
            made.append(_no_show_meets(organiser, pairs[:24]))
        _refresh_demo_offer(demo_member)
    return made


def _offer_meet(organiser, pairs, demo_pair) -> str:
    now = timezone.now()
    start = (now + datetime.timedelta(days=17)).replace(hour=17, minute=0, second=0, microsecond=0)
    meet = Meet.objects.create(
        slug=OFFER_SLUG,
        title="Evening run to the Hohe Acht",
        description="A short evening run up to the Hohe Acht tower for the sunset. The car "
        "park takes ten cars: freed places are offered to the waiting list, 24 hours to accept.",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        capacity=10,
        rsvp_opens_at=now - datetime.timedelta(days=7),
        status=Meet.Status.PUBLISHED,
        members_only=True,
        venue_name="Parking at the Hohe Acht, Kaltenborn",
        venue_country="DE",
        time_zone="Europe/Berlin",
        promotion=Meet.Promotion.OFFER,
        offer_hours=OFFER_HOURS,
    )
    meet.organisers.add(organiser)
    going, waiting = pairs[:9], pairs[9:11]
    created = now - datetime.timedelta(days=6)
    RSVP.objects.bulk_create(
        RSVP(
            meet=meet,
            member=member,
            car=car,
            status=RSVP.Status.GOING,
            created_at=created + datetime.timedelta(minutes=7 * i),
        )
        for i, (member, car) in enumerate(going)
    )
    # A tenth car cancelled yesterday: its place is offered to the first in line.
    member, car = demo_pair
    first = RSVP.objects.create(
        meet=meet,
        member=member,
        car=car,
        status=RSVP.Status.WAITLISTED,
        created_at=created + datetime.timedelta(days=1),
    )
    RSVP.objects.bulk_create(
        RSVP(
            meet=meet,
            member=member,
            car=car,
            status=RSVP.Status.WAITLISTED,
            created_at=created + datetime.timedelta(days=2, minutes=i),
        )
        for i, (member, car) in enumerate(waiting)
    )
    made_at = now - datetime.timedelta(hours=2)
    Offer.objects.create(
        rsvp=first, made_at=made_at, expires_at=made_at + datetime.timedelta(hours=OFFER_HOURS)
    )
    return f"{meet.title}: full, with an open offer for the demo member"


def _refresh_demo_offer(demo_member) -> None:
    now = timezone.now()
    Offer.objects.open().filter(
        rsvp__member=demo_member, rsvp__meet__slug=OFFER_SLUG, rsvp__meet__starts_at__gt=now
    ).filter(expires_at__lte=now).update(
        made_at=now, expires_at=now + datetime.timedelta(hours=OFFER_HOURS)
    )


def _no_show_meets(organiser, pairs) -> str:
    now = timezone.now()
    no_shows = 0
    for slug, title, days_ago, people, missed in (
        (NO_SHOW_SLUGS[0], "Spring breakfast at the Ring", 120, pairs[:18], {2, 9, 14}),
        (NO_SHOW_SLUGS[1], "Autumn drive along the Mosel", 50, pairs[:12] + pairs[18:24], {2, 5}),
    ):
        start = (now - datetime.timedelta(days=days_ago)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        meet = Meet.objects.create(
            slug=slug,
            title=title,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=5),
            capacity=30,
            status=Meet.Status.PUBLISHED,
            venue_name="Nürburgring" if days_ago == 120 else "Bernkastel-Kues",
            venue_country="DE",
            time_zone="Europe/Berlin",
        )
        meet.organisers.add(organiser)
        RSVP.objects.bulk_create(
            RSVP(
                meet=meet,
                member=member,
                car=car,
                status=RSVP.Status.GOING,
                created_at=start - datetime.timedelta(days=20, minutes=-9 * i),
                checked_in_at=None if i in missed else start + datetime.timedelta(minutes=3 * i),
                checked_in_by=None if i in missed else organiser,
            )
            for i, (member, car) in enumerate(people)
        )
        no_shows += len(missed)
    return f"2 past meets with {no_shows} no-shows"
