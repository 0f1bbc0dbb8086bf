"""Cached aggregates of the register, invalidated by a version number.

Statistics, rarity counts and the filter's year list are aggregates over every car:
cheap for a one-model club, costly for an all-marque register of 100,000 cars. They
are cached under a key that carries the register's version; any change to a car,
colour, model line or production figure bumps the version, so every app server that
shares the cache (Redis) sees fresh figures on its next request.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

VERSION_KEY = "register:version"
TIMEOUT = 60 * 60
T = TypeVar("T")


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        # The cache was emptied (or is new): start from a number never used before.
        cache.add(VERSION_KEY, time.time_ns(), None)
        current = cache.get(VERSION_KEY, 0)
    return current


def bump() -> None:
    """The register changed: every cached aggregate is stale from now on."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns(), None)


def cached(name: str, build: Callable[[], T]) -> T:
    key = f"register:{name}:v{version()}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, TIMEOUT)
    return value


def on_change(sender, **kwargs) -> None:
    """Signal receiver: a saved or deleted row of the register bumps the version."""
    bump()
