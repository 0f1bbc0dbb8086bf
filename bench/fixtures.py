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

python bench/fixtures.py burst-check FIXTURES.json [--reset]
    After the RSVP burst: the meet's counts and what each burst member got, as JSON;
    --reset then deletes the burst's RSVPs, ready for the next burst.
"""

# ruff: noqa: E402 - Django is set up before the project's modules are imported.
import argparse
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
    BENCH_BURST_SLUG,
    BENCH_EMAIL,
)
from meets.models import RSVP, Meet
from register.models import Car, Colour

SAMPLE = 500


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
        car = Car.objects.owned_by(member).get()
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
    by_owners = public.annotate(n=Count("ownerships")).order_by("n", "id")
    most_seen = (
        RSVP.objects.filter(checked_in_at__isnull=False, car__in=public)
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


def prepare(out: str, load: int, burst: int) -> None:
    rng = random.Random(7)
    public = Car.objects.public()
    ids = list(public.values_list("id", flat=True).order_by("id"))
    picked = rng.sample(ids, min(SAMPLE, len(ids)))
    cars = list(public.filter(id__in=picked).values_list("id", "vin"))
    burst_meet = Meet.objects.get(slug=BENCH_BURST_SLUG)
    load_members = _bench_members(0, load)
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
    }
    Path(out).write_text(json.dumps(fixtures, indent=1))


def burst_check(path: str, reset: bool = False) -> None:
    """Print what the burst left; with `reset`, then take the burst's RSVPs back out.

    The reset leaves the meet as prepare found it (45 of 50 going), for the next burst.
    """
    fixtures = json.loads(Path(path).read_text())
    meet = Meet.objects.get(slug=fixtures["burst_meet"])
    rsvps = RSVP.objects.filter(meet=meet)
    emails = [b["email"] for b in fixtures["burst"]]
    mine = rsvps.filter(member__email__in=emails)
    result = {
        "capacity": meet.capacity,
        "going_before": fixtures["burst_going_before"],
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
        if rsvps.going().count() != fixtures["burst_going_before"]:
            raise SystemExit("burst-check --reset: the meet did not go back to its places taken")
        _wait_for_the_task_worker()
    print(json.dumps(result))


def _wait_for_the_task_worker(limit: float = 30.0) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out")
    p.add_argument("--load", type=int, required=True)
    p.add_argument("--burst", type=int, required=True)
    q = sub.add_parser("probe")
    q.add_argument("out")
    c = sub.add_parser("burst-check")
    c.add_argument("fixtures")
    c.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out, args.load, args.burst)
    elif args.command == "probe":
        probe(args.out)
    else:
        burst_check(args.fixtures, reset=args.reset)


if __name__ == "__main__":
    main()
