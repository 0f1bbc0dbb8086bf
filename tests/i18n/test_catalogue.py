"""The German catalogue is complete: every marked string has a German translation.

`makemessages` runs over a copy of the source, so a string marked for translation and not
yet in `locale/de/LC_MESSAGES/django.po` fails here, as does an entry left empty or fuzzy.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
SOURCES = [
    "manage.py",
    "config",
    "accounts",
    "membership",
    "register",
    "meets",
    "templates",
    "locale",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\w*\}")


def untranslated(po: polib.POFile) -> list[str]:
    return [entry.msgid for entry in po if entry.msgid and not entry.translated()]


def test_the_german_catalogue_has_no_empty_or_fuzzy_entry():
    po = polib.pofile(str(CATALOGUE))
    assert len(po) > 50
    assert untranslated(po) == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


def test_every_translation_keeps_the_placeholders_of_its_english():
    po = polib.pofile(str(CATALOGUE))
    wrong = []
    for entry in po.translated_entries():
        english = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
        for german in translations:
            if sorted(PLACEHOLDER.findall(german)) != english and not entry.msgid_plural:
                wrong.append((entry.msgid, german))
    assert wrong == []


def test_every_string_marked_for_translation_is_in_the_german_catalogue(tmp_path):
    base = Path(settings.BASE_DIR)
    for name in SOURCES:
        source = base / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        env={"DJANGO_DEBUG": "1", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    refreshed = polib.pofile(str(tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    missing = untranslated(refreshed) + [entry.msgid for entry in refreshed.fuzzy_entries()]
    assert missing == [], "New strings need a German translation (make makemessages)"


def test_the_committed_mo_file_is_compiled_from_the_catalogue_as_it_is():
    """django.mo is committed (a server needs no gettext): it must say what the .po says."""
    po = polib.pofile(str(CATALOGUE))
    mo = polib.mofile(str(CATALOGUE.with_suffix(".mo")))

    def entries(catalogue) -> dict[tuple[str, str], object]:
        return {
            (entry.msgctxt or "", entry.msgid): entry.msgstr or dict(entry.msgstr_plural)
            for entry in catalogue
            if entry.msgid and (entry.msgstr or any(entry.msgstr_plural.values()))
        }

    compiled, source = entries(mo), entries(po.translated_entries())
    assert len(source) > 50
    stale = sorted(
        key for key in source.keys() | compiled.keys() if source.get(key) != compiled.get(key)
    )
    assert stale == [], "django.mo lags behind django.po: run make messages"
