"""Cached values rebuilt by one caller at a time while the others are served the last one.

The public status page and its data are read by every visitor and cost a few hundred
milliseconds to build. Expiring them outright makes every request that arrives during a
rebuild rebuild too: four threads per worker (and, with Redis, every worker) building the
same page at once, each taking seconds instead of a fraction of one, with requests queued
behind them. Here an entry outlives its freshness by KEEP_STALE_SECONDS; the first caller
to find it stale takes a short lock (`cache.add`, shared through Redis across workers) and
rebuilds, and everyone else gets the stale value meanwhile. With nothing cached at all (a
cold start) there is nothing to serve, so callers build.
"""

import time
import uuid
from typing import NamedTuple

from django.core.cache import cache

KEEP_STALE_SECONDS = 300
LOCK_SECONDS = 60  # a rebuilder that died leaves the lock this long at most


class Entry(NamedTuple):
    value: object
    fresh_until: float  # a time.time() timestamp


def get_or_rebuild(key, build):
    """The value under `key`, rebuilt when stale. `build()` returns (value, fresh_until)."""
    entry = cache.get(key)
    if entry is not None and entry.fresh_until > time.time():
        return entry.value
    lock, token = f"{key}:rebuilding", uuid.uuid4().hex
    locked = cache.add(lock, token, LOCK_SECONDS)
    if locked:
        entry = cache.get(key)  # someone may have finished rebuilding since the first look
        if entry is not None and entry.fresh_until > time.time():
            _release(lock, token)
            return entry.value
    elif entry is not None:
        return entry.value
    try:
        value, fresh_until = build()
        cache.set(key, Entry(value, fresh_until), max(1.0, fresh_until - time.time()) + KEEP_STALE_SECONDS)
        return value
    finally:
        if locked:
            _release(lock, token)


def _release(lock, token):
    """Drop the lock if it is still ours (a build that outlived LOCK_SECONDS has lost it)."""
    if cache.get(lock) == token:
        cache.delete(lock)
