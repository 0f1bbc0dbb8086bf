"""/healthz: how the site is, for a load balancer, systemd and monitoring. Imports no app.

GET or HEAD /healthz answers JSON, to anybody, never cached:

    {"status": "ok", "checks": {"database": {"ok": true, "ms": 1.2},
                                "cache": {"ok": true, "ms": 0.4},
                                "tasks": {"ok": true, "ms": 0.9, "queue": "database",
                                          "backlog": 0, "oldest_seconds": null},
                                "mail": {"ok": true, "ms": 0.7, "queued": 0, "overdue": 0,
                                         "failed": 0, "warning": false}}}

200 when the database and the cache answer; 503 with "status": "error" when either does
not, the failing check saying `"ok": false` and the class of its error (never the error's
text: a database URL in it could hold a password). Tasks waiting for the worker are
reported, not failed on: how long a wait is too long is the monitor's call. So is the outbox
(accounts/outbox.py): e-mails waiting, overdue (a quarter of an hour past their time) and
failed for good, with `"warning": true` when any is overdue or failed; the site still answers
200, since its pages work without the mail server. An app adds such a report through a
`health_checks()` method on its AppConfig, which maps each report's name to its check.
"""

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, DateTimeField, F, Min, When
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)

PATHS = frozenset({"/healthz", "/healthz/"})


class HealthCheckMiddleware:
    """Answer /healthz before any other middleware.

    First in MIDDLEWARE, so that a probe from 127.0.0.1 over plain HTTP gets the answer
    rather than SecurityMiddleware's redirect to HTTPS or a 400 for a host name that is
    not in ALLOWED_HOSTS (nothing here asks for the request's host). Every other request,
    and any method but GET and HEAD, goes on unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PATHS and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)


def health_response() -> HttpResponse:
    """The report as a response; a 503, never a 500, whatever goes wrong."""
    try:
        checks = {
            "database": _timed(check_database),
            "cache": _timed(check_cache),
            "tasks": _timed(check_tasks),
            **{name: _timed(check) for name, check in _app_checks().items()},
        }
        healthy = checks["database"]["ok"] and checks["cache"]["ok"]
        response = JsonResponse(
            {"status": "ok" if healthy else "error", "checks": checks},
            status=200 if healthy else 503,
        )
    except Exception as error:
        logger.exception("The health check itself failed")
        response = JsonResponse({"status": "error", "error": type(error).__name__}, status=503)
    add_never_cache_headers(response)
    return response


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one check; its failure is a result (the error's class), never an exception."""
    started = time.perf_counter()
    try:
        details = check()
    except Exception as error:
        # The error's text goes to the operator's log only, not into the answer.
        logger.warning("%s failed: %s: %s", check.__name__, type(error).__name__, error)
        return {"ok": False, "ms": _ms_since(started), "error": type(error).__name__}
    return {"ok": True, "ms": _ms_since(started), **details}


def _app_checks() -> dict[str, Callable[[], dict[str, Any]]]:
    checks: dict[str, Callable[[], dict[str, Any]]] = {}
    for app_config in apps.get_app_configs():
        hook = getattr(app_config, "health_checks", None)
        if hook is not None:
            checks.update(hook())
    return checks


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


class CacheMismatch(Exception):
    """The cache kept the value but gave back another one (or none)."""


def check_cache() -> dict[str, Any]:
    # One key per process and thread: two probes at once cannot read each other's value,
    # and the cache holds a handful of these keys, not one per probe.
    key = f"paddock:healthz:{os.getpid()}:{threading.get_ident()}"
    value = uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    if cache.get(key) != value:
        raise CacheMismatch
    return {}


def check_tasks() -> dict[str, Any]:
    """The tasks waiting for the worker: how many, and how long the first has waited."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, ImmediateBackend):
        # Tasks run during the request that enqueues them: nothing ever waits.
        return {"queue": "immediate", "backlog": 0, "oldest_seconds": None}
    if not isinstance(backend, DatabaseBackend):
        return {"queue": type(backend).__name__, "backlog": None, "oldest_seconds": None}

    from django_tasks_db.models import DBTaskResult, get_date_max  # a model: once apps load

    # A task is due from when it was enqueued, or from its run_after if that came later
    # (run_after is the far future's date for "as soon as possible").
    due_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
        output_field=DateTimeField(),
    )
    waiting = (
        DBTaskResult.objects.ready()
        .filter(backend_name=backend.alias)
        .aggregate(backlog=Count("pk"), oldest=Min(due_since))
    )
    oldest = waiting["oldest"]
    return {
        "queue": "database",
        "backlog": waiting["backlog"],
        "oldest_seconds": None
        if oldest is None
        else max(0, int((timezone.now() - oldest).total_seconds())),
    }
