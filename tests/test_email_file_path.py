"""EMAIL_BACKEND=...filebased.EmailBackend: the outbox delivers each e-mail into EMAIL_FILE_PATH.

The EMAIL_BACKEND environment variable names the transport that the outbox (accounts/outbox.py)
hands each mail to, as it named Django's EMAIL_BACKEND before there was an outbox.
"""

import secrets

from tests.test_deploy import production_env, run

SEND = """
import django

django.setup()

from django.core.mail import send_mail

send_mail("Your RSVP", "See you at the Nürburgring.", None, ["greta@example.org"])
"""


def test_the_file_backend_writes_mail_into_the_folder_from_the_environment(tmp_path):
    folder = tmp_path / "mail"
    env = production_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="club.example.org",
        PADDOCK_SITE_URL="https://club.example.org",
        DJANGO_DEFAULT_FROM_EMAIL="1M Register <register@club.example.org>",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(folder),
    )
    migrated = run(["manage.py", "migrate", "--noinput", "-v0"], env)
    assert migrated.returncode == 0, migrated.stderr

    result = run(["-c", SEND], env)

    assert result.returncode == 0, result.stderr
    # Production's tasks go to the database: the mail waits in the outbox for the worker.
    assert not folder.exists() or not list(folder.iterdir())
    sent = run(["manage.py", "send_queued_mail"], env)
    assert sent.returncode == 0, sent.stderr
    assert "Sent 1 e-mail(s)" in sent.stdout
    [message] = folder.iterdir()
    text = message.read_text()
    assert "Subject: Your RSVP" in text
    assert "To: greta@example.org" in text
