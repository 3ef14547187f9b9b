"""Restoring a dump into a scratch database, and looking at what came out."""

import re

from django.conf import settings
from psycopg import sql

from backups.models import Format
from backups.postgres import run_tool

# A plain SQL dump names its owners and grants; a restore server need not have those roles
# (pg_restore's --no-owner --no-privileges does the same for custom archives).
_IGNORED_SQL_ERRORS = re.compile(r'ERROR:\s+role ".*" does not exist')


def restore(path, fmt, scratch, *, deadline):
    """Restore the dump into `scratch` (a Server); return the errors reported, [] if none."""
    if fmt == Format.PG_DUMP:
        args = ["pg_restore", "--no-owner", "--no-privileges", "-d", scratch.dbname, path]
        if settings.BACKUP_RESTORE_JOBS > 1:
            args[1:1] = ["-j", str(settings.BACKUP_RESTORE_JOBS)]
        done = run_tool(args, deadline=deadline, env=scratch.tool_env(), what="pg_restore", check=False)
        errors = [line for line in done.stderr.splitlines() if line.startswith("pg_restore: error:")]
    else:
        args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", scratch.dbname, "-f", path]
        done = run_tool(args, deadline=deadline, env=scratch.tool_env(), what="psql", check=False)
        errors = [line for line in done.stderr.splitlines()
                  if "ERROR:" in line and not _IGNORED_SQL_ERRORS.search(line)]
    if done.returncode != 0 and not errors and fmt == Format.PG_DUMP:
        errors = [line for line in done.stderr.splitlines() if line.strip()][:3] or [f"exit {done.returncode}"]
    return errors


def missing_tables(connection, tables):
    """The tables (`name` or `schema.name`) that do not exist."""
    return [table for table in tables if connection.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None]


def row_counts(connection, tables):
    """Exact rows per table (None for a table that does not exist)."""
    counts = {}
    for table in tables:
        if connection.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
            counts[table] = None
            continue
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table.split(".", 1)))
        counts[table] = connection.execute(query).fetchone()[0]
    return counts


def invalid_indexes(connection):
    """Indexes PostgreSQL will not use (`pg_index.indisvalid` false), as schema.name."""
    rows = connection.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE NOT i.indisvalid ORDER BY 1"
    )
    return [row[0] for row in rows]
