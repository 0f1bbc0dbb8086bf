"""The site's log: one line per event on stderr, as text or as JSON. Imports no app.

Django's own set-up prints a refused request (a 403, a 404) with its whole traceback, and in
debug prints it twice: once through the `django` logger's console handler and once through
the root's. Here every logger hands its records to the root's one handler, a refusal is one
line without a traceback (a 5xx keeps its traceback), and runserver's own line for a 403 or
404 (`"GET /x HTTP/1.1" 404`) is dropped, since `django.request` has already said it.

DJANGO_LOG_FORMAT=json prints one JSON object per line for a log collector, with only the
fields named in JsonFormatter.FIELDS: never the request object, its cookies or its query
string (a search for a member's name is in the query string).
"""

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

FORMATS = ("text", "json")
TEXT_FORMAT = "{asctime} {levelname} {name}: {message}"


def logging_config(*, level: str = "INFO", log_format: str = "text") -> dict[str, Any]:
    """The LOGGING setting: every record through one handler on stderr, from `level` up."""
    level = level.upper()
    if log_format not in FORMATS:
        raise ImproperlyConfigured(
            f"DJANGO_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}."
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "refusals_without_traceback": {"()": "config.logconfig.RefusalTracebackFilter"},
            "runserver_lines": {"()": "config.logconfig.RunserverFilter"},
        },
        "formatters": {
            "text": {"format": TEXT_FORMAT, "style": "{"},
            "json": {"()": "config.logconfig.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "level": level,
                "formatter": log_format,
                "filters": ["refusals_without_traceback"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Named so that Django's defaults (a console handler in debug, mail_admins
            # without) are taken off: the root's handler prints each record once. INFO as
            # in Django's defaults: its DEBUG records (templates, autoreload) are noise.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {
                "handlers": [],
                "filters": ["runserver_lines"],
                "propagate": True,
            },
            # SQL is logged only in debug, and even then is too much for the console.
            "django.db.backends": {"level": "INFO"},
        },
    }


class RefusalTracebackFilter(logging.Filter):
    """A response below 500 is an expected refusal: its line, without the traceback.

    Django logs a PermissionDenied, an Http404 and a SuspiciousOperation with the exception
    attached; for a 5xx the traceback is what the operator needs, so it stays.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int) and status_code < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True


class RunserverFilter(logging.Filter):
    """runserver's line for each request: none for a 403 or 404, and no query string."""

    ALREADY_LOGGED = frozenset({403, 404})  # by django.request, as the reason for the refusal

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in self.ALREADY_LOGGED:
            return False
        # WSGIRequestHandler.log_message('"%s" %s %s', request_line, status, size)
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            method, _, rest = args[0].partition(" ")
            target, _, protocol = rest.partition(" ")
            if target.startswith("/"):
                path = target.split("?", 1)[0].split("#", 1)[0]
                record.args = (" ".join(filter(None, [method, path, protocol])), *args[1:])
                record.method = method
                record.path = path
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line, with the fields named here and no others."""

    FIELDS = (
        "timestamp",
        "level",
        "logger",
        "message",
        "status_code",
        "method",
        "path",
        "exc_info",
        "stack_info",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "{levelname}{name}{message}")
        kwargs.setdefault("style", "{")
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            log_data["method"] = request.method
            log_data["path"] = request.path  # the path alone: no query string
        kept = {key: log_data[key] for key in self.FIELDS if key in log_data}
        log_data.clear()
        log_data.update(kept)
