"""The log under production settings: one line per refused request, JSON on request.

Each test runs a small script in a fresh Python with config.settings (and the environment a
server would have), so that Django configures logging exactly as it does for gunicorn and
runserver, and reads what the script printed on stderr.
"""

import json
import secrets
from pathlib import Path

import pytest

from tests.test_deploy import production_env, run

GREETING = "greta@example.org"

# Serves a 403, a 404 and a 500 through Django's test client, then logs two lines as
# runserver's request handler does. "--- <what>" on stderr marks where each one starts.
SCRIPT = """
import sys
import tempfile

import django

django.setup()

from django.core.exceptions import PermissionDenied
from django.core.servers.basehttp import WSGIRequestHandler
from django.http import Http404
from django.test import Client, override_settings
from django.urls import include, path


def forbidden(request):
    raise PermissionDenied


def missing(request):
    raise Http404("No car with that VIN")


def broken(request):
    raise RuntimeError("the view broke")


urlpatterns = [
    path("forbidden/", forbidden),
    path("missing/", missing),
    path("broken/", broken),
    path("", include("config.urls")),
]
plain_storage = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
client = Client(raise_request_exception=False)
# A clean clone has no collected static files: WhiteNoise would warn of the missing folder.
static_root = tempfile.TemporaryDirectory()
with override_settings(
    ROOT_URLCONF=__name__, STORAGES=plain_storage, STATIC_ROOT=static_root.name
):
    for url in ["/forbidden/", "/missing/", "/no-such-page/", "/broken/?q=GREETING"]:
        print("---", url, file=sys.stderr, flush=True)
        response = client.get(url, secure=True)
        print(response.status_code, file=sys.stdout, flush=True)

runserver = WSGIRequestHandler.__new__(WSGIRequestHandler)
runserver.request = None
for line, status in [
    ("GET /forbidden/?q=GREETING HTTP/1.1", "403"),
    ("GET /?q=GREETING HTTP/1.1", "200"),
]:
    print("--- runserver", status, file=sys.stderr, flush=True)
    runserver.log_message('"%s" %s %s', line, status, "1234")
""".replace("GREETING", GREETING)


def logged(tmp_path: Path, **env: str) -> dict[str, list[str]]:
    """What the script printed on stderr, by the request that caused it."""
    result = run(
        ["-c", SCRIPT],
        production_env(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="testserver",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            DJANGO_CACHE_DIR=str(tmp_path / "cache"),
            **env,
        ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["403", "404", "404", "500"]
    sections: dict[str, list[str]] = {}
    current = None
    for line in result.stderr.splitlines():
        if line.startswith("--- "):
            current = line.removeprefix("--- ")
            sections[current] = []
        else:
            assert current is not None, f"printed before any request: {line}"
            sections[current].append(line)
    return sections


@pytest.fixture(scope="module", params=["0", "1"], ids=["debug-off", "debug-on"])
def text_log(request, tmp_path_factory):
    return logged(tmp_path_factory.mktemp("text-log"), DJANGO_DEBUG=request.param)


def test_a_refused_request_is_one_line_without_a_traceback(text_log):
    [forbidden] = text_log["/forbidden/"]
    assert "WARNING django.request: Forbidden (Permission denied): /forbidden/" in forbidden
    [missing] = text_log["/missing/"]
    assert "WARNING django.request: Not Found: /missing/" in missing
    assert "Traceback" not in forbidden + missing


def test_a_page_not_found_by_the_urls_is_one_line_too(text_log):
    [not_found] = text_log["/no-such-page/"]
    assert "WARNING django.request: Not Found: /no-such-page/" in not_found


def test_a_server_error_keeps_its_traceback(text_log):
    lines = text_log["/broken/?q=" + GREETING]
    assert "ERROR django.request: Internal Server Error: /broken/" in lines[0]
    assert "Traceback (most recent call last):" in lines
    assert lines[-1] == "RuntimeError: the view broke"
    assert sum("Internal Server Error" in line for line in lines) == 1


def test_runservers_line_for_a_refusal_is_dropped_and_others_lose_the_query(text_log):
    assert text_log["runserver 403"] == []
    [line] = text_log["runserver 200"]
    assert line.endswith('INFO django.server: "GET / HTTP/1.1" 200 1234')


def test_nothing_logged_holds_a_query_string(text_log):
    everything = "\n".join(sum(text_log.values(), []))
    assert GREETING not in everything
    assert "?q=" not in everything


def test_the_json_log_is_one_object_a_line_without_the_query_string(tmp_path):
    sections = logged(tmp_path, DJANGO_LOG_FORMAT="json")

    records = {what: [json.loads(line) for line in lines] for what, lines in sections.items()}
    [forbidden] = records["/forbidden/"]
    assert forbidden["level"] == "WARNING"
    assert forbidden["logger"] == "django.request"
    assert forbidden["message"] == "Forbidden (Permission denied): /forbidden/"
    assert forbidden["status_code"] == 403
    assert forbidden["method"] == "GET"
    assert forbidden["path"] == "/forbidden/"
    assert forbidden["timestamp"]
    assert "exc_info" not in forbidden
    [missing] = records["/missing/"]
    assert (missing["status_code"], missing["path"]) == (404, "/missing/")
    [broken] = records["/broken/?q=" + GREETING]
    assert (broken["status_code"], broken["path"]) == (500, "/broken/")
    assert "RuntimeError: the view broke" in broken["exc_info"]
    assert records["runserver 403"] == []
    [served] = records["runserver 200"]
    assert (served["status_code"], served["method"], served["path"]) == (200, "GET", "/")
    everything = "\n".join(sum(sections.values(), []))
    assert GREETING not in everything
    assert "WSGIRequest" not in everything


def test_an_unknown_log_format_stops_the_site(tmp_path):
    result = run(
        ["-c", "import django; django.setup()"],
        production_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_LOG_FORMAT="xml"),
    )

    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT must be one of text, json" in result.stderr
