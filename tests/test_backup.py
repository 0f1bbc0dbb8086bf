"""Backup and restore: a round trip gives back every row and every file."""

import datetime
import hashlib
import io
import json
import os
import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from register import services
from tests.accounts.images import jpeg_bytes
from tests.meets.factories import RSVPFactory
from tests.register.factories import CarFactory, ClaimFactory, TransferFactory


def everything() -> list:
    """Every row of every app, in a comparable form (primary keys included)."""
    out = io.StringIO()
    call_command(
        "dumpdata",
        natural_foreign=True,
        exclude=["contenttypes", "auth.permission", "sessions", "admin.logentry"],
        stdout=out,
    )
    rows = json.loads(out.getvalue())
    for row in rows:
        # A many-to-many list comes in the database's order, which a reload may change.
        for name, value in row["fields"].items():
            if isinstance(value, list) and all(isinstance(v, int | str) for v in value):
                row["fields"][name] = sorted(value, key=str)
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_site_gives_back_every_row_and_file(
    member, other_member, staff, settings, tmp_path
):
    car = CarFactory(owner=member)
    services.photo_add(
        car=car,
        upload=SimpleUploadedFile("car.jpg", jpeg_bytes(size=(640, 480)), "image/jpeg"),
        member=member,
        caption="At the Ring",
    )
    ClaimFactory(car=CarFactory(), claimant=other_member)
    TransferFactory(car=car, from_member=member, to_member=other_member)
    RSVPFactory(member=other_member)
    rows_before = everything()
    media = Path(settings.MEDIA_ROOT)
    files_before = files(media)
    assert files_before, "the photo and its thumbnail are on disk"
    archive = tmp_path / "backup.tar.gz"

    call_command("backup_site", output=archive, stdout=io.StringIO())
    call_command("flush", interactive=False)
    for path in media.rglob("*"):
        if path.is_file():
            path.unlink()
    # An empty site: flush leaves only the default Site that every new database gets.
    assert [json.loads(row)["model"] for row in everything()] == ["sites.site"]
    call_command("restore_site", archive, stdout=io.StringIO())

    rows_after = everything()
    missing = sorted(set(rows_before) - set(rows_after))
    extra = sorted(set(rows_after) - set(rows_before))
    assert (missing, extra) == ([], []), f"lost: {missing[:3]}\ngained: {extra[:3]}"
    assert rows_after == rows_before
    assert files(media) == files_before


@pytest.mark.django_db
def test_a_restore_refuses_a_site_that_already_holds_data(member, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup_site", output=archive, stdout=io.StringIO())

    with pytest.raises(CommandError, match="restore only into an empty site"):
        call_command("restore_site", archive, stdout=io.StringIO())


@pytest.mark.django_db
def test_a_missing_backup_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("restore_site", tmp_path / "nope.tar.gz")


@pytest.mark.django_db(transaction=True)
def test_photos_kept_in_a_storage_other_than_a_folder_are_backed_up_and_restored(
    member, settings, tmp_path
):
    # As with S3: the files are reached only through Django's storage API.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    from django.core.files.storage import default_storage

    car = CarFactory(owner=member)
    photo = services.photo_add(
        car=car,
        upload=SimpleUploadedFile("car.jpg", jpeg_bytes(size=(640, 480)), "image/jpeg"),
        member=member,
        caption="At the Ring",
    )
    stored = {
        name: default_storage.open(name).read() for name in (photo.image.name, photo.thumbnail.name)
    }
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.jpg"))
    archive = tmp_path / "backup.tar.gz"

    call_command("backup_site", output=archive, stdout=io.StringIO())
    call_command("flush", interactive=False)
    for name in stored:
        default_storage.delete(name)
    call_command("restore_site", archive, stdout=io.StringIO())

    assert {name: default_storage.open(name).read() for name in stored} == stored


@pytest.mark.django_db(transaction=True)
def test_a_backup_keeps_every_microsecond_of_a_time(member, tmp_path):
    """Django's JSON cuts times to the millisecond: 40.000400 came back as 40.000."""
    from django.contrib.auth import get_user_model

    exact = datetime.datetime(2026, 12, 2, 22, 26, 40, 400, tzinfo=datetime.UTC)
    get_user_model().objects.filter(pk=member.pk).update(date_joined=exact)
    archive = tmp_path / "backup.tar.gz"

    call_command("backup_site", output=archive, stdout=io.StringIO())
    call_command("flush", interactive=False)
    call_command("restore_site", archive, stdout=io.StringIO())

    assert get_user_model().objects.get(pk=member.pk).date_joined == exact


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.django_db
def test_a_backup_is_readable_by_its_owner_only(member, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    old_umask = os.umask(0o022)  # the usual umask: new files 0644
    try:
        call_command("backup_site", output=archive, stdout=io.StringIO())
    finally:
        os.umask(old_umask)

    assert _mode(archive) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["backup.tar.gz"]  # no temporary left


@pytest.mark.django_db
def test_a_backup_is_never_readable_by_others_while_it_is_written(member, tmp_path, monkeypatch):
    from config.lib import backup as backup_module

    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"last week's backup")
    archive.chmod(0o644)
    seen = []
    add_bytes = backup_module._add_bytes

    def add_bytes_and_look(tar, name, content):
        seen.extend((p.name, _mode(p)) for p in tmp_path.iterdir())
        add_bytes(tar, name, content)

    monkeypatch.setattr(backup_module, "_add_bytes", add_bytes_and_look)
    old_umask = os.umask(0o022)
    try:
        call_command("backup_site", output=archive, stdout=io.StringIO())
    finally:
        os.umask(old_umask)

    written = [(name, mode) for name, mode in seen if name != "backup.tar.gz"]
    assert written, "the backup is written to a file beside the target first"
    assert {mode for _name, mode in written} == {0o600}
    assert _mode(archive) == 0o600


@pytest.mark.django_db
def test_a_failed_backup_leaves_no_file_behind(member, tmp_path, monkeypatch):
    from config.lib import backup as backup_module

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(backup_module, "_add_bytes", fail)
    archive = tmp_path / "backup.tar.gz"

    with pytest.raises(OSError, match="disk full"):
        call_command("backup_site", output=archive, stdout=io.StringIO())

    assert list(tmp_path.iterdir()) == []
