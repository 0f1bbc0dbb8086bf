"""make bench: serve the site under production settings and measure it under real load.

For each database (SQLite in a temporary directory, then a throwaway PostgreSQL started by
tests/with_postgres.sh): migrate, `seed_large`, collect the static files, start gunicorn
on a free loopback port, warm it up, then run locust (headless, a separate process) once
per page with BENCH_USERS users, half anonymous and half logged in, for BENCH_SECONDS
each; then the RSVP burst. The report goes to test-output/bench/report.md and is printed.

Environment:
    BENCH_QUICK=1       10,000 cars and 5 s a page, for trying it out
    BENCH_SECONDS       seconds of load per page (default 10; 5 when quick)
    BENCH_USERS         concurrent users per page (default 16)
    BENCH_BURST         members in the RSVP burst (default: as many as BENCH_USERS)
    BENCH_BURSTS        bursts, one after another, pooled in the report (default 5)
    BENCH_WORKERS       gunicorn workers (default 3)
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
SECONDS = int(os.environ.get("BENCH_SECONDS") or (5 if QUICK else 10))
USERS = int(os.environ.get("BENCH_USERS") or 16)
# As many at once as the pages get users, so its latency compares with theirs.
BURST = int(os.environ.get("BENCH_BURST") or USERS)
# One burst is 16 requests: its p50 swings by a third from one run to the next. Several,
# each on the meet put back as it was, give a figure that holds still.
BURSTS = int(os.environ.get("BENCH_BURSTS") or 5)
WORKERS = int(os.environ.get("BENCH_WORKERS") or 3)
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")]
SIZES = (
    {"cars": 10_000, "members": 5_000, "meets": 100, "rsvps": 10_000}
    if QUICK
    else {"cars": 100_000, "members": 50_000, "meets": 1_000, "rsvps": 100_000}
)
# A small club of the same shape: each page's query count on it and on the large one.
SMALL = {"cars": 2_000, "members": 1_000, "meets": 20, "rsvps": 2_000}

BASELINE = "baseline"
BURST_PAGE = "rsvp-burst"
PAGES = [
    (BASELINE, "Baseline: base template, no data"),
    ("home", "Home"),
    ("register", "Register list"),
    ("register-filtered", "Register list, filtered"),
    ("register-search", "Register list, searched by last 7 of the VIN"),
    ("car", "Car page"),
    ("stats", "Statistics"),
    ("meets", "Meets list"),
    ("meet-80", "Meet page, 80 going"),
    ("static", "Static file /static/css/site.css"),
]
LABELS = dict(PAGES) | {BURST_PAGE: f"RSVP POST, {BURSTS} bursts of {BURST} on a nearly full meet"}
P50_LIMIT, P99_LIMIT = 3.0, 10.0


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
    port: int, path: str, cookie: str = "", form: dict | None = None
) -> tuple[int, dict, bytes]:
    """GET `path`, or POST `form` to it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
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
        # The RSVP queues its confirmation (with .ics and QR code); the worker beside
        # gunicorn builds it, on the same CPUs, then drops it.
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        PADDOCK_TASKS="database",
        PYTHONUNBUFFERED="1",
    )
    return env


# -- one database ---------------------------------------------------------------------------


def seed(env: dict, logs: Path, sizes: dict, name: str) -> float:
    """migrate and seed_large; returns the seconds seed_large reported."""
    py = str(BIN / "python")
    run([py, "manage.py", "migrate", "--noinput", "-v0"], env, logs / f"migrate-{name}.log")
    args = [f"--{key}={value}" for key, value in sizes.items()]
    args.append(f"--bench-members={max(64, USERS // 2 + BURST)}")
    started = time.monotonic()
    run([py, "manage.py", "seed_large", "--no-progress", *args], env, logs / f"seed-{name}.log")
    found = re.search(r"in ([\d.]+) s on", (logs / f"seed-{name}.log").read_text())
    return float(found.group(1)) if found else time.monotonic() - started


