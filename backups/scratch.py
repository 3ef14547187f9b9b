"""Scratch databases for restore tests: made, used once and dropped, even after a crash.

Each run holds a session advisory lock named after its scratch database, on a connection
to the restore server's own database, for as long as the scratch database exists. A run
that crashes loses its connection and so its lock; the next run on that server finds the
database with nobody holding its lock and drops it. Live runs' databases are left alone.
"""

import logging
import secrets
import time
from contextlib import contextmanager

from psycopg import sql

log = logging.getLogger(__name__)

PREFIX = "vigil_verify_"
_LOCK = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


@contextmanager
def scratch_database(server):
    """Yield a Server for a new, empty database on `server`; drop it on the way out.

    Also drops the leftovers of crashed runs first; their names are on `.dropped`."""
    name = f"{PREFIX}{int(time.time())}_{secrets.token_hex(4)}"
    with server.connect(autocommit=True) as admin:
        admin.execute(_LOCK, [name])
        dropped = drop_leftovers(admin)
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        scratch = server.on(name)
        try:
            yield Scratch(scratch, name, dropped)
        finally:
            _drop(admin, name)
            admin.execute(_UNLOCK, [name])


class Scratch:
    def __init__(self, server, name, dropped):
        self.server, self.name, self.dropped = server, name, dropped


def drop_leftovers(admin):
    """Drop every scratch database of ours whose run is gone (its lock is free); return their
    names. Only the restore role's own: it may drop no other (and is no superuser)."""
    names = [row[0] for row in admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datdba = (SELECT oid FROM pg_roles"
        " WHERE rolname = current_user) ORDER BY datname", [PREFIX.replace("_", r"\_") + "%"]
    )]
    dropped = []
    for name in names:
        if not admin.execute(_TRY_LOCK, [name]).fetchone()[0]:
            continue  # a live run is using it
        try:
            _drop(admin, name)
            dropped.append(name)
        finally:
            admin.execute(_UNLOCK, [name])
    if dropped:
        log.warning("Dropped %d scratch database(s) left by crashed verifications: %s", len(dropped), ", ".join(dropped))
    return dropped


def _drop(admin, name):
    """WITH (FORCE) ends sessions still in it (a killed pg_restore's backend); PostgreSQL 13+."""
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
