"""The benchmark's side of the database, run by bench/run.py with the site's environment.

python bench/fixtures.py prepare OUT.json --load N --burst M
    Log the bench members in (sessions made with the site's own session engine, so
    no password is hashed under load) and pick what the load tool asks for: car
    pages, VIN tails to search for, a filter, the burst members and their cars.

python bench/fixtures.py probe OUT.json
    Every page's query count with the cache switched off (so every figure is computed),
    anonymous and logged in, for objects small and large (a car with one owner and one
    with the most): run on a small and on the large data set, it shows whether a page's
    query count grows with the data.

python bench/fixtures.py burst-check FIXTURES.json [--burst burst|burst_500] [--reset]
    After an RSVP burst: the meet's counts and what each burst member got, as JSON;
    --reset then deletes the burst's RSVPs, ready for the next burst.

python bench/fixtures.py writer FIXTURES.json --seconds N --out OUT.json
    The mixed pass's writer: one write a second for N seconds, in rotation a mileage
    reading on a car the car page loads, a new car by a bench member (registered and
    approved), an RSVP by a bench member to an upcoming meet, each through the
    project's services; writes what it did (kind, seconds taken) to OUT.json.
"""

# ruff: noqa: E402 - Django is set up before the project's modules are imported.
import argparse
import datetime
import json
import os
import random
import sys
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from meets.management.commands.seed_large import (
    BENCH_80_SLUG,
    BENCH_BIG_SLUG,
    BENCH_BURST_500_SLUG,
    BENCH_BURST_SLUG,
    BENCH_EMAIL,
)
from meets.models import RSVP, Meet
from register.models import Car, Colour, MileageReading, Ownership

SAMPLE = 500
GATE_PAGE = "gate-download"  # the check-in app's download: a device token, not a session


