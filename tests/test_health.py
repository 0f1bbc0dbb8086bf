"""/healthz: what a load balancer, systemd or a monitor is told about the site."""

import datetime
import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import OutgoingMail
from config import health

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def waiting_task(*, waited: datetime.timedelta, **fields) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="meets.tasks.rsvp_confirmation_send",
        backend_name="default",
        **fields,
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - waited)
    return task


def test_it_answers_ok_as_json_never_cached(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert isinstance(body["checks"]["database"]["ms"], float)
    assert body["checks"]["cache"]["ok"] is True
    assert body["checks"]["tasks"] == {
        "ok": True,
        "ms": body["checks"]["tasks"]["ms"],
        "queue": "immediate",
        "backlog": 0,
        "oldest_seconds": None,
    }


def test_it_answers_with_a_trailing_slash_too(client, db):
    assert client.get("/healthz/").json()["status"] == "ok"


def test_it_answers_a_probe_over_plain_http_to_a_host_not_in_allowed_hosts(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["club.example.org"]

    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    # The same request for any other page is refused: the health check answers first.
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/", HTTP_HOST="club.example.org").status_code == 301


def test_it_answers_a_member_as_it_answers_anybody_and_names_no_one(client, member):
    client.force_login(member)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert "@" not in response.content.decode()
    assert member.display_name not in response.content.decode()
    assert "Set-Cookie" not in response.headers


def test_it_answers_a_head_request(client, db):
    response = client.head("/healthz")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_a_post_goes_on_to_the_site(client, db, path):
    response = client.post(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_other_paths_go_on_to_the_site(client, db):
    response = client.get("/healthzz")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_it_answers_503_when_the_database_fails_without_the_error_text(client, db):
    failing = mock.Mock()
    failing.cursor.side_effect = OperationalError(
        'connection to "postgres://paddock:s3cret@db.internal/paddock" failed'
    )
    with mock.patch.object(health, "connection", failing):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["cache"]["ok"] is True
    assert "s3cret" not in response.content.decode()
    assert "postgres" not in response.content.decode()


def test_it_answers_503_when_the_cache_fails(client, db):
    with mock.patch.object(health.cache, "set", side_effect=ConnectionError("redis down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"] == {
        "ok": False,
        "ms": body["checks"]["cache"]["ms"],
        "error": "ConnectionError",
    }
    assert body["checks"]["database"]["ok"] is True
    assert "redis down" not in response.content.decode()


def test_it_answers_503_when_the_cache_forgets(client, db):
    with mock.patch.object(health.cache, "get", return_value=None):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["error"] == "CacheMismatch"


def test_it_reports_the_tasks_waiting_and_the_oldest_ones_age(client, db, settings):
    settings.TASKS = DATABASE_TASKS
    waiting_task(waited=datetime.timedelta(seconds=90))
    waiting_task(waited=datetime.timedelta(seconds=10))
    # Not waiting: done, or not due until tomorrow.
    waiting_task(waited=datetime.timedelta(hours=5), status="SUCCESSFUL")
    waiting_task(
        waited=datetime.timedelta(hours=5),
        run_after=timezone.now() + datetime.timedelta(days=1),
    )

    response = client.get("/healthz")

    # A backlog is reported, not failed on.
    assert response.status_code == 200
    tasks = response.json()["checks"]["tasks"]
    assert tasks["ok"] is True
    assert tasks["queue"] == "database"
    assert tasks["backlog"] == 2
    assert 90 <= tasks["oldest_seconds"] < 120


def test_a_task_with_a_run_after_waits_from_then(client, db, settings):
    settings.TASKS = DATABASE_TASKS
    waiting_task(
        waited=datetime.timedelta(hours=2),
        run_after=timezone.now() - datetime.timedelta(seconds=30),
    )

    tasks = client.get("/healthz").json()["checks"]["tasks"]

    assert tasks["backlog"] == 1
    assert 30 <= tasks["oldest_seconds"] < 60


def test_an_empty_queue_has_no_oldest_task(client, db, settings):
    settings.TASKS = DATABASE_TASKS

    tasks = client.get("/healthz").json()["checks"]["tasks"]

    assert tasks == {**tasks, "ok": True, "backlog": 0, "oldest_seconds": None}


def test_a_failing_task_query_is_reported_but_not_a_503(client, db, settings):
    settings.TASKS = DATABASE_TASKS
    with mock.patch.object(DBTaskResult.objects, "ready", side_effect=OperationalError("x")):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["tasks"] == {
        "ok": False,
        "ms": response.json()["checks"]["tasks"]["ms"],
        "error": "OperationalError",
    }


def test_it_never_answers_500(client, db):
    with mock.patch.object(health, "_timed", side_effect=RuntimeError("boom")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "error": "RuntimeError"}


def failed_mail() -> OutgoingMail:
    return OutgoingMail.objects.create(
        from_email="register@paddock.test",
        to=["greta@example.org"],
        subject="Your car is verified",
        status=OutgoingMail.Status.FAILED,
        attempts=6,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def test_failed_and_overdue_mail_is_a_warning_not_an_error(client, db):
    failed_mail()
    OutgoingMail.objects.create(
        from_email="a@paddock.test",
        to=["late@example.org"],
        next_attempt_at=timezone.now() - datetime.timedelta(hours=1),
    )
    OutgoingMail.objects.create(
        from_email="a@paddock.test", to=["soon@example.org"], next_attempt_at=timezone.now()
    )

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    report = response.json()["checks"]["mail"]
    assert report == {
        "ok": True,
        "ms": report["ms"],
        "queued": 2,
        "overdue": 1,
        "failed": 1,
        "warning": True,
    }
    assert "@" not in response.content.decode()


def test_mail_waiting_for_its_first_attempt_is_no_warning(client, db):
    OutgoingMail.objects.create(
        from_email="a@paddock.test", to=["soon@example.org"], next_attempt_at=timezone.now()
    )

    report = client.get("/healthz").json()["checks"]["mail"]

    assert (report["queued"], report["overdue"], report["failed"], report["warning"]) == (
        1,
        0,
        0,
        False,
    )


def test_a_failing_outbox_query_is_reported_but_not_a_503(client, db):
    with mock.patch.object(OutgoingMail.objects, "aggregate", side_effect=OperationalError("x")):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["mail"] == {
        "ok": False,
        "ms": response.json()["checks"]["mail"]["ms"],
        "error": "OperationalError",
    }
