"""Cached aggregates and pages of the register, invalidated by its version.

Statistics, rarity counts, the filter's year list and the list pages are the same for
every visitor and costly over 100,000 cars. Any change to a car, colour, model line or
production figure bumps the version (signals in apps.py; bulk imports bump it after
commit), so every app server sharing the cache sees fresh figures on its next request.
"""

from config.lib.versioned_cache import VersionedCache

register_cache = VersionedCache("register")
version = register_cache.version
versions = register_cache.versions
bump = register_cache.bump
bump_on_commit = register_cache.bump_on_commit
cached = register_cache.cached
on_change = register_cache.on_change
