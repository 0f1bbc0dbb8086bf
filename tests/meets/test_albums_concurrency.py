"""The album's limit per member holds when uploads arrive at the same moment.

Run on both databases:

    .venv/bin/pytest -q tests/meets/test_albums_concurrency.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/meets/test_albums_concurrency.py
"""

from pathlib import Path

import pytest

from meets import albums
from meets.album_models import AlbumPhoto
from tests.accounts.images import jpeg_bytes, upload
from tests.factories import MemberFactory
from tests.meets.factories import PastMeetFactory, RSVPFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_uploads_cannot_pass_the_limit_and_leave_no_stray_files(settings):
    settings.PADDOCK_ALBUM_PER_MEMBER = 3
    meet = PastMeetFactory()
    person = MemberFactory()
    RSVPFactory(meet=meet, member=person)

    def add():
        return albums.album_photos_add(
            meet=meet, member=person, uploads=[upload(jpeg_bytes()), upload(jpeg_bytes())]
        )

    results, errors = run_together([add for _ in range(4)])

    # Two photos a time against a limit of three: only one send fits.
    assert len(results) == 1
    assert len(errors) == 3
    assert all(isinstance(exc, albums.AlbumError) for exc in errors), errors
    assert AlbumPhoto.objects.filter(meet=meet, uploaded_by=person).count() == 2
    root = Path(settings.MEDIA_ROOT)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    kept = {n for p in AlbumPhoto.objects.all() for n in (p.image.name, p.thumbnail.name)}
    assert on_disk == kept
