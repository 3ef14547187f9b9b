"""PostgreSQL: connect, run a read-only query, report connection use.

The DSN is a secret: it and its password never reach a detail, a fact or a log line.
"""

import math
import os
import re
from contextlib import closing

import psycopg
from psycopg.conninfo import conninfo_to_dict

from core import net
from monitors.checks.base import Outcome

DEFAULT_QUERY = "SELECT 1"
STATS_QUERY = (
    "SELECT count(*) FILTER (WHERE backend_type = 'client backend'),"
    " current_setting('max_connections')::int FROM pg_stat_activity"
)


def check(monitor, now=None):
    """Connect, set the session read-only with a statement timeout of the time left, run
    `monitor.query`: its first value must be true. response_time_ms covers connect and query.

    The connect phase is bounded by libpq's connect_timeout (whole seconds, at least 2);
    after it the connection's socket is watched by the check's deadline like any other.
    """
    try:
        params = conninfo_to_dict(monitor.dsn)
    except psycopg.Error:
        return Outcome.down("invalid DSN")
    secrets = [monitor.dsn, params.get("password")]
    with net.Deadline(monitor.timeout) as deadline:
        try:
            hostaddr = guarded_hostaddr(params, deadline)
            with _connect(monitor.dsn, hostaddr, deadline) as conn:
                deadline.watch(conn.fileno())
                verdict = _run(conn, (monitor.query or "").strip(), deadline)
                elapsed = deadline.elapsed_ms()
                facts = _stats(conn)
        except (psycopg.Error, OSError) as exc:
            return Outcome.down(_describe(exc, deadline, secrets), response_time_ms=deadline.elapsed_ms())
    gauge = facts.get("connections")
    if verdict:
        return Outcome.down(verdict, response_time_ms=elapsed, gauge=gauge, **facts)
    return Outcome.up(response_time_ms=elapsed, detail="query ok", gauge=gauge, **facts)


def guarded_hostaddr(params, deadline):
    """The `hostaddr` to connect to: each TCP host checked (and resolved) by net policy.

    Unix-socket hosts (a path) need no check and get an empty entry, which libpq reads
    as "use the host". None when there is nothing to override.
    """
    hosts = (params.get("host") or os.environ.get("PGHOST", "")).split(",")
    given = (params.get("hostaddr") or os.environ.get("PGHOSTADDR", "")).split(",")
    addrs = []
    for index in range(max(len(hosts), len(given))):
        host = hosts[index] if index < len(hosts) else ""
        addr = given[index] if index < len(given) else ""
        if addr:
            addrs.append(net.resolve(addr, None, deadline=deadline)[0][1][0])
        elif host and not host.startswith("/") and not host.startswith("@"):
            addrs.append(net.resolve(host, None, deadline=deadline)[0][1][0])
        else:
            addrs.append("")
    return ",".join(addrs) if any(addrs) else None


def _connect(dsn, hostaddr, deadline):
    extra = {"hostaddr": hostaddr} if hostaddr else {}
    timeout = max(2, math.ceil(deadline.left()))
    return psycopg.connect(dsn, connect_timeout=timeout, autocommit=True, **extra)


def _run(conn, query, deadline):
    """None if the query passed, else why not. Rows are streamed: only one is read."""
    timeout_ms = max(1, int(deadline.left() * 1000))
    conn.execute(f"SET default_transaction_read_only = on; SET statement_timeout = {timeout_ms}")
    with closing(conn.cursor().stream(query or DEFAULT_QUERY)) as rows:
        first = next(rows, None)
        next(rows, None)  # ends a one-row result cleanly; closing cancels a longer one
    if first is None or not len(first):
        return "query returned no rows"
    if not first[0]:
        return "query returned false"
    return None


def _stats(conn):
    try:
        connections, max_connections = conn.execute(STATS_QUERY).fetchone()
    except psycopg.Error:
        return {}  # the check passed; figures are a bonus (an old server, a locked-down role)
    return {"connections": connections, "max_connections": max_connections}


def _describe(exc, deadline, secrets):
    """psycopg's own short message (its first line), with every secret taken out."""
    if deadline.expired or "statement timeout" in str(exc):
        return deadline.detail
    if isinstance(exc, OSError):
        return net.describe_error(exc, deadline)
    lines = str(exc).strip().splitlines()
    message = getattr(getattr(exc, "diag", None), "message_primary", None) or (lines and lines[0])
    return _scrub(message or type(exc).__name__, secrets)


def _scrub(text, secrets):
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)
