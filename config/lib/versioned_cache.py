"""Cached values invalidated by version numbers, shared by every app server.

A namespace ("register", "meets") keeps one version number in the cache, and one more for
each *scope* a value says it depends on ("cars", "car:42", "meet:7"). A value is cached
under a key that carries the namespace's version and those of its scopes. Bumping a scope
makes stale only the values that depend on it; bumping the namespace makes every value of
it stale at once (a change whose reach is not worth working out). Every server that shares
the cache sees a bump on its next request. Imports no app.

PADDOCK_PAGE_CACHE=0 switches the cached values off (every one is built each time): the
benchmark's cold pass, and a way to rule the cache out when something looks stale.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

T = TypeVar("T")


class VersionedCache:
    def __init__(self, namespace: str, timeout: int = 60 * 60):
        self.namespace = namespace
        self.version_key = f"{namespace}:version"
        self.timeout = timeout

    def _key(self, scope: str | None) -> str:
        return f"{self.version_key}:{scope}" if scope else self.version_key

    def version(self, scope: str | None = None) -> int:
        return self.versions([scope])[0]

    def versions(self, scopes) -> list[int]:
        """The current version of each scope (None: the namespace's), in one cache read."""
        keys = [self._key(scope) for scope in scopes]
        found = cache.get_many(keys)
        for key in keys:
            if found.get(key) is None:
                # The cache was emptied (or is new): start from a number never used before.
                cache.add(key, time.time_ns(), None)
                found[key] = cache.get(key, 0)
        return [found[key] for key in keys]

    def bump(self, scope: str | None = None) -> None:
        key = self._key(scope)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, time.time_ns(), None)

    def bump_scopes(self, scopes) -> None:
        for scope in scopes:
            self.bump(scope)

    def cached(self, name: str, build: Callable[[], T], scopes=()) -> T:
        """`build()`'s value, cached until the namespace or one of `scopes` is bumped."""
        if not getattr(settings, "PADDOCK_PAGE_CACHE", True):
            return build()
        stamp = ".".join(str(v) for v in self.versions([None, *scopes]))
        # Rendered pages differ by language: each language has its own copy.
        key = f"{self.namespace}:{name}:{translation.get_language()}:v{stamp}"
        value = cache.get(key)
        if value is None:
            value = build()
            cache.set(key, value, self.timeout)
        return value

    def bump_on_commit(self, using: str | None = None, scopes=(None,)) -> None:
        """Bump once the change commits (at once outside a transaction).

        Not before: a page built between the bump and the commit would read the rows as
        they were and be cached under the new version, stale until the next change. A
        failed bump (the cache down) is logged and leaves the committed change alone
        (robust): the pages it should have refreshed may then stay as they were until
        their timeout, an hour at most. `scopes`: what the change moves (None: everything
        of the namespace).
        """
        scopes = tuple(scopes)
        transaction.on_commit(lambda: self.bump_scopes(scopes), using=using, robust=True)

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
