"""Shared fixtures: the cast of test users, and Chromium for the browser tests."""

import io
import os
from importlib import import_module
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM must still work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import MemberFactory, PendingMemberFactory  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
CHROMIUM = os.environ.get("PADDOCK_CHROMIUM", "/usr/bin/chromium")
# A test that asks for one of these (itself or through a fixture it uses) reaches the database.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="Run only the tests that reach the database (make test's SQLite lane: the "
        "others do not depend on the database and run in its PostgreSQL lane).",
    )
    parser.addoption(
        "--every-test-of",
        action="append",
        default=[],
        metavar="PATH",
        help="With --database-tests-only: run every test under PATH all the same.",
    )


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    database_only = config.getoption("--database-tests-only")
    every_test_of = tuple(config.getoption("--every-test-of"))
    on_postgresql = connection.vendor == "postgresql"
    keep, drop = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        # A test about PostgreSQL itself has nothing to test on SQLite: not run, not skipped.
        wanted = on_postgresql or item.get_closest_marker("postgresql") is None
        if database_only and not uses_database:
            wanted = wanted and item.nodeid.startswith(every_test_of)
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _empty_cache():
    """No cached figure survives from one test's (rolled-back) data to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language: a request in German (the test client
    leaves its language active) must not turn the next test's messages German."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes uploads to its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _mail_through_the_outbox(settings):
    """Every e-mail goes through the outbox (accounts/outbox.py), as in production.

    Django's test set-up replaces EMAIL_BACKEND with its locmem backend; here the outbox
    comes back in front of it: a mail is a row in the test's transaction, delivered to
    mail.outbox once that commits (`django_capture_on_commit_callbacks(execute=True)` in a
    test that rolls back).
    """
    settings.EMAIL_BACKEND = "accounts.outbox.QueuedEmailBackend"
    settings.PADDOCK_EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"


class MailServer:
    """The transport's far end in a test: down (every send refused) until `up()`."""

    def __init__(self):
        self.is_down = True
        self.refused = 0

    def up(self) -> None:
        self.is_down = False

    def deliver_queued(self) -> str:
        """Some time later: the mail is due again, and cron's send_queued_mail runs."""
        from django.core.management import call_command
        from django.utils import timezone

        from accounts.models import OutgoingMail

        OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED).update(
            next_attempt_at=timezone.now()
        )
        out = io.StringIO()
        call_command("send_queued_mail", stdout=out)
        return out.getvalue()


@pytest.fixture
def mail_server(monkeypatch):
    """A mail server that refuses connections, as one that is down does.

    It patches the test transport (Django's locmem backend) itself, so a test that uses it
    fails the same way whether or not the site queues its mail.
    """
    from django.core.mail.backends.locmem import EmailBackend

    server = MailServer()
    send_messages = EmailBackend.send_messages

    def send_or_refuse(backend, messages):
        if server.is_down:
            server.refused += 1
            raise ConnectionRefusedError(111, "Connection refused")
        return send_messages(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_or_refuse)
    return server


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """Put back the rows data migrations made (the Organisers group, the site's name).

    A transactional test (threads, a live server) ends with a flush that deletes them,
    and every later transactional test would miss them: sign-up e-mails need the Site.
    """
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    restore_data_migration_rows()


def restore_data_migration_rows() -> None:
    """The rows data migrations made, back if a transactional test's flush took them."""
    from django.apps import apps as django_apps

    for module, function in [
        ("accounts.migrations.0002_organisers_group", "create_organisers"),
        ("accounts.migrations.0003_site_name", "name_the_site"),
    ]:
        getattr(import_module(module), function)(django_apps, None)


@pytest.fixture
def member(db):
    """An active member: the owner in most tests."""
    return MemberFactory(display_name="Olga Owner")


@pytest.fixture
def other_member(db):
    return MemberFactory(display_name="Otto Other")


@pytest.fixture
def pending_member(db):
    return PendingMemberFactory(display_name="Petra Pending")


@pytest.fixture
def organiser(db):
    from django.contrib.auth.models import Group

    from accounts.models import ORGANISERS_GROUP

    user = MemberFactory(display_name="Oscar Organiser")
    # get_or_create: browser tests flush the database, data migrations' rows included.
    user.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
    return user


@pytest.fixture
def staff(db):
    return MemberFactory(display_name="Stella Staff", is_staff=True, is_superuser=True)


# --- Browser tests -------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-output/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
