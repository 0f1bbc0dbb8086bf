"""Backup and restore of a whole site: every row of the database and every media file.

A backup is one .tar.gz holding `data.json` (Django's dumpdata of every app, with
natural keys, so it loads into any empty database of either kind) and `media/`.
The rows are read inside one transaction — REPEATABLE READ on PostgreSQL, the write
lock on SQLite — and the media files are copied while it is open, so the two agree.
Media are read and written through Django's file storage, so a site whose photos live on
S3-compatible storage backs them up and restores them the same way as a local folder.
The file holds password hashes and photos of registration papers, so only its owner may
read it: it is written to a temporary file created with mode 0600 beside the target and
renamed into place when complete, so no moment exists in which another user could open
it, and an interrupted backup leaves no half-written file under the target's name.
Imports no app: it works on whatever the project has installed.
"""

import io
import json
import os
import tarfile
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction

DATA_NAME = "data.json"
MEDIA_PREFIX = "media/"
MANIFEST_NAME = "manifest.json"
# Rows that every new database makes for itself (or that are only a cache).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def backup(target: Path) -> dict:
    """Write a consistent backup of the database and media to `target`."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table (only possible as the transaction's first statement).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = io.StringIO()
        call_command(
            "dumpdata",
            natural_foreign=True,
            natural_primary=False,
            exclude=EXCLUDED,
            format="fulljson",  # every microsecond of every time (config/lib/fulljson.py)
            stdout=rows,
        )
        data = rows.getvalue().encode()
        files = sorted(_stored_files(""))
        manifest = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "database": connection.vendor,
            "rows": len(json.loads(data)),
            "files": len(files),
        }
        with _private_file(target) as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
            _add_bytes(tar, DATA_NAME, data)
            for name in files:
                info = tarfile.TarInfo(MEDIA_PREFIX + name)
                info.size = default_storage.size(name)
                info.mtime = int(time.time())
                with default_storage.open(name, "rb") as stored:
                    tar.addfile(info, stored)
    return manifest


BACKUP_MODE = 0o600


@contextmanager
def _private_file(target: Path):
    """A file only its owner can read, renamed to `target` once everything is written.

    mkstemp creates it with mode 0600 (whatever the umask), so it is never readable by
    others, not even while it is being written; a failure removes it.
    """
    target = Path(target)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        os.fchmod(handle, BACKUP_MODE)  # mkstemp's mode already; said out loud
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _stored_files(folder: str):
    """Every file's name in the media storage under `folder`, at any depth."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    prefix = f"{folder}/" if folder else ""
    for name in files:
        yield prefix + name
    for name in folders:
        yield from _stored_files(prefix + name)


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(content))


class RestoreError(Exception):
    pass


def restore(source: Path, *, is_empty) -> dict:
    """Load a backup into an empty site: rows in one transaction, then the media files."""
    if not is_empty():
        raise RestoreError("This site already holds data: restore only into an empty site.")
    with tarfile.open(source, "r:gz") as tar:
        manifest = json.loads(tar.extractfile(MANIFEST_NAME).read())
        data = tar.extractfile(DATA_NAME).read()
        members = [m for m in tar.getmembers() if m.name.startswith(MEDIA_PREFIX) and m.isfile()]
        handle, name = tempfile.mkstemp(suffix=".json")  # loaddata reads files by name
        fixture = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            with transaction.atomic():
                call_command("loaddata", str(fixture), verbosity=0)
        finally:
            fixture.unlink(missing_ok=True)
        for member in members:
            relative = Path(member.name[len(MEDIA_PREFIX) :])
            if relative.is_absolute() or ".." in relative.parts:
                raise RestoreError(f"Refusing a file outside the media folder: {member.name}")
            name = relative.as_posix()
            if default_storage.exists(name):
                default_storage.delete(name)  # a file no row names: the backup's wins
            saved = default_storage.save(name, ContentFile(tar.extractfile(member).read()))
            if saved != name:
                raise RestoreError(f"The media storage renamed {name} to {saved}.")
    return manifest
