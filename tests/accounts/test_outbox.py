"""The outbox (accounts/outbox.py): queued with the change, delivered once, retried, never lost."""

import datetime
import io
import threading
import time

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import outbox
from accounts.models import OutgoingMail
from tests.factories import MemberFactory

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CHANGELIST = reverse("admin:accounts_outgoingmail_changelist")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def queue(subject="Your RSVP", to="greta@example.org") -> OutgoingMail:
    send_mail(subject, "See you at the Nürburgring.", None, [to])
    return OutgoingMail.objects.latest("pk")


def due_now(mail_: OutgoingMail) -> None:
    """Time passes: the mail's next attempt is due."""
    OutgoingMail.objects.filter(pk=mail_.pk).update(next_attempt_at=timezone.now())


def send_queued_mail(*args) -> str:
    out = io.StringIO()
    call_command("send_queued_mail", *args, stdout=out)
    return out.getvalue()


# --- Queued with the change --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_mail_is_a_queued_row_until_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queued = queue()
        assert mail.outbox == []  # not before the commit

    assert [m.subject for m in mail.outbox] == ["Your RSVP"]
    queued.refresh_from_db()
    assert queued.status == OutgoingMail.Status.SENT
    assert queued.attempts == 1
    assert queued.sent_at is not None


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_mail(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the change failed")

    assert not OutgoingMail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_on_the_database_backend_the_delivery_task_is_saved_with_the_mail(settings):
    settings.TASKS = DATABASE_TASKS

    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("the change failed")

    assert not DBTaskResult.objects.exists()
    queued = queue()
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "accounts.outbox.outgoing_mail_send"
    assert task.args_kwargs["args"] == [queued.pk]


@pytest.mark.django_db
def test_everything_in_a_message_survives_the_queue(django_capture_on_commit_callbacks):
    message = EmailMultiAlternatives(
        subject="Eifel Run",
        body="Plain text",
        from_email="Organisers <meets@paddock.test>",
        to=["greta@example.org"],
        cc=["copy@example.org"],
        bcc=["hidden@example.org"],
        reply_to=["organiser@example.org"],
        headers={"X-Paddock": "meet-7"},
        alternatives=[("<p>HTML</p>", "text/html")],
    )
    message.attach("eifel-run.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message.attach("check-in-code.png", PNG, "image/png")

    with django_capture_on_commit_callbacks(execute=True):
        assert message.send() == 1

    [sent] = mail.outbox
    assert (sent.subject, sent.body, sent.from_email) == (
        "Eifel Run",
        "Plain text",
        "Organisers <meets@paddock.test>",
    )
    assert (sent.to, sent.cc, sent.bcc, sent.reply_to) == (
        ["greta@example.org"],
        ["copy@example.org"],
        ["hidden@example.org"],
        ["organiser@example.org"],
    )
    assert sent.alternatives == [("<p>HTML</p>", "text/html")]
    assert list(sent.attachments) == [
        ("eifel-run.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),
        ("check-in-code.png", PNG, "image/png"),
    ]
    assert sent.extra_headers["X-Paddock"] == "meet-7"
    assert sent.message()["Message-ID"] == OutgoingMail.objects.get().headers["Message-ID"]


@pytest.mark.django_db
def test_a_message_without_recipients_is_not_queued():
    assert send_mail("Nobody", "Body", None, []) == 0
    assert not OutgoingMail.objects.exists()


# --- Retries, backoff, failure -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_attempt_is_recorded_and_never_raised(
    mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = queue()

    queued.refresh_from_db()
    assert queued.status == OutgoingMail.Status.QUEUED
    assert queued.attempts == 1
    assert queued.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert mail.outbox == []
    # The task itself succeeded: its failure is the row's, which keeps the mail.
    result = outbox.outgoing_mail_send.enqueue(queued.pk)
    assert result.status == "SUCCESSFUL"


@pytest.mark.django_db
def test_the_retries_wait_longer_each_time_then_the_mail_is_failed_and_kept(mail_server, settings):
    settings.TASKS = DATABASE_TASKS
    queued = queue()
    DBTaskResult.objects.all().delete()
    waits = []

    for _attempt in range(outbox.MAX_ATTEMPTS):
        due_now(queued)
        before = timezone.now()
        assert outbox.outgoing_mail_deliver(mail_id=queued.pk) is False
        queued.refresh_from_db()
        if queued.status == OutgoingMail.Status.QUEUED:
            waits.append(queued.next_attempt_at - before)
            # The database backend holds the next attempt's task until then.
            task = DBTaskResult.objects.get()
            assert task.run_after == queued.next_attempt_at
            task.delete()

    assert [round(wait.total_seconds() / 60) for wait in waits] == [1, 5, 30, 120, 720]
    assert queued.status == OutgoingMail.Status.FAILED
    assert queued.attempts == 6
    assert queued.next_attempt_at is None
    assert "Connection refused" in queued.last_error
    assert not DBTaskResult.objects.exists()  # no further attempt
    assert mail_server.refused == 6


@pytest.mark.django_db
def test_a_mail_deleted_while_it_was_being_sent_is_not_tried_again(settings, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    settings.TASKS = DATABASE_TASKS
    queued = queue()
    DBTaskResult.objects.all().delete()

    def deleted_then_refused(backend, messages):
        OutgoingMail.objects.filter(pk=queued.pk).delete()  # its member deleted their account
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailBackend, "send_messages", deleted_then_refused)

    assert outbox.outgoing_mail_deliver(mail_id=queued.pk) is False
    assert not OutgoingMail.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_a_mail_is_not_tried_again_before_its_time(mail_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = queue()
    mail_server.up()

    assert "Sent 0 e-mail(s)" in send_queued_mail()
    assert outbox.outgoing_mail_deliver(mail_id=queued.pk) is False

    due_now(queued)
    assert "Sent 1 e-mail(s)" in send_queued_mail()
    assert "Sent 0 e-mail(s)" in send_queued_mail()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_command_sends_a_mail_whose_task_was_lost_and_one_a_dead_worker_left():
    lost = OutgoingMail.objects.create(
        from_email="a@paddock.test", to=["lost@example.org"], next_attempt_at=timezone.now()
    )
    left = OutgoingMail.objects.create(
        from_email="a@paddock.test",
        to=["left@example.org"],
        status=OutgoingMail.Status.SENDING,
        attempts=1,
        last_attempt_at=timezone.now() - datetime.timedelta(minutes=30),
    )
    busy = OutgoingMail.objects.create(
        from_email="a@paddock.test",
        to=["busy@example.org"],
        status=OutgoingMail.Status.SENDING,
        attempts=1,
        last_attempt_at=timezone.now(),
    )

    assert "Sent 2 e-mail(s)" in send_queued_mail()

    assert sorted(m.to[0] for m in mail.outbox) == ["left@example.org", "lost@example.org"]
    for row in (lost, left):
        row.refresh_from_db()
        assert row.status == OutgoingMail.Status.SENT
    busy.refresh_from_db()
    assert busy.status == OutgoingMail.Status.SENDING  # a live worker is sending it


@pytest.mark.django_db
def test_the_command_deletes_sent_mail_after_the_retention_period_and_keeps_the_rest(settings):
    settings.PADDOCK_MAIL_RETENTION_DAYS = 30
    long_ago = timezone.now() - datetime.timedelta(days=31)
    recently = timezone.now() - datetime.timedelta(days=5)

    def row(status, sent_at=None, **fields):
        created = OutgoingMail.objects.create(
            from_email="a@paddock.test", to=["x@example.org"], status=status, sent_at=sent_at
        )
        OutgoingMail.objects.filter(pk=created.pk).update(created_at=long_ago, **fields)
        return created.pk

    old_sent = row(OutgoingMail.Status.SENT, long_ago)
    new_sent = row(OutgoingMail.Status.SENT, recently)
    old_failed = row(OutgoingMail.Status.FAILED)
    old_cancelled = row(OutgoingMail.Status.CANCELLED)
    waiting = row(
        OutgoingMail.Status.QUEUED, next_attempt_at=timezone.now() + datetime.timedelta(hours=1)
    )

    assert "Deleted 2 sent e-mail(s) older than 30 days" in send_queued_mail()

    assert set(OutgoingMail.objects.values_list("pk", flat=True)) == {new_sent, old_failed, waiting}
    assert not OutgoingMail.objects.filter(pk__in=[old_sent, old_cancelled]).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_mail_at_once_send_it_once(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    queued = OutgoingMail.objects.create(
        from_email="a@paddock.test", to=["once@example.org"], next_attempt_at=timezone.now()
    )
    sends = []
    send_messages = EmailBackend.send_messages

    def slow_send(backend, messages):
        sends.append(messages)
        time.sleep(0.3)  # the other worker tries while this one is still talking to the server
        return send_messages(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_send)
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(outbox.outgoing_mail_deliver(mail_id=queued.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert len(sends) == 1
    assert [m.to for m in mail.outbox] == [["once@example.org"]]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutgoingMail.Status.SENT, 1)


# --- Staff: the admin's list, retry and cancel -------------------------------------------------


@pytest.fixture
def failed_mail(db):
    return OutgoingMail.objects.create(
        from_email="register@paddock.test",
        to=["greta@example.org"],
        subject="Your car is verified",
        body="Plaque No. 7.",
        status=OutgoingMail.Status.FAILED,
        attempts=6,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def test_the_outbox_list_sends_anonymous_visitors_and_members_to_log_in(
    client, member, failed_mail
):
    assert client.get(CHANGELIST)["Location"].startswith(reverse("admin:login"))
    client.force_login(member)
    assert client.get(CHANGELIST)["Location"].startswith(reverse("admin:login"))


def test_the_outbox_list_is_forbidden_to_staff_without_the_permission(client, failed_mail):
    client.force_login(MemberFactory(is_staff=True))

    assert client.get(CHANGELIST).status_code == 403


def test_staff_see_failed_mail_with_its_error_and_read_it(client, staff, failed_mail):
    client.force_login(staff)

    listing = client.get(CHANGELIST, {"status__exact": "failed"})
    detail = client.get(reverse("admin:accounts_outgoingmail_change", args=[failed_mail.pk]))

    assert listing.status_code == 200
    page = listing.content.decode()
    assert "greta@example.org" in page
    assert "Your car is verified" in page
    assert "SMTPServerDisconnected" in page
    assert detail.status_code == 200
    assert "Plaque No. 7." in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()  # read-only


def test_staff_find_mail_by_address(client, staff, failed_mail):
    OutgoingMail.objects.create(
        from_email="a@paddock.test", to=["otto@example.org"], subject="Other"
    )
    client.force_login(staff)

    page = client.get(CHANGELIST, {"q": "greta@"}).content.decode()

    assert "Your car is verified" in page
    assert "otto@example.org" not in page


def test_staff_send_a_failed_mail_again_now(
    client, staff, failed_mail, django_capture_on_commit_callbacks
):
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [failed_mail.pk]}, follow=True
        )

    assert response.status_code == 200
    assert "1 e-mail queued to be sent again." in response.content.decode()
    failed_mail.refresh_from_db()
    assert failed_mail.status == OutgoingMail.Status.SENT
    assert failed_mail.attempts == 1  # a fresh set of tries
    assert [m.to for m in mail.outbox] == [["greta@example.org"]]


def test_a_retry_that_fails_again_waits_for_its_next_attempt(
    client, staff, failed_mail, mail_server, django_capture_on_commit_callbacks
):
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [failed_mail.pk]})

    failed_mail.refresh_from_db()
    assert failed_mail.status == OutgoingMail.Status.QUEUED
    assert failed_mail.attempts == 1
    assert "Connection refused" in failed_mail.last_error


def test_staff_cancel_a_waiting_mail_and_it_is_never_sent(client, staff, mail_server):
    waiting = queue()
    client.force_login(staff)

    client.post(CHANGELIST, {"action": "cancel", "_selected_action": [waiting.pk]})
    mail_server.up()
    mail_server.deliver_queued()

    waiting.refresh_from_db()
    assert waiting.status == OutgoingMail.Status.CANCELLED
    assert mail.outbox == []


def test_a_member_cannot_retry_mail(client, member, failed_mail):
    client.force_login(member)

    response = client.post(
        CHANGELIST, {"action": "retry_now", "_selected_action": [failed_mail.pk]}
    )

    assert response.status_code == 302
    failed_mail.refresh_from_db()
    assert failed_mail.status == OutgoingMail.Status.FAILED
