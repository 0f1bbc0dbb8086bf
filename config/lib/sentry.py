"""Errors to Sentry without the members' personal data. Imports no app.

sentry_options() is what config/settings.py passes to sentry_sdk.init when SENTRY_DSN is set
(and what the tests pass, with a transport of their own). Sentry sends no personal data by
default, and is told to send no request bodies and no local variables; the hooks below take
off what it would still send: the query string (a search for a member's name), cookies,
headers other than the User-Agent, the user, the parameters of SQL queries, the keys of Redis
commands (a cached session's key is the session's id) and the extras of log records (Django's
hold the request, whose repr has the query string). Any e-mail address left anywhere, in an
exception's message for one, is replaced as the last step.
"""

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sentry_sdk.integrations.django import DjangoIntegration

KEPT_HEADERS = frozenset({"user-agent"})
KEPT_EXTRAS = frozenset({"sys.argv"})
KEPT_SPAN_DATA = frozenset(
    {"db.system", "db.name", "server.address", "server.port", "thread.id", "thread.name"}
    | {"http.method", "http.response.status_code", "code.function", "code.namespace"}
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_REPLACEMENT = "[email]"


def sentry_options(
    *, dsn: str | None, environment: str | None = None, traces_sample_rate: float = 0.0
) -> dict[str, Any]:
    """The keyword arguments of sentry_sdk.init."""
    return {
        "dsn": dsn,
        "integrations": [DjangoIntegration()],
        # send_default_pii is left at its default, off: sentry-sdk 2.75 deprecates naming it
        # (for its data_collection option) and warns when it is passed at all.
        "max_request_body_size": "never",
        "include_local_variables": False,
        "traces_sample_rate": traces_sample_rate,
        "environment": environment,
        "before_send": before_send,
        "before_send_transaction": before_send,
        "before_breadcrumb": before_breadcrumb,
    }


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """An error or a performance trace, without anything that could name a person."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers") or {}
        event["request"] = {
            "method": request.get("method"),
            "url": _without_query(request.get("url") or ""),
            "headers": {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS},
        }
    if isinstance(event.get("extra"), dict):
        event["extra"] = {k: v for k, v in event["extra"].items() if k in KEPT_EXTRAS}
    for span in event.get("spans") or []:
        op = str(span.get("op", ""))
        # A span's data is what it timed: a template's whole context (a directory search,
        # the members listed), a cache's keys. Only the fields named in KEPT_SPAN_DATA stay.
        if isinstance(span.get("data"), dict):
            span["data"] = {k: v for k, v in span["data"].items() if k in KEPT_SPAN_DATA}
        if op.startswith(("db.redis", "cache")):
            span["description"] = op
        elif op == "http.client" and isinstance(span.get("description"), str):
            method, _, url = span["description"].partition(" ")
            span["description"] = f"{method} {_without_query(url)}"
    return _without_emails(event)


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """A breadcrumb without SQL parameters, Redis keys, log extras or query strings."""
    category = crumb.get("category")
    if category == "query" or crumb.get("type") == "log":
        crumb.pop("data", None)
    elif category == "redis":
        crumb.pop("data", None)
        crumb["message"] = "redis"
    elif category == "httplib" or crumb.get("type") == "http":
        data = crumb.get("data")
        if isinstance(data, dict):
            data.pop("http.query", None)
            data.pop("http.fragment", None)
            if isinstance(data.get("url"), str):
                data["url"] = _without_query(data["url"])
    return _without_emails(crumb)


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _without_emails(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub(EMAIL_REPLACEMENT, value)
    if isinstance(value, dict):
        return {key: _without_emails(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_emails(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_without_emails(item) for item in value)
    return value