def _session_for(user: User) -> str:
    """A logged-in session for `user`, as django.contrib.auth.login would leave it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _bench_members(first: int, count: int) -> list[tuple[User, Car]]:
    emails = [BENCH_EMAIL.format(i) for i in range(first, first + count)]
    members = {u.email: u for u in User.objects.filter(email__in=emails)}
    missing = [e for e in emails if e not in members]
    if missing:
        raise SystemExit(f"Bench members missing (seed_large --bench-members?): {missing[:3]}")
    pairs = []
    for email in emails:
        member = members[email]
        car = Car.objects.owned_by(member).order_by("id").first()
        pairs.append((member, car))
    return pairs


def _filter() -> str:
    """The register filter: the commonest colour, with its model line, cars on the road."""
    colour = (
        Colour.objects.annotate(n=Count("cars")).order_by("-n").values("id", "model_line_id")
    ).first()
    return f"model_line={colour['model_line_id']}&colour={colour['id']}&status=road"


def bench_pages() -> dict[str, str]:
    """Page name → URL for every page the benchmark measures (and bench/cold.py times)."""
    from meets.models import MeetSeries

    public = Car.objects.public()
    car = public.order_by("id")[public.count() // 2]
    biggest = (
        Meet.objects.published()
        .annotate(n=Count("rsvps"))
        .order_by("-n", "id")
        .values_list("slug", flat=True)
        .first()
    )
    pages = {
        "baseline": "/_baseline/",
        "home": "/",
        "register": "/register/",
        "register-filtered": f"/register/?{_filter()}",
        "register-search": f"/register/?q={car.vin[-7:]}",
        "register-page-50": "/register/?page=50",
        "car": f"/register/cars/{car.pk}/",
        "stats": "/register/stats/",
        "for-sale": "/register/for-sale/",
        "api-cars": "/api/v1/cars/",
        "api-statistics": "/api/v1/statistics/",
        "meets": "/meets/",
        "meet-80": f"/meets/{BENCH_80_SLUG}/",
        "meet-biggest": f"/meets/{biggest}/",
    }
    series = MeetSeries.objects.order_by("id").values_list("slug", flat=True).first()
    if series:
        pages["series"] = f"/meets/series/{series}/"
    from meets.models import AlbumPhoto

    album = AlbumPhoto.objects.values_list("meet__slug", flat=True).first()
    if album:
        pages["album"] = f"/meets/{album}/album/"
    return pages


def probe(out: str) -> None:
    from django.test import Client
    from django.test.utils import override_settings

    public = Car.objects.public()
    # Cars of other members than the one logged in: their owner's page asks other
    # queries (transfers, not claims), which is not growth with the data.
    bench = User.objects.filter(email__endswith="@" + BENCH_EMAIL.split("@")[1])
    others = public.exclude(ownerships__member__in=bench)
    by_owners = others.annotate(n=Count("ownerships")).order_by("n", "id")
    most_seen = (
        RSVP.objects.filter(checked_in_at__isnull=False, car__in=others)
        .values("car")
        .annotate(n=Count("id"))
        .order_by("-n", "car")
        .first()
    )
    cars = [by_owners.first(), by_owners.last(), public.get(pk=most_seen["car"])]
    pages = {
        "baseline": ["/_baseline/"],
        "home": ["/"],
        "register": ["/register/"],
        "register-filtered": [f"/register/?{_filter()}"],
        "register-search": [f"/register/?q={car.vin[-7:]}" for car in cars],
        "car": [f"/register/cars/{car.pk}/" for car in cars],
        "stats": ["/register/stats/"],
        "meets": ["/meets/"],
        "meet-80": [f"/meets/{BENCH_80_SLUG}/"],
    }
    anonymous = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(User.objects.get(email=BENCH_EMAIL.format(0)))
    counts = {}
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=dummy):
        for page, urls in pages.items():
            for kind, client in (("anonymous", anonymous), ("member", member)):
                found = []
                for url in urls:
                    response = client.get(url)
                    if response.status_code != 200:
                        raise SystemExit(f"probe: {url} answered {response.status_code}")
                    found.append(int(response["X-Query-Count"]))
                counts.setdefault(page, {})[kind] = found
    Path(out).write_text(json.dumps({"cars": Car.objects.count(), "counts": counts}))


def _warm_up_meet(members: list[User]) -> Meet:
    """An upcoming meet, not the burst's, with room for every load member's RSVP."""
    from meets.services import can_rsvp

    candidates = (
        Meet.objects.published()
        .filter(starts_at__gt=timezone.now())
        .exclude(slug__in=[BENCH_BURST_SLUG, BENCH_80_SLUG])
        .exclude(rsvps__member__in=members)
        .annotate(going=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.GOING)))
        .filter(capacity__gte=F("going") + len(members))
        .order_by("starts_at")
    )
    for meet in candidates[:50]:
        if all(can_rsvp(meet=meet, member=member) is None for member in members):
            return meet
    raise SystemExit("No upcoming meet takes the warm-up's RSVPs (seed_large?)")


def _gate_token() -> str:
    """A check-in device for the meet with hundreds of cars, made as its organiser would."""
    from meets.gate import device_create

    meet = Meet.objects.get(slug=BENCH_BIG_SLUG)
    organiser = meet.organisers.first() or User.objects.get(email=BENCH_EMAIL.format(0))
    _device, token = device_create(meet=meet, name="make bench", by=organiser)
    return token


def prepare(out: str, load: int, burst: int, burst_500: int = 0) -> None:
    rng = random.Random(7)
    public = Car.objects.public()
    ids = list(public.values_list("id", flat=True).order_by("id"))
    picked = rng.sample(ids, min(SAMPLE, len(ids)))
    cars = list(public.filter(id__in=picked).values_list("id", "vin"))
    burst_meet = Meet.objects.get(slug=BENCH_BURST_SLUG)
    big_meet = Meet.objects.get(slug=BENCH_BURST_500_SLUG)
    load_members = _bench_members(0, load)
    pages = bench_pages()
    pages[GATE_PAGE] = "/api/checkin/v1/meet"
    fixtures = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "car_ids": [pk for pk, _vin in cars],
        "vin_tails": [vin[-7:] for _pk, vin in cars],
        "filter": _filter(),
        "meet_80": BENCH_80_SLUG,
        "burst_meet": BENCH_BURST_SLUG,
        "burst_capacity": burst_meet.capacity,
        "burst_going_before": RSVP.objects.filter(meet=burst_meet).going().count(),
        "load_sessions": [_session_for(m) for m, _car in load_members],
        "load_cars": [car.pk for _m, car in load_members],
        "warm_up_meet": _warm_up_meet([m for m, _car in load_members]).slug,
        "burst": [
            {"email": m.email, "session": _session_for(m), "car": car.pk}
            for m, car in _bench_members(load, burst)
        ],
        "pages": pages,
        "gate_token": _gate_token(),
        "burst_500_meet": BENCH_BURST_500_SLUG,
        "burst_500_capacity": big_meet.capacity,
        "burst_500_going_before": RSVP.objects.filter(meet=big_meet).going().count(),
        "burst_500": [
            {"email": m.email, "session": _session_for(m), "car": car.pk}
            for m, car in _bench_members(load + burst, burst_500)
        ],
    }
    Path(out).write_text(json.dumps(fixtures, indent=1))


def burst_check(path: str, reset: bool = False, which: str = "burst") -> None:
    """Print what the burst left; with `reset`, then take the burst's RSVPs back out.

    The reset leaves the meet as prepare found it (45 of 50 going, or none of 100), for
    the next burst. `which`: "burst" (16 members) or "burst_500".
    """
    fixtures = json.loads(Path(path).read_text())
    meet = Meet.objects.get(slug=fixtures[f"{which}_meet"])
    rsvps = RSVP.objects.filter(meet=meet)
    emails = [b["email"] for b in fixtures[which]]
    mine = rsvps.filter(member__email__in=emails)
    result = {
        "capacity": meet.capacity,
        "going_before": fixtures[f"{which}_going_before"],
        "going": rsvps.going().count(),
        "waitlisted": rsvps.waitlisted().count(),
        "burst_members": len(emails),
        "burst_going": mine.going().count(),
        "burst_waitlisted": mine.waitlisted().count(),
        "burst_members_with_one_rsvp": mine.values("member")
        .annotate(n=Count("id"))
        .filter(n=1)
        .count(),
    }
    if reset:
        mine.delete()
        # Deleted past the services: the meet's counters counted again (meets/counts.py).
        from meets.counts import meet_recount

        meet_recount(meet.pk)
        if rsvps.going().count() != fixtures[f"{which}_going_before"]:
            raise SystemExit("burst-check --reset: the meet did not go back to its places taken")
        _wait_for_the_task_worker()
    print(json.dumps(result))


def _wait_for_the_task_worker(limit: float = 180.0) -> None:
    """Until the worker has sent the burst's e-mails: the next burst starts on a quiet
    machine, as the first one did, not beside 16 confirmations being rendered."""
    import time

    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + limit
    busy = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    while DBTaskResult.objects.filter(status__in=busy).exists():
        if time.monotonic() > deadline:
            raise SystemExit("burst-check --reset: the task worker left e-mails unsent")
        time.sleep(0.1)


# -- the mixed pass's writer -----------------------------------------------------------------

WRITES = ("mileage", "car", "rsvp")


class Writer:
    """One write at a time, in rotation, through the project's services."""

    def __init__(self, fixtures: dict, seed: int | None = None):
        self.rng = random.Random(seed)
        self.fixtures = fixtures
        self.turn = 0
        # Every bench member: the mixed pass comes after the bursts, whose RSVPs are gone,
        # and a member RSVPs once a meet, so the RSVPs need many members and meets.
        bench = User.objects.filter(email__endswith="@" + BENCH_EMAIL.split("@")[1])
        self.members = list(bench.order_by("email"))

    def write(self) -> str:
        kind = WRITES[self.turn % len(WRITES)]
        self.turn += 1
        getattr(self, f"_{kind}")()
        return kind

    def _mileage(self) -> MileageReading:
        from register.services import mileage_reading_add

        car = Car.objects.get(pk=self.rng.choice(self.fixtures["car_ids"]))
        owner = Ownership.objects.current().filter(car=car).values_list("member", flat=True)
        member = User.objects.filter(pk__in=owner).first() or self.members[0]
        last = car.mileage_readings.order_by("-read_on", "-id").first()
        km = (last.kilometres if last else 0) + self.rng.randrange(100, 2_000)
        # One reading a day at most, moving on from the last one.
        day = max(last.read_on if last else datetime.date(2020, 1, 1), datetime.date(2020, 1, 1))
        day = min(day + datetime.timedelta(days=1), timezone.localdate())
        return mileage_reading_add(car=car, member=member, read_on=day, kilometres=km)

    def _car(self) -> Car:
        from register.demo import VIN_ALPHABET
        from register.services import car_approve, car_register

        member = self.rng.choice(self.members)
        like = Car.objects.public().order_by("id").first()
        tail = "".join(self.rng.choice(VIN_ALPHABET) for _ in range(9))
        car = Car(
            vin=f"WBSBNCHW{tail}",
            model_line_id=like.model_line_id,
            colour_id=like.colour_id,
            build_date=like.build_date,
            market=like.market,
            country=like.country,
            transmission=like.transmission,
            steering=like.steering,
            status=like.status,
        )
        car = car_register(member=member, car=car)
        return car_approve(car=car, staff=None)

    def _rsvp(self) -> RSVP:
        from meets.services import can_rsvp, rsvp_create

        upcoming = (
            Meet.objects.published()
            .filter(starts_at__gt=timezone.now())
            .exclude(slug__in=[BENCH_BURST_SLUG, BENCH_BURST_500_SLUG])
            .order_by("starts_at", "id")
        )
        for meet in upcoming[:200]:
            for member in self.members:
                if RSVP.objects.live().filter(meet=meet, member=member).exists():
                    continue
                if can_rsvp(meet=meet, member=member) is not None:
                    continue
                car = Car.objects.owned_by(member).first()
                taken = RSVP.objects.live().filter(meet=meet, car=car).exists()
                if car is None or taken:
                    continue
                return rsvp_create(meet=meet, member=member, car=car)
        raise SystemExit("writer: no upcoming meet takes another RSVP of a bench member")


