"""make bench: serve the site under production settings and measure it under real load.

For each database (SQLite in a temporary directory, then a throwaway PostgreSQL started by
tests/with_postgres.sh): migrate, `seed_large`, collect the static files, start gunicorn
on a free loopback port, warm it up, then run locust (headless, a separate process) once
per page with BENCH_USERS users, half anonymous and half logged in, in three passes:

- cache on: the site as it runs (targets p50 ≤ 2× and p99 ≤ 5× the bare page's);
- cache off: gunicorn restarted with PADDOCK_PAGE_CACHE=0, every page built each time
  (p50 ≤ 10×, p99 ≤ 20×);
- mixed write: cache on, while a writer (bench/fixtures.py writer) makes one write a
  second in rotation: a mileage reading, a new car, an RSVP (p50 ≤ 2×, p99 ≤ 5×);

then the RSVP bursts: 16 members on a nearly full meet, and 500 members for 100 places
(target ≥ 200 RSVPs/s), each capacity filled exactly. The report goes to
test-output/bench/report.md and is printed.

Environment:
    BENCH_QUICK=1       10,000 cars, 5 s a page (3 s cold and mixed), for trying it out
    BENCH_SECONDS       seconds of load per page with the cache on (default 7; 5 when quick)
    BENCH_COLD_SECONDS  seconds per page in the cache-off and mixed passes (default 5)
    BENCH_USERS         concurrent users per page (default 16)
    BENCH_BURST         members in the small RSVP burst (default: as many as BENCH_USERS)
    BENCH_BURSTS        small bursts, one after another, pooled in the report (default 5)
    BENCH_BURST_500     members in the large burst (default 500; 0: none)
    BENCH_BURSTS_500    large bursts (default 3)
    BENCH_WORKERS       gunicorn workers (default 2, as the issue measures)
    BENCH_DATABASES     "sqlite,postgresql" (default), or one of them
"""

import argparse
import concurrent.futures
import datetime
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "test-output" / "bench"

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SECONDS = int(os.environ.get("BENCH_SECONDS") or (5 if QUICK else 7))
COLD_SECONDS = int(os.environ.get("BENCH_COLD_SECONDS") or (3 if QUICK else 5))
USERS = int(os.environ.get("BENCH_USERS") or 16)
# As many at once as the pages get users, so its latency compares with theirs.
BURST = int(os.environ.get("BENCH_BURST") or USERS)
# One burst is 16 requests: its p50 swings by a third from one run to the next. Several,
# each on the meet put back as it was, give a figure that holds still.
BURSTS = int(os.environ.get("BENCH_BURSTS") or 5)
BURST_500 = int(os.environ.get("BENCH_BURST_500") or 500)
BURSTS_500 = int(os.environ.get("BENCH_BURSTS_500") or 3)
WORKERS = int(os.environ.get("BENCH_WORKERS") or 2)
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")]
SIZES = (
    {"cars": 10_000, "members": 5_000, "meets": 100, "rsvps": 10_000}
    if QUICK
    else {"cars": 100_000, "members": 50_000, "meets": 1_000, "rsvps": 100_000}
)
# A small club of the same shape: each page's query count on it and on the large one.
SMALL = {"cars": 2_000, "members": 1_000, "meets": 30, "rsvps": 2_000}
SEED_LIMIT = 45.0  # seconds, seed_large with its defaults on PostgreSQL

