"""Django's file cache, without listing its whole folder on every write. Imports no app.

FileBasedCache checks whether it holds more than MAX_ENTRIES files before each write, by
listing the folder: a write cost about a millisecond per thousand cached pages, paid by
every cold car page and every RSVP (which bumps the meets' version). This one checks on
one write in CULL_EVERY, per process and thread; the folder may run over MAX_ENTRIES by a
few hundred files in between.
"""

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 200


class FileCache(FileBasedCache):
    _writes = 0

    def _cull(self):
        self._writes += 1
        if self._writes % CULL_EVERY == 1:
            super()._cull()
