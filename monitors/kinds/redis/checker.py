"""Redis: PING, then INFO for used memory, clients and the keyspace hit rate.

The URL is a secret (it may hold a password): it never reaches a detail, a fact or a log.
Connections go through `core.net` (address policy, the check's total deadline).
"""

import redis
from redis.backoff import NoBackoff
from redis.connection import Connection, SSLConnection, parse_url
from redis.retry import Retry

from core import net
from monitors.checks.base import Outcome

KEPT_OPTIONS = ("host", "port", "db", "username", "password")


def check(monitor, now=None):
    """PING must answer; response_time_ms covers connect, any AUTH and the PING."""
    try:
        options = parse_url(monitor.url)
    except ValueError:
        return Outcome.down("invalid URL")
    with net.Deadline(monitor.timeout) as deadline:
        try:
            with _client(options, deadline) as client:
                client.ping()
                elapsed = deadline.elapsed_ms()
                info = client.info()
        except (redis.RedisError, OSError) as exc:
            return Outcome.down(_describe(exc, deadline), response_time_ms=deadline.elapsed_ms())
    return _verdict(_facts(info), monitor.min_hit_rate, elapsed)


class GuardedConnection(Connection):
    """A connection made by `core.net.connect`: allowed addresses only, watched by the deadline."""

    def __init__(self, *args, deadline, **kwargs):
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def _connect(self):
        sock = net.connect(self.host, self.port, deadline=self.deadline)
        sock.settimeout(self.deadline.left())
        return sock


class GuardedTLSConnection(SSLConnection, GuardedConnection):
    """rediss://: the guarded socket, then TLS as redis-py does it."""


def _client(options, deadline):
    tls = options.get("connection_class") is SSLConnection
    pool = redis.ConnectionPool(
        connection_class=GuardedTLSConnection if tls else GuardedConnection,
        deadline=deadline,
        socket_timeout=deadline.left(),
        retry=Retry(NoBackoff(), 0),
        **{name: value for name, value in options.items() if name in KEPT_OPTIONS},
    )
    return redis.Redis(connection_pool=pool)


def _facts(info):
    hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
    return {
        "used_memory": info.get("used_memory"),
        "clients": info.get("connected_clients"),
        "hit_rate": round(100 * hits / (hits + misses), 2) if hits + misses else None,
    }


def _verdict(facts, min_hit_rate, elapsed):
    rate = facts["hit_rate"]
    gauge = facts["used_memory"]
    if min_hit_rate is not None and rate is not None and rate < min_hit_rate:
        detail = f"keyspace hit rate {rate:g}% is under {min_hit_rate:g}%"
        return Outcome.degraded(detail, response_time_ms=elapsed, gauge=gauge, **facts)
    return Outcome.up(response_time_ms=elapsed, detail="PONG", gauge=gauge, **facts)


def _describe(exc, deadline):
    """What went wrong, in words that never quote the URL."""
    if deadline.expired:
        return deadline.detail
    if isinstance(exc, redis.AuthenticationError):
        return "authentication failed"
    if isinstance(exc, redis.ResponseError):
        return f"server error: {str(exc).split(' ', 1)[0]}"
    return net.describe_error(exc, deadline)
