"""The crawling fuzzer: every form the site shows, to every role, over real HTTP.

A small club is seeded (a pending member, an owner with cars, photos, a timeline, mileage,
a claim and a transfer to accept, another member, a check-in helper, an organiser of a
full meet with a waiting list and questions, and staff) and served by pytest-django's
live server. As each role — anonymous, pending, member, helper, organiser, staff — the
crawler (tests/fuzz/crawler.py) follows the site's links from the home page, the garage,
the meets, the profile, the review queue and the admin, and parses every form it finds.
Then the forms are sent, in turn, a valid baseline and mutations of it: wrong types,
boundaries, huge and odd Unicode text, invalid UTF-8, fields missing or sent twice, other
members' ids and ids that do not exist, values that are no option, stale and forged
tokens, junk files, tampered ids in the URL. The test fails if any answer is a 5xx (or
no answer comes), and names every such request: role, method, URL and mutation.

The run is repeatable: a fixed seed picks the mutations. By default it sends 2,000
requests after the crawl (in about a minute on one core); a longer hunt, or another seed:

    PADDOCK_FUZZ_REQUESTS=10000 .venv/bin/pytest -q tests/fuzz/test_crawl.py
    PADDOCK_FUZZ_SEED=7 tests/with_postgres.sh .venv/bin/pytest -q tests/fuzz/test_crawl.py

It sends every request asked for: a busy CI machine takes longer (about 110 s of CPU for
2,000; under three minutes beside the other lane of `make test`), it does not send fewer.
PADDOCK_FUZZ_SECONDS (by default 300, or 150 ms a request for a longer run) only stops a
run that hangs, and then the test fails for the requests it did not send. Each run writes its
counts to test-output/fuzz-summary-<database>.txt and prints them at the end of pytest's report.
`make test` runs it on both lanes, 1,000 requests each with its own seed (13 on PostgreSQL,
14 on SQLite): 2,000 requests, and mutations of two seeds, in the time of one.
"""

import datetime
import os
import random
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import path

from accounts.models import ORGANISERS_GROUP, User
from meets.models import Meet
from tests.fuzz.crawler import SUMMARIES, Agent, Fuzzer, Stats
from tests.meets.factories import CheckedInRSVPFactory, PastMeetFactory
from tests.register.factories import (
    CarFactory,
    ClaimFactory,
    MileageReadingFactory,
    TimelineEntryFactory,
)

REQUESTS = int(os.environ.get("PADDOCK_FUZZ_REQUESTS", "2000"))
SEED = int(os.environ.get("PADDOCK_FUZZ_SEED", "13"))
# A guard against a hang, not the budget: the requests asked for are the floor.
SECONDS = float(os.environ.get("PADDOCK_FUZZ_SECONDS", "0")) or max(300.0, REQUESTS * 0.15)
# The most pages each role's crawl visits: its start pages, then what their links lead to.
PAGES = {"anonymous": 20, "pending": 25, "member": 45, "helper": 30, "organiser": 40, "staff": 80}
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

