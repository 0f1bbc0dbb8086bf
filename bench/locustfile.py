"""The load bench/run.py drives with locust, one page per run.

Environment (set by bench/run.py):

- BENCH_PAGE: which page the users ask for (a name of bench/fixtures.py's bench_pages(),
  "gate-download", "static"), or "rsvp-burst" / "rsvp-burst-500";
- BENCH_FIXTURES: the JSON bench/fixtures.py wrote (sessions, car ids, VIN tails…);
- BENCH_OUT: where to write every request's latency and X-Query-Count, as JSON;
- BENCH_USERS: how many users; half of them anonymous, half logged in.

The users wait for nothing between requests: each is a client that asks again as soon
as it has its answer (a closed loop), so the site runs flat out.
"""

import itertools
import json
import os
import random
import re
import secrets
import time
from pathlib import Path

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

FIXTURES = json.loads(Path(os.environ["BENCH_FIXTURES"]).read_text())
PAGE = os.environ.get("BENCH_PAGE", "baseline")
OUT = os.environ.get("BENCH_OUT", "")
USERS = int(os.environ.get("BENCH_USERS", "16"))
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ONCE_INPUT = re.compile(r'name="form_once" value="([^"]+)"')


def _path(page: str, rng: random.Random) -> str:
    """The URL of one request to `page`; pages with many objects rotate through them."""
    if page == "car":
        return f"/register/cars/{rng.choice(FIXTURES['car_ids'])}/"
    if page == "register-search":
        return f"/register/?q={rng.choice(FIXTURES['vin_tails'])}"
    if page == "static":
        return "/static/css/site.css"
    return FIXTURES["pages"][page]


# -- what every request took -------------------------------------------------------------

SAMPLES: list[tuple] = []


@events.request.add_listener
def _record(name, response_time, response, context, exception, response_length=0, **_kwargs):
    headers = getattr(response, "headers", None) or {}
    queries = headers.get("X-Query-Count")
    SAMPLES.append(
        (
            name,
            context.get("kind", ""),
            response_time,
            int(queries) if queries else None,
            exception is None,
            getattr(response, "status_code", 0) or 0,
            time.time(),
            response_length or 0,
        )
    )


@events.quitting.add_listener
def _write(**_kwargs):
    if OUT:
        keys = ("name", "kind", "ms", "queries", "ok", "status", "end", "bytes")
        with open(OUT, "w") as out:
            json.dump([dict(zip(keys, s, strict=True)) for s in SAMPLES], out)


# -- page load: anonymous visitors and logged-in members ---------------------------------

_sessions = itertools.count()


class Visitor(FastHttpUser):
    """Someone who is not logged in."""

    wait_time = constant(0)
    fixed_count = USERS - USERS // 2
    kind = "anonymous"

    def on_start(self):
        self.rng = random.Random()
        self.headers = {}
        if PAGE == "gate-download":  # the check-in app: its device token, no session
            self.headers = {"Authorization": f"Device {FIXTURES['gate_token']}"}

    @task
    def page(self):
        self.client.get(
            _path(PAGE, self.rng), name=PAGE, headers=self.headers, context={"kind": self.kind}
        )


class Member(Visitor):
    """A logged-in bench member (a session bench/fixtures.py made)."""

    fixed_count = USERS // 2
    kind = "member"

    def on_start(self):
        super().on_start()
        sessions = FIXTURES["load_sessions"]
        session = sessions[next(_sessions) % len(sessions)]
        if PAGE != "gate-download":
            self.headers = {"Cookie": f"{FIXTURES['session_cookie']}={session}"}


# -- the RSVP burst: every burst member POSTs at the same moment -------------------------

_burst = itertools.count()
# "burst" (16 members, a nearly full meet) or "burst_500" (500 members, 100 places).
BURST_KEY = "burst_500" if PAGE == "rsvp-burst-500" else "burst"
_ready = {"forms": 0, "posted": 0}
_go = Event()


class Burst(FastHttpUser):
    """A bench member who RSVPs for the nearly full meet, once, together with the others."""

    wait_time = constant(0)

    def on_start(self):
        me = FIXTURES[BURST_KEY][next(_burst)]
        csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret Django accepts as it is
        self.headers = {
            "Cookie": f"{FIXTURES['session_cookie']}={me['session']}; "
            f"{FIXTURES['csrf_cookie']}={csrf}"
        }
        self.car = me["car"]
        self.url = f"/meets/{FIXTURES[BURST_KEY + '_meet']}/rsvp/"
        form = self.client.get(
            self.url, name="rsvp-form", headers=self.headers, context={"kind": "form"}
        )
        found = CSRF_INPUT.search(form.text or "")
        self.token = found.group(1) if found else ""
        # The form's one-time token, sent as a browser does (the server claims it).
        once = ONCE_INPUT.search(form.text or "")
        self.once = once.group(1) if once else ""
        _ready["forms"] += 1
        if _ready["forms"] == len(FIXTURES[BURST_KEY]):
            _go.set()

    @task
    def rsvp(self):
        _go.wait(timeout=60)
        with self.client.post(
            self.url,
            data={
                "csrfmiddlewaretoken": self.token,
                "form_once": self.once,
                "car": str(self.car),
                "guests": "0",
            },
            headers=self.headers,
            allow_redirects=False,
            name=PAGE,
            context={"kind": "member"},
            catch_response=True,
        ) as response:
            # Success is the redirect to the meet, whether going or on the waiting list.
            if response.status_code != 302:
                response.failure(f"expected a redirect, got {response.status_code}")
        _ready["posted"] += 1
        if _ready["posted"] == len(FIXTURES[BURST_KEY]):
            gevent.spawn_later(0.2, self.environment.runner.quit)
        raise StopUser()
