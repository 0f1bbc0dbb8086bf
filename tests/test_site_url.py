"""The site's public address: required in production, and the base of every link sent out.

QR codes, calendar files, the site's e-mails and allauth's all point at PADDOCK_SITE_URL,
whatever host a request came in on; with debug off a missing or local address stops
`check --deploy`, runserver and gunicorn alike.
"""

import re
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from icalendar import Calendar

from accounts.site import sync_site
from config.checks import check_sender_address, check_site_url, site_url_errors
from meets import services
from meets.qr import checkin_url
from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory
from tests.test_deploy import production_env, run

REPO_ROOT = Path(__file__).resolve().parent.parent
CLUB = "https://club.example.org"


def ids(messages) -> list[str]:
    return sorted(message.id for message in messages)


# --- The check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", ["paddock.E001"]),
        ("http://club.example.org", ["paddock.E002"]),
        ("http://127.0.0.1:8000", ["paddock.E002", "paddock.E003"]),
        ("https://127.0.0.1:8000", ["paddock.E003"]),
        ("https://localhost", ["paddock.E003"]),
        ("https://LOCALHOST.", ["paddock.E003"]),
        ("https://paddock.localhost", ["paddock.E003"]),
        ("https://[::1]:8443", ["paddock.E003"]),
        ("https://0.0.0.0", ["paddock.E003"]),
        ("https://", ["paddock.E003"]),
        ("club.example.org", ["paddock.E002", "paddock.E003", "paddock.E004"]),
        ("https://club.example.org/paddock", ["paddock.E004"]),
        ("https://club.example.org?x=1", ["paddock.E004"]),
        ("https://admin:secret@club.example.org", ["paddock.E004"]),
        ("https://club.example.org:notaport", ["paddock.E004"]),
        ("https://:secret@club.example.org", ["paddock.E004"]),
        ("https://club.example.org?", ["paddock.E004"]),
        ("https://club.example.org#", ["paddock.E004"]),
        ("https://club.example.org/ ", ["paddock.E004"]),
        ("https://127.1", ["paddock.E003"]),
        ("https://2130706433", ["paddock.E003"]),
        ("https://0x7f.0.0.1", ["paddock.E003"]),
        ("https://[::ffff:127.0.0.1]", ["paddock.E003"]),
    ],
)
def test_a_missing_local_or_plain_http_address_is_an_error(url, expected):
    assert ids(site_url_errors(url)) == expected


@pytest.mark.parametrize(
    "url",
    [
        CLUB,
        f"{CLUB}/",
        "HTTPS://Club.Example.ORG",
        "https://club.example.org:8443",
        "https://203.0.113.7",
        "https://vereín.de",
        "https://xn--verein-bva.de",
    ],
)
def test_a_real_https_address_passes(url):
    assert site_url_errors(url) == []


def test_the_check_reports_the_setting_with_debug_off(settings):
    settings.DEBUG = False
    settings.PADDOCK_SITE_URL = "http://127.0.0.1:8000"
    assert ids(check_site_url()) == ["paddock.E002", "paddock.E003"]

    settings.PADDOCK_SITE_URL = CLUB
    settings.ALLOWED_HOSTS = ["club.example.org"]
    assert check_site_url() == []


def test_local_development_may_use_a_local_address(settings):
    settings.DEBUG = True
    settings.PADDOCK_SITE_URL = "http://127.0.0.1:8000"
    assert check_site_url() == []


def test_an_international_domain_matches_its_ascii_form_in_allowed_hosts(settings):
    settings.DEBUG = False
    settings.PADDOCK_SITE_URL = "https://vereín.de"
    settings.ALLOWED_HOSTS = ["xn--veren-2sa.de"]
    assert check_site_url() == []


def test_an_address_the_site_does_not_answer_to_is_a_warning(settings):
    settings.DEBUG = False
    settings.PADDOCK_SITE_URL = CLUB
    settings.ALLOWED_HOSTS = ["other.example.net"]
    assert ids(check_site_url()) == ["paddock.W002"]


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("Paddock <noreply@localhost>", ["paddock.W001"]),
        ("register@example.com", ["paddock.W001"]),
        ("Club <club@mailhost>", ["paddock.W001"]),
        ("1M Register <register@club.example.org>", []),
    ],
)
def test_the_placeholder_sender_is_a_warning(settings, sender, expected):
    settings.DEBUG = False
    settings.DEFAULT_FROM_EMAIL = sender
    assert ids(check_sender_address()) == expected


