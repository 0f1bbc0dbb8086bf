"""The club's tagline in the visitor's language, falling back to English.

The line under the club's name is PADDOCK_CLUB_TAGLINE in English and
PADDOCK_CLUB_TAGLINE_DE (and so on) in the site's other languages.
"""

import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "config" / "settings.py"


def lead(client) -> str:
    html = client.get(reverse("home")).content.decode()
    start = html.index('<p class="lead col-lg-8">') + len('<p class="lead col-lg-8">')
    return html[start : html.index("</p>", start)]


def test_a_german_visitor_sees_the_german_tagline(client, settings, db):
    settings.PADDOCK_CLUB_TAGLINE = "Every car, chassis by chassis."
    settings.PADDOCK_CLUB_TAGLINES = {"de": "Jedes Auto, Fahrgestell für Fahrgestell."}

    english = lead(client)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "de"
    german = lead(client)

    assert english == "Every car, chassis by chassis."
    assert german == "Jedes Auto, Fahrgestell für Fahrgestell."
    assert (
        'content="Jedes Auto, Fahrgestell für Fahrgestell."'
        in client.get(reverse("home")).content.decode()
    )  # the page's description too


def test_a_language_without_its_own_tagline_shows_the_english_one(client, settings, db):
    settings.PADDOCK_CLUB_TAGLINE = "Every car, chassis by chassis."
    settings.PADDOCK_CLUB_TAGLINES = {"de": ""}
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "de"

    assert lead(client) == "Every car, chassis by chassis."


def taglines_from(monkeypatch, **environ) -> tuple[str, dict]:
    """PADDOCK_CLUB_TAGLINE and PADDOCK_CLUB_TAGLINES as settings.py reads `environ`."""
    for name in ("PADDOCK_CLUB_TAGLINE", "PADDOCK_CLUB_TAGLINE_DE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    namespace = runpy.run_path(str(SETTINGS_FILE))
    return namespace["PADDOCK_CLUB_TAGLINE"], namespace["PADDOCK_CLUB_TAGLINES"]


@pytest.mark.parametrize(
    ("environ", "german"),
    [
        ({}, "Jedes 1er M Coupé, Fahrgestell für Fahrgestell – und die Menschen, die es fahren."),
        ({"PADDOCK_CLUB_TAGLINE_DE": "Unser Club."}, "Unser Club."),
        # A club's own English line is not shown our 1M line in German.
        ({"PADDOCK_CLUB_TAGLINE": "Our club."}, ""),
        (
            {"PADDOCK_CLUB_TAGLINE": "Our club.", "PADDOCK_CLUB_TAGLINE_DE": "Unser Club."},
            "Unser Club.",
        ),
    ],
    ids=["defaults", "german only", "english only", "both"],
)
def test_the_taglines_come_from_the_environment(monkeypatch, environ, german):
    _english, taglines = taglines_from(monkeypatch, **environ)

    assert taglines == {"de": german}
