"""EMAIL_BACKEND=...filebased.EmailBackend writes each e-mail into EMAIL_FILE_PATH."""

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
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(folder),
    )

    result = run(["-c", SEND], env)

    assert result.returncode == 0, result.stderr
    [message] = folder.iterdir()
    text = message.read_text()
    assert "Subject: Your RSVP" in text
    assert "To: greta@example.org" in text
