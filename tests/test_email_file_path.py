"""EMAIL_BACKEND=...filebased.EmailBackend: the outbox delivers each e-mail into EMAIL_FILE_PATH.

The EMAIL_BACKEND environment variable names the transport that the outbox (accounts/outbox.py)
hands each mail to, as it named Django's EMAIL_BACKEND before there was an outbox. Production
settings read both from the environment (a subprocess, no database needed); the delivery
itself runs here, through the outbox and `send_queued_mail`, as the worker would.
"""

import io
import json
import secrets

import pytest
from django.core.mail import send_mail
from django.core.management import call_command

from tests.test_deploy import production_env, run

SETTINGS = """
import json

import django

django.setup()

from django.conf import settings

print(json.dumps([settings.EMAIL_BACKEND, settings.PADDOCK_EMAIL_TRANSPORT,
                  str(settings.EMAIL_FILE_PATH), settings.TASKS["default"]["BACKEND"]]))
"""


def test_production_settings_take_the_transport_and_its_folder_from_the_environment(tmp_path):
    env = production_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="club.example.org",
        PADDOCK_SITE_URL="https://club.example.org",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
    )
    result = run(["-c", SETTINGS], env)

    assert result.returncode == 0, result.stderr
    backend, transport, folder, tasks = json.loads(result.stdout)
    assert backend == "accounts.outbox.QueuedEmailBackend"
    assert transport == "django.core.mail.backends.filebased.EmailBackend"
    assert folder == str(tmp_path / "mail")
    # Production's tasks go to the database: a mail waits in the outbox for the worker.
    assert tasks == "django_tasks_db.DatabaseBackend"


@pytest.mark.django_db
def test_the_file_transport_writes_each_queued_mail_into_the_folder(settings, tmp_path):
    folder = tmp_path / "mail"
    settings.PADDOCK_EMAIL_TRANSPORT = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)

    send_mail("Your RSVP", "See you at the Nürburgring.", None, ["greta@example.org"])

    assert not folder.exists() or not list(folder.iterdir())
    out = io.StringIO()
    call_command("send_queued_mail", stdout=out)
    assert "Sent 1 e-mail(s)" in out.getvalue()
    [message] = folder.iterdir()
    text = message.read_text()
    assert "Subject: Your RSVP" in text
    assert "To: greta@example.org" in text
