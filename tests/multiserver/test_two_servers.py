"""Two app servers, one PostgreSQL, one Redis: the site behaves as one.

Two real gunicorn servers run the production settings over the same database and the same
Redis, the way a club grows past one machine. A member's browser (one cookie jar, as behind
a load balancer) talks to both: a log-in on one holds on the other, an RSVP made on one
shows on the other, and a change to the register made through one refreshes the cached
statistics on both.

The servers run the production settings (config/settings.py), only with static files
collected into a temporary folder. It makes its own database on the PostgreSQL server
DATABASE_URL names and its own key prefix in the Redis of REDIS_URL, and removes both at
the end. `make test` runs it as

    tests/with_postgres.sh tests/with_redis.sh .venv/bin/pytest -q -m multiserver tests/multiserver
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
import requests

pytestmark = pytest.mark.multiserver

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct-horse-battery-staple"  # tests/factories.py's TEST_PASSWORD
MEMBER_EMAIL = "maud@multiserver.example"
STAFF_EMAIL = "stella@multiserver.example"
MEET_SLUG = "two-servers-one-meet"

# The club's data, made once by a `manage.py shell -c` against the new database.
SETUP = f"""
import json
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory

member = MemberFactory(email="{MEMBER_EMAIL}", display_name="Maud Multiserver")
car = CarFactory(owner=member, vin="WBSUR9C50B1000001")
for n in range(3):
    CarFactory(vin=f"WBSUR9C50B200000{{n}}")
