"""What the tests in German share: a member's language, and a client that asks for German."""

from django.conf import settings
from django.test import Client


def speaks(user, language: str):
    """`user` with `language` saved on their profile (for their pages and e-mails)."""
    user.language = language
    user.save(update_fields=["language"])
    return user


def logged_in(user) -> Client:
    """A client logged in as `user`, with no language cookie: their profile decides."""
    client = Client()
    client.force_login(user)
    return client


def german_client(user=None) -> Client:
    """A client whose language cookie asks for German (and logged in as `user`)."""
    client = Client() if user is None else logged_in(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client