BASELINE = "baseline"
STATIC = "static"
GATE = "gate-download"
BURST_PAGE = "rsvp-burst"
BURST_500_PAGE = "rsvp-burst-500"
LABELS = {
    BASELINE: "Baseline: base template, no data",
    "home": "Home",
    "register": "Register list",
    "register-filtered": "Register list, filtered",
    "register-search": "Register list, searched by last 7 of the VIN",
    "register-page-50": "Register list, page 50",
    "car": "Car page",
    "stats": "Statistics",
    "for-sale": "Cars for sale",
    "api-cars": "API: cars",
    "api-statistics": "API: statistics",
    "meets": "Meets list",
    "meet-80": "Meet page, 80 going",
    "meet-biggest": "Meet page, the most RSVPs",
    "series": "Series page, 6 dates",
    "album": "Meet album, 40 photos",
    GATE: "Check-in app download, ~250 cars",
    STATIC: "Static file /static/css/site.css",
    BURST_PAGE: f"RSVP POST, {BURSTS} bursts of {BURST} on a nearly full meet",
    BURST_500_PAGE: f"RSVP POST, {BURSTS_500} bursts of {BURST_500} for 100 places",
}
# The passes, each with its targets: (p50, p99) as multiples of the baseline's.
PASSES = {
    "cache-on": ("Cache on", (2.0, 5.0)),
    "cache-off": ("Cache off (PADDOCK_PAGE_CACHE=0)", (10.0, 20.0)),
    "mixed": ("Mixed: one write a second, cache on", (2.0, 5.0)),
}
KB_LIMIT, KB_LIMITS = 150, {"stats": 100}  # HTML pages only: not the API, nor static files
RSVPS_PER_SECOND = 200.0  # the 500-member burst


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list, env: dict, logfile: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a command with its output in `logfile`; stop the bench if it fails."""
    with open(logfile, "ab") as out:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=out, **kwargs)
    if done.returncode:
        tail = logfile.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{tail}")
    return done


def fetch(
    port: int, path: str, cookie: str = "", form: dict | None = None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    """GET `path`, or POST `form` to it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {**(headers or {}), **({"Cookie": cookie} if cookie else {})}
    try:
        if form is None:
            conn.request("GET", path, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request("POST", path, body=urllib.parse.urlencode(form), headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def site_env(database_url: str, secret: str, media: Path) -> dict:
    """Production settings: debug off, WhiteNoise, a random secret key, loopback hosts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PADDOCK_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secret,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_MEDIA_ROOT=str(media),
        DJANGO_CACHE_DIR=str(media.parent / "cache"),  # an empty cache for every database
        DJANGO_LOG_LEVEL="WARNING",
        # Production settings need a public https address (config/checks.py); the links it
        # makes are never followed here.
        PADDOCK_SITE_URL="https://bench.paddock.example",
        PADDOCK_SERVE_MEDIA="1",
        PADDOCK_QUERY_COUNT_HEADER="1",
        # 16 users from one address would hit the API's limit per client within seconds
        # (429s): the bench measures what an answer costs, not the throttle.
        PADDOCK_API_RATE_LIMIT="1000000/m",
        # The RSVP queues its confirmation (with .ics and QR code); the worker beside
        # gunicorn builds it, on the same CPUs, then drops it.
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        PADDOCK_TASKS="database",
        PYTHONUNBUFFERED="1",
    )
    return env


# -- one database ---------------------------------------------------------------------------


def bench_members() -> int:
    """The load's logged-in members, the small burst's, the large burst's."""
    return max(64, USERS // 2 + BURST + BURST_500)


def seed(env: dict, logs: Path, sizes: dict, name: str) -> float:
    """migrate and seed_large; returns the seconds seed_large reported."""
    py = str(BIN / "python")
    run([py, "manage.py", "migrate", "--noinput", "-v0"], env, logs / f"migrate-{name}.log")
    args = [f"--{key}={value}" for key, value in sizes.items()]
    args.append(f"--bench-members={bench_members()}")
    started = time.monotonic()
    run([py, "manage.py", "seed_large", "--no-progress", *args], env, logs / f"seed-{name}.log")
    found = re.search(r"in ([\d.]+) s on", (logs / f"seed-{name}.log").read_text())
    return float(found.group(1)) if found else time.monotonic() - started


def probe(env: dict, logs: Path, out: Path) -> dict:
    """Each page's queries with the cache off (bench/fixtures.py probe)."""
    run([str(BIN / "python"), "bench/fixtures.py", "probe", str(out)], env, logs / "probe.log")
    return json.loads(out.read_text())


class Site:
    """gunicorn and the task worker beside it, as production runs them."""

    def __init__(self, env: dict, logs: Path, name: str):
        self.env, self.logs, self.name = env, logs, name
        self.port = free_port()
        py = str(BIN / "python")
        self.gunicorn = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                f"--workers={WORKERS}",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=120",
                f"--error-logfile={logs / f'gunicorn-{name}.log'}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The task worker a production site runs beside gunicorn (docs/deploy.md): it sends
        # the e-mails that RSVPs queue, sharing the machine with the site as it would there,
        # at the lower priority the deploy guide gives it (Nice=10).
        self.worker_log = open(logs / f"db_worker-{name}.log", "wb")  # noqa: SIM115 - in stop()
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []
        self.worker = subprocess.Popen(
            [*nice, py, "manage.py", "db_worker", "--interval", "0.5"],
            cwd=ROOT,
            env=env,
            stdout=self.worker_log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        for process in (self.gunicorn, self.worker):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.worker_log.close()


def page_names(data: dict) -> list[str]:
    """The pages of a pass, the baseline first and the static file last."""
    return [BASELINE, *[p for p in data["pages"] if p != BASELINE], STATIC]


def measure_pass(name: str, port: int, data: dict, fixtures: Path, work: Path, env: dict) -> dict:
    """One locust run per page; in the mixed pass with the writer running throughout."""
    seconds = SECONDS if name == "cache-on" else COLD_SECONDS
    result = {"load_start": os.getloadavg()[0], "pages": {}, "writes": {}}
    writer = Writer(env, fixtures, work / "writes.json") if name == "mixed" else None
    windows = {}
    try:
        for page in page_names(data):
            started = time.time()
            samples = load(page, port, fixtures, work, seconds, tag=name)
            windows[page] = (started, time.time())
            result["pages"][page] = samples
            drain(port)
            summary = summarise(samples)
            log(
                f"{name}: {page:<18} {summary['rps']:7.1f} req/s  p50 {summary['p50']:6.1f} ms  "
                f"p99 {summary['p99']:7.1f} ms  {summary['kb']:6.1f} KB  "
                f"queries {summary['queries_text']}"
            )
    finally:
        writes = writer.stop() if writer else []
    result["writes"] = writes_per_page(writes, windows)
    result["load_end"] = os.getloadavg()[0]
    return result


def writes_per_page(writes: list[dict], windows: dict[str, tuple[float, float]]) -> dict:
    """The writes made while each page was loaded (by their time)."""
    return {
        page: [w for w in writes if start <= w["at"] <= end]
        for page, (start, end) in windows.items()
    }


class Writer:
    """bench/fixtures.py writer, running while one page is loaded."""

    def __init__(self, env: dict, fixtures: Path, out: Path):
        self.out = out
        out.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [str(BIN / "python"), "bench/fixtures.py", "writer", str(fixtures)]
            + ["--seconds=3600", f"--out={out}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(out.with_suffix(".log"), "wb"),  # noqa: SIM115 - the child owns it
        )
        deadline = time.monotonic() + 60
        while not out.exists():  # its first write is made: the pages' load can start
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"The writer did not write; see {out.with_suffix('.log')}")
            time.sleep(0.1)

    def stop(self) -> list[dict]:
        """Every write it made (kind, ms, at)."""
        if self.process.poll() is not None:  # it should write until stopped
            tail = self.out.with_suffix(".log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"The writer stopped ({self.process.returncode}):\n{tail}")
        self.process.terminate()
        self.process.wait(timeout=30)
        return json.loads(self.out.read_text() or "[]")


def bursts(
    page: str, which: str, count: int, port: int, fixtures: Path, work: Path, env: dict
) -> tuple[list[dict], list[dict]]:
    """`count` RSVP bursts, each checked and reset after; returns the samples and checks."""
    samples, checks = [], []
    for number in range(1, count + 1):
        these = load(page, port, fixtures, work, 0)
        # What the burst left, then the meet back as it was for the next one.
        check = subprocess.run(
            [str(BIN / "python"), "bench/fixtures.py", "burst-check", str(fixtures)]
            + [f"--burst={which}", "--reset"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        burst = json.loads(check.stdout.strip().splitlines()[-1])
        burst["summary"] = summarise(these)
        samples += these
        checks.append(burst)
        log(f"{page} {number}: {burst['summary']['rps']:.0f} RSVPs/s, {burst}")
        drain(port)
    return samples, checks


def phase(db: str, database_url: str, small_url: str, work: Path, secret: str) -> dict:
    """Everything for one database; returns its measurements."""
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    py = str(BIN / "python")
    result = {"db": db}

    log(f"{db}: a small club ({SMALL['cars']:,} cars) for the query counts")
    small_env = site_env(small_url, secret, work / "small" / "media")
    seed(small_env, logs, SMALL, "small")
    result["probe_small"] = probe(small_env, logs, work / "probe-small.json")

    env = site_env(database_url, secret, work / "media")
    log(f"{db}: seed_large {' '.join(f'--{k} {v}' for k, v in SIZES.items())}")
    result["seed_seconds"] = seed(env, logs, SIZES, "large")
    log(f"{db}: seeded in {result['seed_seconds']:.1f} s")
    result["probe_large"] = probe(env, logs, work / "probe-large.json")

    fixtures = work / "fixtures.json"
    run(
        [py, "bench/fixtures.py", "prepare", str(fixtures), f"--load={USERS // 2}"]
        + [f"--burst={BURST}", f"--burst-500={BURST_500}"],
        env,
        logs / "fixtures.log",
    )
    data = json.loads(fixtures.read_text())
    result["passes"] = {}
    cold_env = {**env, "PADDOCK_PAGE_CACHE": "0"}
    for name, site_env_ in (("cache-on", env), ("mixed", env), ("cache-off", cold_env)):
        site = Site(site_env_, logs, name)
        try:
            wait_for(site.port, site.gunicorn)
            log(f"{db}: {name}: gunicorn ({WORKERS} workers) on 127.0.0.1:{site.port}; warm-up")
            warm_up(site.port, data, rsvps=name == "cache-on", visited=name != "cache-off")
            result["passes"][name] = measure_pass(name, site.port, data, fixtures, work, env)
            if name == "cache-on":
                start = os.getloadavg()[0]
                result["burst"] = bursts(
                    BURST_PAGE, "burst", BURSTS, site.port, fixtures, work, env
                )
                result["burst_500"] = (
                    bursts(BURST_500_PAGE, "burst_500", BURSTS_500, site.port, fixtures, work, env)
                    if BURST_500
                    else ([], [])
                )
                result["burst_load"] = (start, os.getloadavg()[0])
        finally:
            site.stop()
    return result


def wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see its log")
        try:
            if fetch(port, "/_baseline/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def fetch_all(port: int, requests: list[tuple]) -> list[tuple[int, bytes, float]]:
    """(path, cookie[, form, headers]) requests, as many at once as gunicorn has workers."""

    def one(request):
        started = time.monotonic()
        status, _headers, body = fetch(port, *request)
        return status, body, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(one, requests))


def drain(port: int) -> None:
    """Wait until gunicorn has answered what a locust run left behind, so runs do not overlap."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers = fetch_all(port, [("/_baseline/", "")] * WORKERS)
        if max(seconds for _status, _body, seconds in answers) < 0.25:
            return
    log("gunicorn was still busy 60 s after a run")


def warm_up(port: int, data: dict, rsvps: bool = True, visited: bool = False) -> None:
    """Every page in every worker, anonymous and logged in; check the answers.

    `visited`: also every car page and VIN search the load rotates through, once each for
    a visitor and a member, as a site that has been up a while has had them asked for:
    with the cache on, 500 cars × 2 kinds of visitor would otherwise be mostly first
    visits, a cold pass in all but name.
    """
    cookie = f"{data['session_cookie']}={data['load_sessions'][0]}"
    status, _headers, _body = fetch(port, "/accounts/profile/", cookie)
    if status != 200:
        raise SystemExit(f"The bench members' sessions do not log in (profile: {status}).")
    if rsvps:
        # First: an RSVP changes the meets, so the meet pages are cached after it, not before.
        warm_up_rsvps(port, data)
    gate = {"Authorization": f"Device {data['gate_token']}"}
    for page, path in [*data["pages"].items(), (STATIC, "/static/css/site.css")]:
        if page == GATE:
            requests = [(path, "", None, gate)] * WORKERS
        else:
            requests = [(path, ""), (path, cookie)] * WORKERS
        for status, _body, _seconds in fetch_all(port, requests):
            if status != 200:
                raise SystemExit(f"Warm-up: {path} answered {status}")
    if visited:
        paths = [f"/register/cars/{pk}/" for pk in data["car_ids"]]
        paths += [f"/register/?q={tail}" for tail in data["vin_tails"]]
        for status, _body, _seconds in fetch_all(
            port, [(path, who) for path in paths for who in ("", cookie)]
        ):
            if status != 200:
                raise SystemExit(f"Warm-up: a car page or search answered {status}")
    # The search finds its car.
    status, _h, body = fetch(port, f"/register/?q={data['vin_tails'][0]}")
    if data["vin_tails"][0].encode() not in body:
        raise SystemExit("Warm-up: the VIN search did not find its car.")


def warm_up_rsvps(port: int, data: dict) -> None:
    """The RSVP's POST in every worker too, as a site that has taken RSVPs before has it.

    The logged-in load members RSVP, all at once, for another meet than the burst's: the
    form, then the POST with its CSRF and one-time tokens, as the burst will send them.
    """
    url = f"/meets/{data['warm_up_meet']}/rsvp/"

    def rsvp(member: tuple[str, int]) -> int:
        session, car = member
        csrf = secrets.token_hex(16)
        cookie = f"{data['session_cookie']}={session}; {data['csrf_cookie']}={csrf}"
        _status, _headers, body = fetch(port, url, cookie)
        form = {"car": str(car), "guests": "0"}
        for field in ("csrfmiddlewaretoken", "form_once"):
            found = re.search(rf'name="{field}" value="([^"]+)"'.encode(), body)
            form[field] = found.group(1).decode() if found else ""
        return fetch(port, url, cookie, form)[0]

    members = list(zip(data["load_sessions"], data["load_cars"], strict=True))
    with concurrent.futures.ThreadPoolExecutor(len(members)) as pool:
        answers = list(pool.map(rsvp, members))
    if any(status != 302 for status in answers):
        raise SystemExit(f"Warm-up: the RSVPs answered {answers}, not redirects")


def load(
    page: str, port: int, fixtures: Path, work: Path, seconds: int, tag: str = ""
) -> list[dict]:
    """One locust run against one page; returns every request it made."""
    out = work / f"samples-{tag}-{page}.json"
    env = {
        **os.environ,
        "BENCH_PAGE": page,
        "BENCH_FIXTURES": str(fixtures),
        "BENCH_OUT": str(out),
        "BENCH_USERS": str(USERS),
    }
    burst = page in (BURST_PAGE, BURST_500_PAGE)
    users = {BURST_PAGE: BURST, BURST_500_PAGE: BURST_500}.get(page, USERS)
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "--users",
        str(users),
        "--spawn-rate",
        str(users * 10),
        "--run-time",
        "120s" if burst else f"{seconds}s",
        # Let the requests under way finish (and count): nothing is left queued in gunicorn.
        "--stop-timeout",
        "30",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *(["Burst"] if burst else ["Visitor", "Member"]),
    ]
    with open(work / "logs" / f"locust-{tag}-{page}.log", "wb") as logfile:
        # locust exits 1 when a request failed: the report shows the failures.
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=logfile, stderr=logfile, check=False)
    if not out.exists():
        raise SystemExit(f"locust wrote no samples for {page}; see {work}/logs/locust-*-{page}.log")
    return [s for s in json.loads(out.read_text()) if s["name"] == page]


# -- numbers (pure functions: tests/bench/test_report.py) -------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def summarise(samples: list[dict]) -> dict:
    times = [s["ms"] for s in samples]
    span = 0.0
    if samples:
        first = min(s["end"] - s["ms"] / 1000 for s in samples)
        span = max(s["end"] for s in samples) - first
    per_kind = {}
    for s in samples:
        if s["queries"] is not None:
            per_kind.setdefault(s["kind"], set()).add(s["queries"])
    parts = []
    for kind in ("anonymous", "member"):
        if kind in per_kind:
            counts = sorted(per_kind[kind])
            shown = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
            parts.append(f"{shown} {'anon' if kind == 'anonymous' else 'member'}")
    sizes = [s.get("bytes", 0) for s in samples if s["ok"]]
    return {
        "requests": len(samples),
        "failures": sum(1 for s in samples if not s["ok"]),
        "span": span,
        "rps": len(samples) / span if span else 0.0,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "kb": max(sizes, default=0) / 1024,
        "queries_text": " · ".join(parts) if parts else "0 (WhiteNoise)",
    }


def kb_limit(page: str) -> float | None:
    """The most HTML a page may send, in KB; None for the API, the gate's JSON, static files."""
    if page.startswith("api-") or page in (GATE, STATIC, BURST_PAGE, BURST_500_PAGE):
        return None
    return KB_LIMITS.get(page, KB_LIMIT)


def page_misses(
    page: str, s: dict, base: dict, limits: tuple[float, float], grows: bool = False
) -> list[str]:
    """Why a page misses its targets in a pass (an empty list: it passes)."""
    p50_limit, p99_limit = limits
    misses = []
    r50, r99 = s["p50"] / base["p50"], s["p99"] / base["p99"]
    if not r50 <= p50_limit:
        misses.append(f"p50 {r50:.1f}× > {p50_limit:g}×")
    if not r99 <= p99_limit:
        misses.append(f"p99 {r99:.1f}× > {p99_limit:g}×")
    most = kb_limit(page)
    if most is not None and s["kb"] > most:
        misses.append(f"{s['kb']:.0f} KB > {most:g} KB")
    if grows:
        misses.append("queries grow with the data")
    if s["failures"]:
        misses.append(f"{s['failures']} of {s['requests']} failed")
    if not s["requests"]:
        misses.append("no request answered")
    return misses


def verdict(misses: list[str]) -> str:
    return "PASS" if not misses else "FAIL: " + "; ".join(misses)


def burst_ok(burst: dict) -> bool:
    places = burst["capacity"] - burst["going_before"]
    return (
        burst["going"] == burst["capacity"]
        and burst["burst_going"] == places
        and burst["burst_waitlisted"] == burst["burst_members"] - places
        and burst["burst_members_with_one_rsvp"] == burst["burst_members"]
    )


def burst_rate(checks: list[dict]) -> float:
    """RSVPs per second while the bursts ran (requests over each burst's span), pooled."""
    span = sum(b["summary"]["span"] for b in checks)
    return sum(b["summary"]["requests"] for b in checks) / span if span else 0.0


def burst_misses(checks: list[dict], rate_limit: float | None) -> list[str]:
    misses = []
    if not checks:
        return ["no burst ran"]
    exact = sum(1 for b in checks if burst_ok(b))
    if exact != len(checks):
        misses.append(f"capacity exact in {exact} of {len(checks)} bursts")
    failed = sum(b["summary"]["failures"] for b in checks)
    if failed:
        misses.append(f"{failed} requests failed")
    rate = burst_rate(checks)
    if rate_limit is not None and rate < rate_limit:
        misses.append(f"{rate:.0f} RSVPs/s < {rate_limit:g}/s")
    return misses


def seed_misses(db: str, seconds: float) -> list[str]:
    """seed_large's target holds on PostgreSQL (SQLite's time is reported beside it)."""
    if db == "postgresql" and not seconds < SEED_LIMIT:
        return [f"{seconds:.1f} s ≥ {SEED_LIMIT:g} s"]
    return []


def growth(result: dict, page: str) -> tuple[str, bool]:
    """Queries with the cache off, small club → large club, anonymous · logged in.

    Grows when the large club needs more queries than the small one, or when one object
    needs more than another of the same page (a car with more owners, say).
    """
    small = result["probe_small"]["counts"].get(page)
    large = result["probe_large"]["counts"].get(page)
    if small is None or large is None:
        return "n/a", False

    def shown(counts: list[int]) -> str:
        return str(counts[0]) if len(set(counts)) == 1 else "/".join(map(str, counts))

    grows, parts = False, []
    for kind, short in (("anonymous", "anon"), ("member", "member")):
        a, b = small[kind], large[kind]
        grows |= max(b) > max(a) or len(set(b)) > 1 or len(set(a)) > 1
        parts.append(f"{shown(a)} → {shown(b)} {short}")
    return " · ".join(parts), grows


def table(result: dict, name: str) -> tuple[list[str], int]:
    """One pass's table; returns its lines and how many rows failed."""
    measured = result["passes"][name]
    limits = PASSES[name][1]
    base = summarise(measured["pages"][BASELINE])
    mixed = name == "mixed"
    lines = [
        "| Page | Req/s | p50 ms | p95 ms | p99 ms | KB | Queries/request under load "
        + ("| Writes " if mixed else "| Queries, cache off: small → large ")
        + "| p50 ÷ baseline p50 | p99 ÷ baseline p99 | Result |",
        "|---|---:|---:|---:|---:|---:|---|---|---:|---:|---|",
    ]
    failed = 0
    for page, samples in measured["pages"].items():
        s = summarise(samples)
        cold, grows = growth(result, page)
        if mixed:
            writes = measured["writes"].get(page, [])
            kinds = {}
            for w in writes:
                kinds[w["kind"]] = kinds.get(w["kind"], 0) + 1
            cold = f"{len(writes)} (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")"
        misses = page_misses(page, s, base, limits, grows=grows and name == "cache-off")
        failed += bool(misses)
        lines.append(
            f"| {LABELS.get(page, page)} | {s['rps']:.1f} | {s['p50']:.1f} | {s['p95']:.1f} "
            f"| {s['p99']:.1f} | {s['kb']:.1f} | {s['queries_text']} | {cold} "
            f"| {s['p50'] / base['p50']:.2f} | {s['p99'] / base['p99']:.2f} | {verdict(misses)} |"
        )
    return lines, failed


def burst_section(label: str, checks: list[dict], rate_limit: float | None) -> list[str]:
    if not checks:
        return []
    first = checks[0]
    places = first["capacity"] - first["going_before"]
    times = [b["summary"] for b in checks]
    target = f" (target ≥ {rate_limit:g}/s)" if rate_limit else ""
    return [
        f"**{label}**: {verdict(burst_misses(checks, rate_limit))}. Capacity "
        f"{first['capacity']}, {first['going_before']} going before; "
        f"{first['burst_members']} members each GET the form, then all POST at once; "
        f"{burst_rate(checks):.0f} RSVPs/s{target}. Per burst: "
        + "; ".join(
            f"{b['summary']['rps']:.0f}/s, p50 {t['p50']:.0f} ms, p99 {t['p99']:.0f} ms, "
            f"{b['going']} going, {b['waitlisted']} waitlisted, of the burst "
            f"{b['burst_going']} going (places {places}) and {b['burst_waitlisted']} waitlisted, "
            f"{b['burst_members_with_one_rsvp']}/{b['burst_members']} with exactly one RSVP"
            for b, t in zip(checks, times, strict=True)
        )
        + ". Between bursts the burst's RSVPs are deleted and the task worker sends their "
        "e-mails.",
        "",
    ]


def versions() -> str:
    try:
        import django
        import locust

        return f"Django {django.get_version()}, locust {locust.__version__}"
    except ImportError:
        return ""


def report(results: list[dict], total: float, load: tuple[float, float]) -> str:
    now = datetime.datetime.now().astimezone()
    sizes = ", ".join(f"{v:,} {k}" for k, v in SIZES.items())
    out = [
        f"# Paddock benchmark, {now:%Y-%m-%d %H:%M %Z}",
        "",
        f"- Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {versions()}.",
        f"- Total time of `make bench`: {total / 60:.1f} min. Load average (1 min) of the "
        f"machine at the start {load[0]:.1f}, at the end {load[1]:.1f} (locust's share "
        "included); each pass below gives its own.",
        f"- Site: gunicorn `config.wsgi`, {WORKERS} sync workers, production settings (debug "
        "off, WhiteNoise, `CompressedManifestStaticFilesStorage`), e-mail to the dummy backend, "
        "the task worker beside it.",
        f"- Load: locust {'(quick mode) ' if QUICK else ''}headless in its own process, "
        f"{USERS} concurrent users ({USERS - USERS // 2} anonymous, {USERS // 2} logged in) "
        f"asking again as soon as answered, {SECONDS} s per page with the cache on and "
        f"{COLD_SECONDS} s in the cache-off and mixed passes, after a warm-up. The car page and "
        "the VIN search rotate through 500 random public cars; the check-in download sends its "
        "device token.",
        f"- Data: `seed_large` with {sizes}.",
        "- Queries/request under load: the `X-Query-Count` header, per anonymous and logged-in "
        "user (a range: a cache hit needs fewer). Queries with the cache off: each page once on "
        f"a small club ({SMALL['cars']:,} cars) and on the large one (a/b/c: three cars).",
        "- Targets, p50 to the baseline's p50 and p99 to its p99: "
        + "; ".join(f"{label}: p50 ≤ {a:g}×, p99 ≤ {b:g}×" for label, (a, b) in PASSES.values())
        + f". HTML ≤ {KB_LIMIT} KB a page, the statistics ≤ {KB_LIMITS['stats']} KB; no failed "
        f"request; with the cache off no more queries on the large club than on the small one. "
        f"Bursts fill the capacity exactly; the 500-member one at ≥ {RSVPS_PER_SECOND:g} "
        f"RSVPs/s. `seed_large` under {SEED_LIMIT:g} s on PostgreSQL.",
        "",
    ]
    for result in results:
        seconds = result["seed_seconds"]
        misses = seed_misses(result["db"], seconds)
        seed_text = verdict(misses) if result["db"] == "postgresql" else "information"
        out += [f"## {result['db_label']}", "", f"`seed_large`: {seconds:.1f} s ({seed_text}).", ""]
        for name, (label, _limits) in PASSES.items():
            if name not in result["passes"]:
                continue
            measured = result["passes"][name]
            lines, failed = table(result, name)
            writes = ""
            if name == "mixed":
                count = sum(len(w) for w in measured["writes"].values())
                writes = f" {count} writes in all."
            out += [
                f"### {label}: {'PASS' if not failed else f'FAIL ({failed} rows)'}",
                "",
                f"Load average (1 min) at the start {measured['load_start']:.1f}, at the end "
                f"{measured['load_end']:.1f}.{writes}",
                "",
                *lines,
                "",
            ]
        start, end = result.get("burst_load", (float("nan"), float("nan")))
        out += [f"### RSVP bursts (load average {start:.1f} → {end:.1f})", ""]
        out += burst_section(LABELS[BURST_PAGE], result["burst"][1], None)
        out += burst_section(LABELS[BURST_500_PAGE], result["burst_500"][1], RSVPS_PER_SECOND)
    return "\n".join(out)


# -- main ---------------------------------------------------------------------------------


def create_database(url: str, name: str) -> str:
    """A second database in the throwaway PostgreSQL cluster; returns its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", help=argparse.SUPPRESS)  # inside tests/with_postgres.sh
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:  # the PostgreSQL run, with DATABASE_URL from tests/with_postgres.sh
        work = Path(args.work)
        url = os.environ["DATABASE_URL"]
        small = create_database(url, "paddock_small")
        result = phase(args.phase, url, small, work, args.secret)
        (work / "result.json").write_text(json.dumps(result))
        return

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    secret = secrets.token_urlsafe(50)
    tmp = Path(tempfile.mkdtemp(prefix="paddock-bench-"))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (tmp / "logs").mkdir()
    log("collectstatic (once: the files are the same for every database)")
    run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        site_env("sqlite://:memory:", secret, tmp / "media"),
        tmp / "logs" / "collectstatic.log",
    )
    results = []
    try:
        for db in DATABASES:
            work = tmp / db
            if db == "sqlite":
                result = phase(
                    db,
                    f"sqlite:///{work / 'bench.sqlite3'}",
                    f"sqlite:///{work / 'small.sqlite3'}",
                    work,
                    secret,
                )
                result["db_label"] = "SQLite"
            elif db == "postgresql":
                log("postgresql: starting a throwaway server (tests/with_postgres.sh)")
                subprocess.run(
                    [
                        str(ROOT / "tests" / "with_postgres.sh"),
                        sys.executable,
                        __file__,
                        "--phase=postgresql",
                        f"--work={work}",
                        f"--secret={secret}",
                    ],
                    cwd=ROOT,
                    check=True,
                )
                result = json.loads((work / "result.json").read_text())
                result["db_label"] = "PostgreSQL"
            else:
                raise SystemExit(f"Unknown database {db!r}: use sqlite and/or postgresql.")
            results.append(result)
            shutil.copytree(work / "logs", OUTPUT / f"logs-{db}", dirs_exist_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    text = report(results, time.monotonic() - started, (load_before, os.getloadavg()[0]))
    (OUTPUT / "report.md").write_text(text + "\n")
    print()
    print(text)
    print(f"\nReport written to {(OUTPUT / 'report.md').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