def writer(path: str, seconds: float, out: str) -> None:
    """One write a second for `seconds`; the kinds and times to `out` (JSON)."""
    import time

    fixtures = json.loads(Path(path).read_text())
    done = []
    each = Writer(fixtures)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        tick = time.monotonic()
        kind = each.write()
        done.append({"kind": kind, "ms": (time.monotonic() - tick) * 1000, "at": time.time()})
        # Whole or not at all: run.py reads it after stopping this process at any moment.
        Path(out + ".tmp").write_text(json.dumps(done))
        os.replace(out + ".tmp", out)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out")
    p.add_argument("--load", type=int, required=True)
    p.add_argument("--burst", type=int, required=True)
    p.add_argument("--burst-500", type=int, default=0)
    q = sub.add_parser("probe")
    q.add_argument("out")
    c = sub.add_parser("burst-check")
    c.add_argument("fixtures")
    c.add_argument("--reset", action="store_true")
    c.add_argument("--burst", default="burst", choices=["burst", "burst_500"])
    w = sub.add_parser("writer")
    w.add_argument("fixtures")
    w.add_argument("--seconds", type=float, required=True)
    w.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out, args.load, args.burst, args.burst_500)
    elif args.command == "probe":
        probe(args.out)
    elif args.command == "writer":
        writer(args.fixtures, args.seconds, args.out)
    else:
        burst_check(args.fixtures, reset=args.reset, which=args.burst)


if __name__ == "__main__":
    main()