def probe(env: dict, logs: Path, out: Path) -> dict:
    """Each page's queries with the cache off (bench/fixtures.py probe)."""
    run([str(BIN / "python"), "bench/fixtures.py", "probe", str(out)], env, logs / "probe.log")
    return json.loads(out.read_text())


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
        [
            py,
            "bench/fixtures.py",
            "prepare",
            str(fixtures),
            f"--load={USERS // 2}",
            f"--burst={BURST}",
        ],
        env,
        logs / "fixtures.log",
    )
    data = json.loads(fixtures.read_text())

    port = free_port()
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            f"--workers={WORKERS}",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            f"--error-logfile={logs / 'gunicorn.log'}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The task worker a production site runs beside gunicorn (docs/deploy.md): it sends the
    # e-mails that RSVPs queue, sharing the machine with the site as it would there.
    worker_log = open(logs / "db_worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [py, "manage.py", "db_worker", "--interval", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, gunicorn)
        log(f"{db}: gunicorn ({WORKERS} workers) on 127.0.0.1:{port}; warming up")
        warm_up(port, data)
        result["pages"] = {}
        for page, _label in PAGES:
            result["pages"][page] = load(page, port, fixtures, work)
            drain(port)
            summary = summarise(result["pages"][page])
            log(
                f"{db}: {page:<18} {summary['rps']:7.1f} req/s  p50 {summary['p50']:6.1f} ms  "
                f"p99 {summary['p99']:7.1f} ms  queries {summary['queries_text']}"
            )
        result["pages"][BURST_PAGE], result["bursts"] = [], []
        for number in range(1, BURSTS + 1):
            samples = load(BURST_PAGE, port, fixtures, work)
            # What the burst left, then the meet back to 45 of 50 for the next one.
            check = subprocess.run(
                [py, "bench/fixtures.py", "burst-check", str(fixtures), "--reset"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            burst = json.loads(check.stdout.strip().splitlines()[-1])
            burst["summary"] = summarise(samples)
            result["pages"][BURST_PAGE] += samples
            result["bursts"].append(burst)
            log(f"{db}: burst {number}: p50 {burst['summary']['p50']:.1f} ms, {burst}")
            drain(port)
    finally:
        for process in (gunicorn, worker):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        worker_log.close()
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


def fetch_all(port: int, requests: list[tuple[str, str]]) -> list[tuple[int, bytes, float]]:
    """(path, cookie) requests, as many at once as gunicorn has workers: (status, body, s)."""

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


def warm_up(port: int, data: dict) -> None:
    """Every page in every worker, anonymous and logged in; check the answers."""
    cookie = f"{data['session_cookie']}={data['load_sessions'][0]}"
    status, _headers, _body = fetch(port, "/accounts/profile/", cookie)
    if status != 200:
        raise SystemExit(f"The bench members' sessions do not log in (profile: {status}).")
    # First: an RSVP changes the meets, so the meet pages are cached after it, not before.
    warm_up_rsvps(port, data)
    paths = [
        "/_baseline/",
        "/",
        "/register/",
        f"/register/?{data['filter']}",
        f"/register/?q={data['vin_tails'][0]}",
        f"/register/cars/{data['car_ids'][0]}/",
        "/register/stats/",
        "/meets/",
        f"/meets/{data['meet_80']}/",
        "/static/css/site.css",
    ]
    for path in paths:
        for status, _body, _seconds in fetch_all(port, [(path, ""), (path, cookie)] * WORKERS):
            if status != 200:
                raise SystemExit(f"Warm-up: {path} answered {status}")
    # The search finds its car, and the meet shows its 80 cars.
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


def load(page: str, port: int, fixtures: Path, work: Path) -> list[dict]:
    """One locust run against one page; returns every request it made."""
    out = work / f"samples-{page}.json"
    env = {
        **os.environ,
        "BENCH_PAGE": page,
        "BENCH_FIXTURES": str(fixtures),
        "BENCH_OUT": str(out),
        "BENCH_USERS": str(USERS),
    }
    burst = page == BURST_PAGE
    users = BURST if burst else USERS
    cmd = [
        str(BIN / "locust"),
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
        "60s" if burst else f"{SECONDS}s",
        # Let the requests under way finish (and count): nothing is left queued in gunicorn.
        "--stop-timeout",
        "30",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *(["Burst"] if burst else ["Visitor", "Member"]),
    ]
    with open(work / "logs" / f"locust-{page}.log", "wb") as logfile:
        # locust exits 1 when a request failed: the report shows the failures.
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=logfile, stderr=logfile, check=False)
    if not out.exists():
        raise SystemExit(f"locust wrote no samples for {page}; see {work}/logs/locust-{page}.log")
    return [s for s in json.loads(out.read_text()) if s["name"] == page]


# -- numbers ------------------------------------------------------------------------------


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
    return {
        "requests": len(samples),
        "failures": sum(1 for s in samples if not s["ok"]),
        "span": span,
        "rps": len(samples) / span if span else 0.0,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "queries_text": " · ".join(parts) if parts else "0 (WhiteNoise)",
    }


def burst_ok(burst: dict) -> bool:
    places = burst["capacity"] - burst["going_before"]
    return (
        burst["going"] == burst["capacity"]
        and burst["burst_going"] == places
        and burst["burst_waitlisted"] == burst["burst_members"] - places
        and burst["burst_members_with_one_rsvp"] == burst["burst_members"]
    )


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


def table(result: dict) -> list[str]:
    base = summarise(result["pages"][BASELINE])
    small = f"{result['probe_small']['cars']:,}"
    large = f"{result['probe_large']['cars']:,}"
    lines = [
        "| Page | Req/s | p50 ms | p95 ms | p99 ms | Queries/request under load "
        f"| Queries, cache off: {small} → {large} cars | p50 ÷ baseline p50 "
        "| p99 ÷ baseline p99 | p99 ÷ baseline p50 (info) | Result |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|---:|---|",
    ]
    for page in [p for p, _ in PAGES] + [BURST_PAGE]:
        s = summarise(result["pages"][page])
        cold, grows = growth(result, page)
        r50 = s["p50"] / base["p50"]
        r99 = s["p99"] / base["p99"]
        r99_50 = s["p99"] / base["p50"]
        misses = []
        if r50 > P50_LIMIT:
            misses.append(f"p50 {r50:.1f}× > {P50_LIMIT:g}×")
        if r99 > P99_LIMIT:
            misses.append(f"p99 {r99:.1f}× > {P99_LIMIT:g}×")
        if grows:
            misses.append("queries grow with the data")
        if s["failures"]:
            misses.append(f"{s['failures']} of {s['requests']} failed")
        if page == BURST_PAGE:
            # Requests per second while the bursts ran, not over the pauses between them.
            s["rps"] = s["requests"] / sum(b["summary"]["span"] for b in result["bursts"])
            if not all(burst_ok(burst) for burst in result["bursts"]):
                misses.append("capacity not exactly filled")
        verdict = "PASS" if not misses else "FAIL: " + "; ".join(misses)
        lines.append(
            f"| {LABELS[page]} | {s['rps']:.1f} | {s['p50']:.1f} | {s['p95']:.1f} "
            f"| {s['p99']:.1f} | {s['queries_text']} | {cold} | {r50:.2f} | {r99:.2f} "
            f"| {r99_50:.1f} | {verdict} |"
        )
    return lines


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
        f"- Site: gunicorn `config.wsgi`, {WORKERS} sync workers, production settings (debug "
        "off, WhiteNoise, `CompressedManifestStaticFilesStorage`), e-mail to the dummy backend.",
        f"- Load: locust {'(quick mode) ' if QUICK else ''}headless in its own process, "
        f"{USERS} concurrent users ({USERS - USERS // 2} anonymous, {USERS // 2} logged in) "
        f"asking again as soon as answered, {SECONDS} s per page, after a warm-up. Pages with "
        "many objects rotate through 500 random public cars (car page, VIN search).",
        f"- Data: `seed_large` with {sizes}.",
        "- Queries/request under load: the `X-Query-Count` header "
        "(config.middleware.QueryCountMiddleware), per anonymous and logged-in user; a range "
        "means it changed between requests (a cache hit needs fewer). Queries with the cache "
        f"off: each page requested once with the cache switched off, on a small club "
        f"({SMALL['cars']:,} cars) and on the large one; the car page and the search for "
        "three cars (fewest owners, most owners, most meets attended), shown as a/b/c when "
        "they differ.",
        f"- Targets: p50 ≤ {P50_LIMIT:g}× and p99 ≤ {P99_LIMIT:g}× the baseline's (p50 to p50, "
        "p99 to p99; p99 against the baseline's p50 is shown for information); no more queries "
        "on the large club than on the small one, and the same for every car; no failed "
        "request; the burst fills the capacity exactly and waitlists everyone else.",
        f"- Total time of `make bench`: {total / 60:.1f} min. Load average (1 min) of the machine "
        f"at the start {load[0]:.1f}, at the end {load[1]:.1f} (locust's share included).",
        "",
    ]
    for result in results:
        bursts = result["bursts"]
        burst = bursts[0]
        places = burst["capacity"] - burst["going_before"]
        exact = sum(1 for b in bursts if burst_ok(b))
        p50s = ", ".join(f"{b['summary']['p50']:.1f}" for b in bursts)
        out += [
            f"## {result['db_label']}",
            "",
            f"`seed_large`: {result['seed_seconds']:.1f} s.",
            "",
            *table(result),
            "",
            f"**RSVP burst** ({'PASS' if exact == len(bursts) else 'FAIL'}): capacity "
            f"{burst['capacity']}, {burst['going_before']} going before; {burst['burst_members']} "
            f"members each GET the form, then all POST at once. After the first burst: "
            f"{burst['going']} going (capacity {burst['capacity']}), {burst['waitlisted']} "
            f"waitlisted; of the burst, {burst['burst_going']} going (places free: {places}), "
            f"{burst['burst_waitlisted']} waitlisted, {burst['burst_members_with_one_rsvp']} of "
            f"{burst['burst_members']} with exactly one RSVP. Then the burst's RSVPs are deleted, "
            "the task worker sends the burst's e-mails, and the next burst comes: "
            f"{exact} of {len(bursts)} bursts filled the capacity "
            f"exactly and waitlisted everyone else. Each burst's p50 in ms: {p50s}; the table "
            "pools their requests.",
            "",
        ]
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
