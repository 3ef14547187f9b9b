"""What the database holds, read past Django's fields: for tests that look for secrets at rest."""

from pathlib import Path

from django.db import connection


def raw_database():
    """On SQLite, the database file's bytes (WAL moved in first; what is still in the WAL
    added); on PostgreSQL, every row of every table as text, read with plain SQL.

    Only committed rows reach the file: tests using this are transactional."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(connection.settings_dict["NAME"])
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        rows = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT t::text FROM {quote(table)} t")
            rows += [row[0] for row in cursor.fetchall()]
    return "\n".join(rows).encode()


def found_in_database(*secrets):
    """The secrets that can be read in the raw database."""
    raw = raw_database()
    return [secret for secret in secrets if secret.encode() in raw]
