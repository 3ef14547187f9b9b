"""Restoring a dump into a scratch database, and looking at what came out.

A dump is input Vigil does not control, so it is restored with no power beyond what a
database owner has: never by a superuser (whose `COPY … TO PROGRAM` runs commands on the
database server), nor by a role that could make itself one, and a plain SQL dump only
through a psql that refuses the dump's meta-commands (see `backups.psql`).
"""

import re

from django.conf import settings
from psycopg import sql

from backups import psql
from backups.models import Format
from backups.postgres import run_tool

# A plain SQL dump names its owners and grants; a restore server need not have those roles,
# nor may the restore role take them on (pg_restore's --no-owner --no-privileges does the
# same for custom archives).
_IGNORED_SQL_ERRORS = re.compile(r'ERROR:\s+(role ".*" does not exist|must be member of role|must be able to SET ROLE)')
# Membership in these lets a role read, write or run anything on the server as its OS user.
SERVER_ACCESS_ROLES = ["pg_execute_server_program", "pg_read_server_files", "pg_write_server_files"]
_ROLE_POWERS = """
SELECT rolname, rolsuper, rolcreaterole,
       ARRAY(SELECT p.rolname FROM pg_roles p
             WHERE p.rolname = ANY(%s) AND pg_has_role(r.oid, p.oid, 'MEMBER') ORDER BY 1)
FROM pg_roles r WHERE rolname = current_user
"""
ROLE_ADVICE = "restore as a role with LOGIN CREATEDB and nothing more (see docs/backups.md)"


def refusal(server, fmt, *, deadline):
    """Why a dump of format `fmt` may not be restored on `server` (a Server), or None."""
    if fmt == Format.SQL and not psql.can_restrict(deadline=deadline):
        return ("refused: the installed psql has no \\restrict (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6 or"
                " later), so a plain SQL dump could run commands on this host; install a newer psql or use"
                " pg_dump's custom format")
    with server.connect() as connection:
        return role_refusal(connection)


def role_refusal(connection):
    """Why the connected role is too powerful to restore a dump with, or None."""
    name, superuser, createrole, memberships = connection.execute(_ROLE_POWERS, [SERVER_ACCESS_ROLES]).fetchone()
    if superuser:
        powers = ["is a superuser"]  # which holds every other power too
    else:
        powers = (["has CREATEROLE"] if createrole else []) + [f"is a member of {role}" for role in memberships]
    if not powers:
        return None
    return (f'refused: the restore role "{name}" {", ".join(powers)}, so a dump could run commands on the database'
            f" server (COPY … TO PROGRAM); {ROLE_ADVICE}")


def restore(path, fmt, scratch, *, deadline):
    """Restore the dump into `scratch` (a Server); return the errors reported, [] if none."""
    if fmt == Format.PG_DUMP:
        args = ["pg_restore", "--no-owner", "--no-privileges", "-d", scratch.dbname, path]
        if settings.BACKUP_RESTORE_JOBS > 1:
            args[1:1] = ["-j", str(settings.BACKUP_RESTORE_JOBS)]
        done = run_tool(args, deadline=deadline, env=scratch.tool_env(), what="pg_restore", check=False)
        errors = [line for line in done.stderr.splitlines() if line.startswith("pg_restore: error:")]
    else:
        done, messages = psql.run_restricted(path, dbname=scratch.dbname, env=scratch.tool_env(), deadline=deadline)
        server = [(number, text) for number, text in messages
                  if "ERROR:" in text and not _IGNORED_SQL_ERRORS.search(text)]
        errors = [psql.label(*message) for message in sorted(server + psql.client_errors(messages, path),
                                                                key=lambda message: message[0] or 0)]
    if done.returncode != 0 and not errors:
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
