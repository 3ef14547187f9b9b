"""Request limits for the unauthenticated endpoints (events, pings): "600/min" per routing
key, check or client address.

Each limit is a counter per fixed window in the "limits" cache (the default cache when
there is none): `incr` is atomic, so with Redis (REDIS_URL) every gunicorn worker and
machine shares the count; with the per-process cache each process counts on its own. A cache that cannot
be reached lets requests through: a limit protects the endpoints and must not take them
down with it.
"""

from dataclasses import dataclass
import hashlib
import logging
import math
import re
import time

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}
_PATTERN = re.compile(r"^(?P<count>\d+)\s*/\s*(?P<unit>[a-z]+?)s?$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text, *, name):
    """A Rate from "600/min" (units s, min, h, day, or their long names), None for "off".
    Raises ImproperlyConfigured naming the setting."""
    value = (text or "").strip().lower()
    if value == "off":
        return None
    match = _PATTERN.match(value)
    if not match or match["unit"] not in UNIT_SECONDS or int(match["count"]) < 1:
        raise ImproperlyConfigured(f'{name} must be like "600/min" (per s, min, h or day) or "off", not {text!r}')
    return Rate(int(match["count"]), UNIT_SECONDS[match["unit"]])


def wait_seconds(scope, ident, rate):
    """Count one request of `ident` (a routing key, a check, an address) under `scope`:
    None while within `rate`, else the whole seconds until its window ends (for Retry-After)."""
    if rate is None or ident is None:
        return None
    now = time.time()
    window = int(now // rate.seconds)
    digest = hashlib.blake2b(str(ident).encode(), digest_size=12).hexdigest()
    key = f"rate:{scope}:{digest}:{window}"
    try:
        count = _increment(key, rate.seconds)
    except Exception:  # noqa: BLE001  (whatever the cache backend raises when it is down)
        log.warning("rate limit %s not counted: the cache is unreachable", scope, exc_info=True)
        return None
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def _increment(key, seconds):
    cache = caches["limits" if "limits" in settings.CACHES else DEFAULT_CACHE_ALIAS]
    cache.add(key, 0, timeout=seconds + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        return 1
