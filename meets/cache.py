"""Cached fragments of the meets pages, invalidated by the meets' version.

Any saved or deleted meet or RSVP bumps the version (signals in apps.py; bulk updates
bump it themselves), so lists of meets and who's coming are never stale.
"""

from config.lib.versioned_cache import VersionedCache

meets_cache = VersionedCache("meets")