staff = MemberFactory(
    email="{STAFF_EMAIL}", display_name="Stella Staff", is_staff=True, is_superuser=True
)
pending = CarFactory(pending=True, vin="WBSUR9C50B3000001", owner=staff)
MeetFactory(slug="{MEET_SLUG}", title="Two servers, one meet")
print(json.dumps({{"car": car.pk, "pending_car": pending.pk}}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def cars_on_the_register(html: str) -> int:
    match = re.search(r"([\d,]+) cars? on the register", html)
    assert match, "the statistics page shows no total"
    return int(match.group(1).replace(",", ""))


def log_in(browser: requests.Session, server: str, email: str) -> requests.Response:
    form = browser.get(f"{server}/accounts/login/", timeout=10)
    assert form.status_code == 200
    return browser.post(
        f"{server}/accounts/login/",
        data={"csrfmiddlewaretoken": csrf_token(form.text), "login": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )


class Site:
    """The two servers' addresses, the shared Redis and what the setup made."""

    def __init__(self, *, a: str, b: str, redis_client: redis.Redis, prefix: str, ids: dict):
        self.a, self.b = a, b
        self.redis = redis_client
        self.prefix = prefix
        self.ids = ids

    def redis_keys(self, pattern: str) -> list[str]:
        return sorted(key.decode() for key in self.redis.keys(f"{self.prefix}:*{pattern}"))


@pytest.fixture(scope="module")
def database_url():
    """A database of the test's own on the PostgreSQL server DATABASE_URL names."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL (run it via tests/with_postgres.sh)")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (run it via tests/with_redis.sh)")
    name = f"paddock_multiserver_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(url)._replace(path=f"/{name}").geturl()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multiserver")
    prefix = f"paddock-test-{uuid.uuid4().hex[:8]}"
    # The production settings, with one change: static files are collected into a folder
    # of the test's own, never into the checkout's staticfiles/ that `make run` serves.
    (tmp / "multiserver_settings.py").write_text(
        f"from config.settings import *  # noqa: F403\nSTATIC_ROOT = {str(tmp / 'static')!r}\n"
    )
    redis_url = os.environ["REDIS_URL"]
    # Production settings: debug off, plain HTTP on loopback, nothing from the test run.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PADDOCK_", "DATABASE_", "EMAIL_", "AWS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="multiserver_settings",
        PYTHONPATH=os.pathsep.join([str(tmp), str(REPO_ROOT)]),
        DJANGO_SECRET_KEY="multiserver-test-secret-key-" + "k" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        DJANGO_CACHE_PREFIX=prefix,
        DJANGO_LOG_LEVEL="WARNING",
        PADDOCK_SITE_URL="https://multiserver.paddock.example",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    # collectstatic (compressing every file: the slowest step) needs no database: run it
    # while the database is migrated and filled.
    static_log = tmp / "collectstatic.log"
    with static_log.open("wb") as out:
        collectstatic = subprocess.Popen(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        manage("migrate", "--noinput", env=env)
        ids = json.loads(manage("shell", "-c", SETUP, env=env).strip().splitlines()[-1])
        assert collectstatic.wait(timeout=120) == 0, tail(static_log)
    finally:
        if collectstatic.poll() is None:
            collectstatic.kill()
            collectstatic.wait()

    servers: list[tuple[subprocess.Popen, Path]] = []
    try:
        addresses = []
        for name in ("a", "b"):
            port = free_port()
            log = tmp / f"gunicorn-{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        str(BIN / "gunicorn"),
                        "config.wsgi",
                        "-b",
                        f"127.0.0.1:{port}",
                        "-w",
                        "2",
                        "--graceful-timeout",
                        "5",
                    ],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            servers.append((process, log))
            addresses.append(f"http://127.0.0.1:{port}")
        for (process, log), address in zip(servers, addresses, strict=True):
            wait_until_up(process, log, address)
        client = redis.Redis.from_url(redis_url)
        yield Site(a=addresses[0], b=addresses[1], redis_client=client, prefix=prefix, ids=ids)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(process: subprocess.Popen, log: Path, address: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn at {address} exited:\n{tail(log)}")
        try:
            # The first request a worker answers imports the whole site: give it time.
            if requests.get(f"{address}/", timeout=(1, 15)).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn at {address} did not answer within 30 s:\n{tail(log)}")


def test_a_member_logged_in_on_one_server_is_logged_in_on_the_other(site):
    # Nobody is logged in on B to begin with: the profile sends visitors to log in.
    anonymous = requests.get(f"{site.b}/accounts/profile/", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302
    browser = requests.Session()

    response = log_in(browser, site.a, MEMBER_EMAIL)

    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/accounts/profile/"
    session_id = browser.cookies["sessionid"]
    # The session sits in the shared cache (and in the database, behind it).
    assert site.redis_keys(f"django.contrib.sessions.cached_db{session_id}")

    profile = browser.get(f"{site.b}/accounts/profile/", allow_redirects=False, timeout=10)

    assert profile.status_code == 200
    assert "Maud Multiserver" in profile.text
    assert MEMBER_EMAIL in profile.text


def test_an_rsvp_made_on_one_server_shows_on_the_other(site):
    browser = requests.Session()
    assert log_in(browser, site.a, MEMBER_EMAIL).status_code == 302
    meet_on_b = f"{site.b}/meets/{MEET_SLUG}/"
    assert "You're going" not in browser.get(meet_on_b, timeout=10).text
    form = browser.get(f"{site.a}/meets/{MEET_SLUG}/rsvp/", timeout=10)
    assert form.status_code == 200

    response = browser.post(
        f"{site.a}/meets/{MEET_SLUG}/rsvp/",
        data={
            "csrfmiddlewaretoken": csrf_token(form.text),
            "car": site.ids["car"],
            "guests": 0,
        },
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 302, response.text[:2000]
    assert response.headers["Location"] == f"/meets/{MEET_SLUG}/"
    page = browser.get(meet_on_b, timeout=10)
    assert page.status_code == 200
    assert "You're going with your Alpine White BMW 1 Series M Coupé (E82)" in page.text


def test_a_register_change_on_one_server_refreshes_the_statistics_on_both(site):
    before_a = requests.get(f"{site.a}/register/stats/", timeout=10)
    assert before_a.status_code == 200
    # A built the figures once and put them in the shared Redis, under the current version
    # (in the language the page was asked in; then the version of the tallies it counts).
    version = int(site.redis.get(f"{site.prefix}:1:register:version"))
    tally = int(site.redis.get(f"{site.prefix}:1:register:version:tally"))
    assert site.redis_keys(f"register:stats*:all:en-gb:v{version}.{tally}")
    before_b = requests.get(f"{site.b}/register/stats/", timeout=10)
    # The member's car and three more are public; the pending car is not counted yet.
    assert cars_on_the_register(before_a.text) == 4
    assert cars_on_the_register(before_b.text) == 4

    # The registrar verifies the pending car, through server A.
    staff = requests.Session()
    assert log_in(staff, site.a, STAFF_EMAIL).status_code == 302
    queue = staff.get(f"{site.a}/register/review/", timeout=10)
    assert queue.status_code == 200
    decided = staff.post(
        f"{site.a}/register/review/cars/{site.ids['pending_car']}/",
        data={"csrfmiddlewaretoken": csrf_token(queue.text), "decision": "approve"},
        timeout=10,
    )
    assert decided.status_code == 200
    assert "Verified" in decided.text

    # A's process bumped the tallies' version in Redis (the counts moved; not every page
    # of the register): both servers show the new total at once.
    assert int(site.redis.get(f"{site.prefix}:1:register:version:tally")) > tally
    assert int(site.redis.get(f"{site.prefix}:1:register:version")) == version
    assert cars_on_the_register(requests.get(f"{site.b}/register/stats/", timeout=10).text) == 5
    assert cars_on_the_register(requests.get(f"{site.a}/register/stats/", timeout=10).text) == 5