pytestmark = [pytest.mark.crawl, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def club(world, pending_member):
    """The fuzz suite's world (tests/fuzz/conftest.py) and what a crawler can find more."""
    car = world.car
    TimelineEntryFactory(car=car, title="First service")
    MileageReadingFactory(car=car, kilometres=12_000)
    MileageReadingFactory(car=car, read_on=datetime.date(2022, 5, 1), kilometres=31_000)
    ClaimFactory(car=CarFactory(unverified=True), claimant=world.member)
    past = PastMeetFactory(title="Last winter", organisers=[world.organiser])
    CheckedInRSVPFactory(meet=past, member=world.member, car=car)
    world.meet.checkin_helpers.add(world.helper)
    return SimpleNamespace(**vars(world), pending=pending_member, past=past)


def login_for(user: User):
    """A function that logs `user` in afresh and returns the session cookie's value."""

    def login() -> str:
        client = Client()
        client.force_login(User.objects.get(pk=user.pk))
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    return login


@pytest.fixture
def agents(live_server):
    """agents({role: user or None}) → browsers over HTTP; closed after the test."""
    made: list[Agent] = []
    stats = Stats()

    def make(cast: dict) -> tuple[dict[str, Agent], Stats]:
        for role, user in cast.items():
            login = login_for(user) if user is not None else None
            made.append(Agent(role, live_server.url, stats, login))
        return {agent.role: agent for agent in made}, stats

    yield make
    for agent in made:
        agent.close()
    # Each closed connection ends its thread in the live server, which then closes its
    # database connection: wait for that, or PostgreSQL cannot drop the test database.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.02)


def start_pages(club) -> dict[str, list[str]]:
    everyone = ["/", "/register/", "/meets/", "/register/stats/", "/members/"]
    signed_out = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    member = [
        "/accounts/profile/",
        "/accounts/profile/edit/",
        "/accounts/profile/delete/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/register/garage/",
        "/register/add/",
        "/register/claim/",
        "/meets/mine/",
        club.meet.get_absolute_url(),
    ]
    car = f"/register/cars/{club.car.pk}/"
    owner = [car, f"{car}edit/", f"{car}timeline/", f"{car}mileage/", f"{car}photos/"]
    owner += [f"{car}transfer/", f"/register/transfers/{club.transfer.pk}/"]
    pages = ("manage", "edit", "message", "helpers", "checkin")
    organiser = [f"/meets/{m.slug}/{page}/" for m in (club.meet, club.draft) for page in pages]
    organiser += ["/meets/new/", f"/meets/{club.past.slug}/manage/"]
    staff = ["/register/review/", "/register/staff/import/", "/admin/"]
    return {
        "anonymous": everyone + signed_out,
        "pending": everyone + member,
        "member": everyone + member + owner,
        "helper": everyone + member + [f"/meets/{club.meet.slug}/checkin/"],
        "organiser": everyone + member + organiser,
        "staff": everyone + member + staff + organiser,
    }


def restorer(club):
    """A function that puts the cast back as it was: who is active, staff, an organiser.

    A fuzzed form may lapse a member, take staff rights away or change a password in the
    admin, or drop a helper from a meet; the rest of the run should still reach the pages
    that person could reach. Called every hundred requests.
    """
    cast = [club.member, club.other_member, club.pending, club.helper, club.organiser]
    cast.append(club.staff)
    columns = ("is_active", "is_staff", "is_superuser", "membership_status", "password")
    users = {u.pk: {c: getattr(u, c) for c in columns} for u in cast}
    meets = {m.pk: m.status for m in (club.meet, club.other_meet, club.draft, club.past)}
    group = Group.objects.get(name=ORGANISERS_GROUP)

    def restore() -> None:
        for pk, values in users.items():
            User.objects.filter(pk=pk).update(**values)
        for pk, status in meets.items():
            Meet.objects.filter(pk=pk).update(status=status)
        club.organiser.groups.add(group)
        for meet in Meet.objects.filter(pk__in=meets):
            meet.organisers.add(club.organiser)
        club.meet.checkin_helpers.add(club.helper)

    return restore


def test_no_form_answers_a_mutated_request_with_a_server_error(club, agents):
    cast = {
        "anonymous": None,
        "pending": club.pending,
        "member": club.member,
        "helper": club.helper,
        "organiser": club.organiser,
        "staff": club.staff,
    }
    browsers, stats = agents(cast)
    fuzzer = Fuzzer(browsers, random.Random(SEED), stats)
    started, cpu, client = time.monotonic(), time.process_time(), time.thread_time()

    fuzzer.discover(start_pages(club), pages=PAGES)
    crawl_requests, crawl_seconds = stats.requests, time.monotonic() - started
    restore = restorer(club)
    sent = fuzzer.run(
        REQUESTS, seconds=SECONDS, between=lambda n: restore() if n % 100 == 0 else None
    )
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    client = time.thread_time() - client

    summary = (
        f"crawl fuzzer (seed {SEED}): {sent} requests to {len(fuzzer.targets)} forms "
        f"as {len(cast)} roles after a crawl of {crawl_requests} pages in {crawl_seconds:.0f} s; "
        f"{stats.requests} requests in {seconds:.0f} s "
        f"({cpu:.0f} s of CPU, {client:.0f} s of it in the client), "
        f"{len(stats.failures)} failed; statuses {dict(sorted(stats.statuses.items(), key=str))}; "
        f"{stats.retries} resent on a new connection, {stats.relogins} new log-ins"
    )
    SUMMARIES.append(summary)
    # One file a database: make test runs a crawl on each lane at the same time.
    SUMMARY = OUTPUT / f"fuzz-summary-{connection.vendor}.txt"
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text("\n".join([summary, *fuzzer.details()]) + "\n", encoding="utf-8")
    assert not stats.failures, f"{len(stats.failures)} requests failed:\n{fuzzer.report()}"
    assert sent >= REQUESTS, f"only {sent} of {REQUESTS} requests in {SECONDS:.0f} s"


# --- The fuzzer itself finds a server error ----------------------------------------------


def broken_form(request):
    """A page with a form whose view fails (a 500) unless `count` is a plain number."""
    if request.method == "POST":
        count = int(request.POST["count"])  # the bug: a ValueError or KeyError is a 500
        return HttpResponse(f"<p>{count} cars</p>")
    return HttpResponse(
        '<form method="post" action="/broken/"><input type="hidden" '
        f'name="csrfmiddlewaretoken" value="{get_token(request)}">'
        '<input type="number" name="count" value="3"><input name="note"></form>'
    )


urlpatterns = [path("broken/", broken_form)]


def test_it_names_each_request_that_got_a_server_error(agents, settings):
    settings.ROOT_URLCONF = __name__
    browsers, stats = agents({"anonymous": None})
    fuzzer = Fuzzer(browsers, random.Random(13), stats)
    fuzzer.discover({"anonymous": ["/broken/"]})

    fuzzer.run(40, seconds=60)

    assert [form.action for _, form in fuzzer.targets] == ["/broken/"]
    assert stats.statuses[200] > 0  # the baseline and spoiled notes got through
    assert stats.failures, "no mutation of `count` got the 500 it causes"
    assert all(f.status == 500 and f.url.endswith("/broken/") for f in stats.failures)
    assert all("count" in f.mutation or "field" in f.mutation for f in stats.failures)
    report = fuzzer.report()
    assert "500 for POST http" in report and "/broken/ as anonymous [count" in report
    # With the exception the view raised, and where.
    assert "ValueError: invalid literal for int()" in report
    assert f"(at test_crawl.py:{broken_form.__code__.co_firstlineno + 3})" in report
    assert stats.statuses[500] == len(stats.failures)