# --- Production settings, in a fresh interpreter ------------------------------------------


def deploy_env(**overrides) -> dict[str, str]:
    return production_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="club.example.org",
        **overrides,
    )


def test_check_deploy_fails_without_a_site_address():
    result = run(["manage.py", "check", "--deploy"], deploy_env())

    assert result.returncode != 0
    assert "paddock.E001" in result.stderr


def test_check_deploy_fails_with_the_development_address():
    env = deploy_env(PADDOCK_SITE_URL="http://127.0.0.1:8000")

    result = run(["manage.py", "check", "--deploy"], env)

    assert result.returncode != 0
    assert "paddock.E002" in result.stderr and "paddock.E003" in result.stderr


def test_check_deploy_passes_with_a_real_address_and_warns_of_a_placeholder_sender():
    env = deploy_env(PADDOCK_SITE_URL=CLUB)

    result = run(["manage.py", "check", "--deploy"], env)

    assert result.returncode == 0, result.stderr
    assert "paddock.W001" in result.stderr
    strict = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert strict.returncode != 0


def test_the_wsgi_application_refuses_to_load_without_a_site_address():
    result = run(["-c", "import config.wsgi"], deploy_env())

    assert result.returncode != 0
    assert "Paddock will not start with these settings" in result.stderr
    assert "paddock.E001" in result.stderr

    loaded = run(["-c", "import config.wsgi"], deploy_env(PADDOCK_SITE_URL=CLUB))
    assert loaded.returncode == 0, loaded.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_does_not_start_serving_without_a_site_address():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1"],
        cwd=REPO_ROOT,
        env=deploy_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        pytest.fail(f"gunicorn kept running without PADDOCK_SITE_URL:\n{output}")
    assert process.returncode != 0
    assert "paddock.E001" in output


# --- Every absolute link uses it -----------------------------------------------------------


@pytest.fixture
def club_address(settings):
    settings.PADDOCK_SITE_URL = CLUB
    return CLUB


@pytest.mark.django_db
def test_qr_codes_calendar_files_and_rsvp_mails_point_at_the_site(
    club_address, member, django_capture_on_commit_callbacks
):
    meet = MeetFactory(capacity=10)
    with django_capture_on_commit_callbacks(execute=True):
        rsvp = services.rsvp_create(meet=meet, member=member, car=CarFactory(owner=member))

    assert checkin_url(rsvp) == f"{CLUB}{rsvp.get_checkin_url()}"
    (message,) = mail.outbox
    assert f"{CLUB}{reverse('meets:mine')}" in message.body
    assert message.body.rstrip().endswith(f"{CLUB}/")
    (ics,) = [content for name, content, _ in message.attachments if name.endswith(".ics")]
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["URL"]) == f"{CLUB}{meet.get_absolute_url()}"
    assert str(event["UID"]) == f"meet-{meet.pk}@club.example.org"
    assert "127.0.0.1" not in message.body and "testserver" not in message.body


@pytest.mark.django_db
def test_allauths_mails_link_to_the_site_whatever_host_the_request_used(
    club_address, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "email": "nina@example.org",
                "password1": "Valencia-Orange-2011",
                "password2": "Valencia-Orange-2011",
            },
            HTTP_HOST="localhost",
        )
        client.post(
            reverse("account_reset_password"),
            {"email": "nobody@example.org"},
            HTTP_HOST="localhost",
        )

    confirm, unknown = mail.outbox
    assert re.search(rf"{CLUB}/accounts/confirm-email/\S+/", confirm.body), confirm.body
    assert f"{CLUB}/accounts/signup/" in unknown.body, unknown.body
    for message in (confirm, unknown):
        assert "localhost" not in message.body and "testserver" not in message.body
        assert message.body.rstrip().endswith("club.example.org")  # allauth's footer


@pytest.mark.django_db
def test_migrate_keeps_the_site_row_in_step_with_the_settings(settings):
    settings.PADDOCK_SITE_URL = "https://register.example.net"
    settings.PADDOCK_CLUB_NAME = "Example Register"

    call_command("migrate", verbosity=0)  # nothing to apply; its post_migrate hook runs

    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("register.example.net", "Example Register")


@pytest.mark.django_db
def test_the_site_row_is_left_alone_while_no_address_is_set(settings):
    before = Site.objects.values_list("domain", "name").get(pk=settings.SITE_ID)
    settings.PADDOCK_SITE_URL = ""

    sync_site()

    assert Site.objects.values_list("domain", "name").get(pk=settings.SITE_ID) == before
