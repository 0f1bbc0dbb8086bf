"""Sentry is told of errors, and of nothing that names a member.

The SDK is set up with the options config/settings.py uses (config.lib.sentry) and a transport
that keeps what it would have sent; a member then makes a view fail with their e-mail address
in the form, in the query string and in the log. The requests go through Django's WSGI handler,
as gunicorn sends them: Sentry reads the URL, query string and headers there, which the test
client would skip.
"""

import logging
import secrets
from contextlib import contextmanager

import pytest
import sentry_sdk
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.template import engines
from django.template.response import TemplateResponse
from django.test import RequestFactory
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.transport import Transport

from config.lib.sentry import sentry_options
from tests.factories import MemberFactory
from tests.test_deploy import production_env, run

EMAIL = "greta@example.org"


@csrf_exempt
def failing_view(request):
    logging.getLogger("paddock.tests").warning("Looking up a member", extra={"request": request})
    get_user_model().objects.filter(email=request.POST.get("email")).exists()
    raise RuntimeError("the view broke")


def view_failing_with_an_address(request):
    raise ValueError(f"No membership for {request.user.email}")


def member_search(request):
    """A search page: the query and the members found go into its template's context.

    A TemplateResponse, which sentry-sdk times with its context whenever this module was
    imported (its patch of django.shortcuts.render reaches only modules imported after
    sentry_sdk.init, as the site's views are in production).
    """
    query = request.GET.get("q", "")
    members = get_user_model().objects.filter(display_name__icontains=query)
    template = engines["django"].from_string(
        "{{ query }}: {% for m in members %}{{ m }} {% endfor %}"
    )
    return TemplateResponse(request, template, {"query": query, "members": members})


urlpatterns = [
    path("search/", member_search),
    path("fails/", failing_view),
    path("fails-with-address/", view_failing_with_an_address),
]


class KeepingTransport(Transport):
    """Keeps each envelope instead of sending it."""

    def __init__(self):
        super().__init__()
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def sent(self) -> str:
        return "\n".join(envelope.serialize().decode() for envelope in self.envelopes)

    def events(self) -> list[dict]:
        return [e.get_event() for e in self.envelopes if e.get_event() is not None]

    def transactions(self) -> list[dict]:
        found = [e.get_transaction_event() for e in self.envelopes]
        return [event for event in found if event is not None]


@pytest.fixture
def sentry(request):
    transport = KeepingTransport()
    rate = getattr(request, "param", 0.0)  # the share of requests traced
    options = sentry_options(
        dsn="https://key@sentry.example.org/1", environment="test", traces_sample_rate=rate
    )
    sentry_sdk.init(**options, transport=transport)
    try:
        with sentry_sdk.isolation_scope():
            yield transport
    finally:
        sentry_sdk.get_client().close()
        # Back to no client: the other tests send nothing anywhere.
        sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def greta(db):
    return MemberFactory(email=EMAIL, display_name="Greta Garage")


@pytest.fixture
def greta_session(client, greta) -> str:
    client.force_login(greta)
    return client.cookies["sessionid"].value


@contextmanager
def connections_kept_open():
    """As the test client does: the test's transaction outlives the request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def serve(method: str, path: str, **kwargs) -> int:
    """The status of a request served by Django's WSGI handler, as under gunicorn."""
    request = getattr(RequestFactory(), method)(path, **kwargs)
    statuses = []
    with connections_kept_open():
        response = WSGIHandler()(request.environ, lambda status, *args: statuses.append(status))
        response.close()
    return int(statuses[0].split()[0])


@pytest.mark.urls(__name__)
def test_an_error_reaches_sentry_without_the_members_data(greta_session, sentry):
    status = serve(
        "post",
        f"/fails/?q={EMAIL}&page=2",
        data={"email": EMAIL, "notes": "a private note"},
        HTTP_COOKIE=f"sessionid={greta_session}; cookie_consent=tracking-cookie-value",
        HTTP_USER_AGENT="Mozilla/5.0 (test)",
        HTTP_REFERER=f"https://testserver/members/?q={EMAIL}",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        REMOTE_ADDR="198.51.100.7",
    )

    assert status == 500
    [event] = sentry.events()
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["environment"] == "test"
    assert event["request"] == {
        "method": "POST",
        "url": "http://testserver/fails/",
        "headers": {"User-Agent": "Mozilla/5.0 (test)"},
    }
    assert "user" not in event
    # The SQL was recorded as a breadcrumb, the log line too, both without their data.
    crumbs = event["breadcrumbs"]["values"]
    assert any(c["category"] == "query" and "accounts_user" in c["message"] for c in crumbs)
    assert any(c["category"] == "paddock.tests" and "data" not in c for c in crumbs)
    sent = sentry.sent()
    assert "RuntimeError" in sent
    for private in [
        EMAIL,
        "greta%40example.org",
        "q=",
        "page=2",
        "a private note",
        greta_session,
        "tracking-cookie-value",
        "203.0.113.9",
        "198.51.100.7",
        "Greta Garage",
    ]:
        assert private not in sent, private


@pytest.mark.urls(__name__)
def test_an_address_in_an_errors_message_is_taken_out(greta_session, sentry):
    status = serve("get", "/fails-with-address/", HTTP_COOKIE=f"sessionid={greta_session}")

    assert status == 500
    [event] = sentry.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert exception["value"] == "No membership for [email]"
    assert EMAIL not in sentry.sent()


def test_sentry_is_told_to_collect_no_personal_data(sentry):
    client = sentry_sdk.get_client()

    assert client.should_send_default_pii() is False
    assert client.options["max_request_body_size"] == "never"
    assert client.options["include_local_variables"] is False


def test_the_settings_start_sentry_from_the_environment():
    env = production_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SENTRY_DSN="https://key@sentry.example.org/1",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )
    script = (
        "import django; django.setup(); import sentry_sdk; o = sentry_sdk.get_client().options; "
        "print(o['dsn'], o['environment'], o['traces_sample_rate'], o['before_send'].__module__)"
    )

    result = run(["-c", script], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "https://key@sentry.example.org/1",
        "staging",
        "0.25",
        "config.lib.sentry",
    ]


def test_without_a_dsn_sentry_is_not_started():
    env = production_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    script = "import django; django.setup(); import sentry_sdk; print(sentry_sdk.is_initialized())"

    result = run(["-c", script], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("sentry", [1.0], indirect=True)
def test_a_traced_page_reaches_sentry_without_its_template_data(greta_session, sentry):
    """A trace times each template with its context: a search and who it found."""
    status = serve("get", "/search/?q=Greta+Garage", HTTP_COOKIE=f"sessionid={greta_session}")

    assert status == 200
    sentry_sdk.flush()
    [trace] = sentry.transactions()
    spans = trace["spans"]
    assert any(span["op"] == "template.render" for span in spans), [s["op"] for s in spans]
    assert any(span["op"] == "db" for span in spans)
    sent = sentry.sent()
    for private in ["Greta", "Garage", "q=", EMAIL, greta_session]:
        assert private not in sent, private
