"""The site's file cache: Django's, checking its size on one write in CULL_EVERY."""

from config.lib import filecache
from config.lib.filecache import FileCache


def test_it_lists_its_folder_on_one_write_in_cull_every(tmp_path, monkeypatch):
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 1000}})
    listings = []
    real = FileCache._list_cache_files
    monkeypatch.setattr(
        FileCache, "_list_cache_files", lambda self: listings.append(1) or real(self)
    )

    for i in range(2 * filecache.CULL_EVERY):
        cache.set(f"key{i}", i)

    assert len(listings) == 2
    assert cache.get("key7") == 7


def test_it_still_culls_when_it_holds_too_many(tmp_path, monkeypatch):
    monkeypatch.setattr(filecache, "CULL_EVERY", 5)
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 20, "CULL_FREQUENCY": 2}})

    for i in range(100):
        cache.set(f"key{i}", i)

    assert len(list(tmp_path.glob("*.djcache"))) < 30
