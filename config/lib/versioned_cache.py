"""Cached values invalidated by a version number, shared by every app server.

A namespace ("register", "meets") keeps one version number in the cache; a value is
cached under a key that carries it. Bumping the version makes every cached value of the
namespace stale at once, on every server that shares the cache. Imports no app.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

T = TypeVar("T")


class VersionedCache:
    def __init__(self, namespace: str, timeout: int = 60 * 60):
        self.namespace = namespace
        self.version_key = f"{namespace}:version"
        self.timeout = timeout

    def version(self) -> int:
        current = cache.get(self.version_key)
        if current is None:
            # The cache was emptied (or is new): start from a number never used before.
            cache.add(self.version_key, time.time_ns(), None)
            current = cache.get(self.version_key, 0)
        return current

    def bump(self) -> None:
        try:
            cache.incr(self.version_key)
        except ValueError:
            cache.set(self.version_key, time.time_ns(), None)

    def cached(self, name: str, build: Callable[[], T]) -> T:
        # Rendered pages differ by language: each language has its own copy.
        key = f"{self.namespace}:{name}:{translation.get_language()}:v{self.version()}"
        value = cache.get(key)
        if value is None:
            value = build()
            cache.set(key, value, self.timeout)
        return value

    def bump_on_commit(self, using: str | None = None) -> None:
        """Bump once the change commits (at once outside a transaction).

        Not before: a page built between the bump and the commit would read the rows as
        they were and be cached under the new version, stale until the next change. A
        failed bump (the cache down) is logged and leaves the committed change alone
        (robust): the pages it should have refreshed may then stay as they were until
        their timeout, an hour at most.
        """
        transaction.on_commit(self.bump, using=using, robust=True)

    def on_change(self, sender, using=None, **kwargs) -> None:
        """A signal receiver: a saved or deleted row bumps the version, once committed."""
        self.bump_on_commit(using)


# Fields of a member that pages show (their name, as their privacy allows): a save that
# touches none of them (a log-in's last_login) leaves cached pages alone.
MEMBER_SHOWN_FIELDS = frozenset(
    {"display_name", "name_visibility", "is_active", "membership_status", "country", "email"}
)


def member_change_matters(update_fields) -> bool:
    return update_fields is None or bool(MEMBER_SHOWN_FIELDS & set(update_fields))
