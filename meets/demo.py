"""Demo meets: the 2023 Nürburgring meet (80 cars checked in), an upcoming meet that is
full with a waiting list, an upcoming Sunday drive with plenty of room (where a member's
first RSVP is "going" and shows a check-in code), and the Nürburgring weekend 2027 (made a
draft, then published with RSVPs open and typed questions). Idempotent: keyed by slug."""

import datetime
import random
import zoneinfo

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL
from accounts.models import User
from meets.albums_demo import seed_albums
from meets.cache import meets_cache
from meets.demo_offers import seed_offers
from meets.models import RSVP, Meet
from meets.questions_demo import seed_questions
from meets.series_demo import seed_series
from register.models import Car, Ownership

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PAST_SLUG = "nurburgring-2023"
SUNDAY_DRIVE_SLUG = "eifel-sunday-drive"
NURBURGRING = {
    "venue_name": "Nürburgring, parking area at the Grand-Prix track",
    "venue_address": "Otto-Flimm-Straße, 53520 Nürburg",
    "venue_country": "DE",
    "latitude": "50.335600",
    "longitude": "6.947500",
    "time_zone": "Europe/Berlin",
}


def _at(year, month, day, hour, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def _member_cars() -> list[tuple[User, Car]]:
    """One car per member who owns one: who can come to a meet."""
    seen, pairs = set(), []
    ownerships = (
        Ownership.objects.current()
        .filter(member__isnull=False, car__review_status=Car.Review.VERIFIED)
        .select_related("member", "car")
        .order_by("member__membership_number", "car__plaque_number")
    )
    for ownership in ownerships:
        if ownership.member_id not in seen:
            seen.add(ownership.member_id)
            pairs.append((ownership.member, ownership.car))
    return pairs


def seed(stdout, rng: random.Random) -> None:
    organiser = User.objects.get(email=DEMO_ORGANISER_EMAIL)
    demo_member = User.objects.get(email=DEMO_MEMBER_EMAIL)
    made = []
    # Each part is keyed by its own slug: a demo database from before the Sunday drive
    # existed gets it on the next `make run`, and a second run changes nothing.
    if not Meet.objects.filter(slug=PAST_SLUG).exists():
        made.append(_seed_club_meets(rng, organiser=organiser, demo_member=demo_member))
        _cars_seen_at_meets()
        # Last-seen dates moved with update(): the register's counts follow them.
        from register.tallies import rebuild_tallies

        rebuild_tallies()
    if not Meet.objects.filter(slug=SUNDAY_DRIVE_SLUG).exists():
        made.append(_seed_sunday_drive(organiser=organiser, demo_member=demo_member))
    from meets.gate import seed_gate

    if gate_made := seed_gate(organiser=organiser):
        made.append(gate_made)
    seed_albums(stdout)  # the 2023 meet's album (meets/albums_demo.py)
    made += seed_series()  # issue 16: the monthly Cars & Coffee (meets/series_demo.py)
    made += seed_offers()  # meets/demo_offers.py: waiting-list offers and no-shows
    if ring := _open_the_ring_weekend(demo_member=demo_member):
        made.append(ring)
    made += seed_questions()  # typed questions and their answers (meets/questions_demo.py)
    moved = _keep_upcoming()
    if moved:
        made.append(f"{moved} moved on by whole weeks to stay ahead")
    # The demo writes RSVPs and offers in bulk, past the services: every meet's going,
    # waiting and held counters (meets/counts.py) recounted once, after.
    from meets.counts import recount_meets

    recount_meets()
    if not made:
        stdout.write(f"  meets: {Meet.objects.count()} meets already there\n")
        return
    stdout.write(
        f"  meets: {Meet.objects.count()} meets, {RSVP.objects.count()} RSVPs ({'; '.join(made)})\n"
    )


def _cars_seen_at_meets() -> None:
    """The demo's check-ins are evidence: the cars were seen those days (issue: last seen)."""
    from django.db.models.functions import TruncDate

    from register.lastseen import advance_from
    from register.models import Car

    advance_from(
        Car.objects.all(),
        RSVP.objects.filter(checked_in_at__isnull=False),
        date=TruncDate("checked_in_at"),
        kind=Car.Evidence.CHECK_IN,
        today=timezone.localdate(),
    )


# The demo's upcoming meets: a demo database outlives them, so make run moves them on.
UPCOMING_SLUGS = ("winter-breakfast-eifel", SUNDAY_DRIVE_SLUG)


def _keep_upcoming() -> int:
    """Move an upcoming demo meet that has come (or is a day off) on by whole weeks.

    `db.sqlite3` stays between runs of make run: five weeks after the first, the demo would
    have no meet left to RSVP to. Whole weeks keep each meet on its weekday and hour; its
    RSVPs stay as they are. A run while they are still ahead changes nothing.
    """
    soon = timezone.now() + datetime.timedelta(days=1)
    moved = 0
    for meet in Meet.objects.filter(slug__in=UPCOMING_SLUGS, starts_at__lt=soon):
        weeks = datetime.timedelta(weeks=(soon - meet.starts_at).days // 7 + 2)
        venue = zoneinfo.ZoneInfo(meet.time_zone)

        def later(moment, weeks=weeks, venue=venue):
            # On the venue's clock, so a meet moved across a change to summer time keeps
            # its hour.
            if moment is None:
                return None
            return (moment.astimezone(venue).replace(tzinfo=None) + weeks).replace(tzinfo=venue)

        Meet.objects.filter(pk=meet.pk).update(
            starts_at=later(meet.starts_at),
            ends_at=later(meet.ends_at),
            rsvp_opens_at=later(meet.rsvp_opens_at),
            rsvp_closes_at=later(meet.rsvp_closes_at),
        )
        moved += 1
    if moved:
        meets_cache.bump_on_commit()  # update() sends no signals
    return moved


def _seed_club_meets(rng: random.Random, *, organiser: User, demo_member: User) -> str:
    """The Ring in 2023, the full winter breakfast with its waiting list, the 2027 draft."""
    pairs = _member_cars()
    with transaction.atomic():
        past = Meet.objects.create(
            slug=PAST_SLUG,
            title="Nürburgring Treffen 2023",
            description="The register's summer meet at the Ring: a parade lap, the group photo "
            "on the Grand-Prix track, and 80 cars in the paddock.",
            starts_at=_at(2023, 6, 17, 9),
            ends_at=_at(2023, 6, 17, 18),
            capacity=90,
            status=Meet.Status.PUBLISHED,
            attendee_visibility=Meet.AttendeeVisibility.PUBLIC,
            **NURBURGRING,
        )
        past.organisers.add(organiser)
        came = [pair for pair in pairs if pair[0] != demo_member][:80]
        RSVP.objects.bulk_create(
            RSVP(
                meet=past,
                member=member,
                car=car,
                guests=rng.choice([0, 0, 1, 1, 2]),
                status=RSVP.Status.GOING,
                created_at=_at(2023, 4, 1, 10) + datetime.timedelta(minutes=17 * i),
                checked_in_at=_at(2023, 6, 17, 8, 30) + datetime.timedelta(minutes=2 * i),
                checked_in_by=organiser,
            )
            for i, (member, car) in enumerate(came)
        )

        now = timezone.now()
        start = (now + datetime.timedelta(days=24)).astimezone(BERLIN)
        upcoming = Meet.objects.create(
            slug="winter-breakfast-eifel",
            title="Winter breakfast in the Eifel",
            description="Coffee, breakfast and a short drive through the Eifel. "
            "Space in the car park is limited: 40 cars.",
            starts_at=start.replace(hour=9, minute=30, second=0, microsecond=0),
            ends_at=start.replace(hour=13, minute=0, second=0, microsecond=0),
            capacity=40,
            rsvp_opens_at=now - datetime.timedelta(days=10),
            status=Meet.Status.PUBLISHED,
            members_only=True,
            attendee_visibility=Meet.AttendeeVisibility.MEMBERS,
            venue_name="Café am Ring, Adenau",
            venue_address="Hauptstraße 1, 53518 Adenau",
            venue_country="DE",
            time_zone="Europe/Berlin",
        )
        upcoming.organisers.add(organiser)
        coming = [pair for pair in pairs if pair[0] != demo_member][:39] + [
            pair for pair in pairs if pair[0] == demo_member
        ]
        waiting = [pair for pair in pairs if pair not in coming][:4]
        RSVP.objects.bulk_create(
            [
                RSVP(
                    meet=upcoming,
                    member=member,
                    car=car,
                    status=RSVP.Status.GOING,
                    created_at=now - datetime.timedelta(days=9, minutes=-13 * i),
                )
                for i, (member, car) in enumerate(coming)
            ]
            + [
                RSVP(
                    meet=upcoming,
                    member=member,
                    car=car,
                    status=RSVP.Status.WAITLISTED,
                    created_at=now - datetime.timedelta(days=2, minutes=-7 * i),
                )
                for i, (member, car) in enumerate(waiting)
            ]
        )

        draft = Meet.objects.create(
            slug="nurburgring-2027",
            title="Nürburgring weekend 2027",
            description="Draft: the big one. Two days at the Ring, a parade lap and the dinner.",
            starts_at=_at(2027, 6, 19, 9),
            ends_at=_at(2027, 6, 20, 16),
            capacity=120,
            rsvp_opens_at=_at(2027, 2, 1, 12),
            rsvp_closes_at=_at(2027, 6, 1, 23, 59),
            status=Meet.Status.DRAFT,
            attendee_visibility=Meet.AttendeeVisibility.PUBLIC,
            **NURBURGRING,
        )
        draft.organisers.add(organiser)
    return f"{len(came)} cars checked in at the Ring in 2023"


RING_2027_SLUG = "nurburgring-2027"
RING_2027_GOING = 45


def _open_the_ring_weekend(*, demo_member: User) -> str:
    """The Nürburgring weekend 2027, once a draft, published with RSVPs open and 45 cars
    going (their answers to its typed questions come with meets/questions_demo.py). Once:
    a weekend already published, or with RSVPs, is left as it is."""
    from meets.services import can_rsvp

    meet = Meet.objects.filter(slug=RING_2027_SLUG, status=Meet.Status.DRAFT).first()
    if meet is None or meet.rsvps.exists():
        return ""
    now = timezone.now()
    with transaction.atomic():
        meet.status = Meet.Status.PUBLISHED
        meet.rsvp_opens_at = min(now - datetime.timedelta(days=10), meet.starts_at)
        meet.description = (
            "The big one: two days at the Ring, a parade lap on the Grand-Prix track on "
            "Saturday evening and the dinner at the Lindner. Answer the questions below "
            "when you RSVP; your wristband number is asked at the gate."
        )
        meet.save(update_fields=["status", "rsvp_opens_at", "description"])
        going = [
            (member, car)
            for member, car in _member_cars()
            if member != demo_member and can_rsvp(meet=meet, member=member) is None
        ][:RING_2027_GOING]
        RSVP.objects.bulk_create(
            RSVP(
                meet=meet,
                member=member,
                car=car,
                status=RSVP.Status.GOING,
                created_at=now - datetime.timedelta(days=9, minutes=-97 * i),
            )
            for i, (member, car) in enumerate(going)
        )
    meets_cache.bump()
    return f"{meet.title} published with {len(going)} cars going"


def _seed_sunday_drive(*, organiser: User, demo_member: User) -> str:
    """An upcoming meet with plenty of room: a member's first RSVP there is "going".

    A dozen active members are going already, so the page has cars to show; the demo
    member is not, so they can RSVP with their own car and see their check-in code.
    """
    now = timezone.now()
    # The first Sunday at least five weeks from today, a week or two after the breakfast.
    day = (now + datetime.timedelta(days=35)).astimezone(BERLIN).date()
    day += datetime.timedelta(days=(6 - day.weekday()) % 7)
    going = [
        (member, car)
        for member, car in _member_cars()
        if member != demo_member and member.is_active_member
    ][40:52]
    with transaction.atomic():
        drive = Meet.objects.create(
            slug=SUNDAY_DRIVE_SLUG,
            title="Eifel Sunday drive",
            description="A relaxed Sunday through the Vulkaneifel: 140 km of quiet B-roads "
            "past the maars, a lunch stop at the halfway point and coffee at the finish. "
            "Room for 60 cars, so bring yours: every member is welcome, first meet or fiftieth.",
            starts_at=datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=BERLIN),
            ends_at=datetime.datetime.combine(day, datetime.time(17, 0), tzinfo=BERLIN),
            capacity=60,
            rsvp_opens_at=now - datetime.timedelta(days=3),
            status=Meet.Status.PUBLISHED,
            attendee_visibility=Meet.AttendeeVisibility.MEMBERS,
            venue_name="Landgasthof Maarblick, Daun (start and finish)",
            venue_address="Maarstraße 12, 54550 Daun",
            venue_country="DE",
            time_zone="Europe/Berlin",
        )
        drive.organisers.add(organiser)
        RSVP.objects.bulk_create(
            RSVP(
                meet=drive,
                member=member,
                car=car,
                guests=i % 2,
                status=RSVP.Status.GOING,
                created_at=now - datetime.timedelta(days=2, minutes=-41 * i),
            )
            for i, (member, car) in enumerate(going)
        )
    return f"{len(going)} of {drive.capacity} places taken on the Eifel Sunday drive"
