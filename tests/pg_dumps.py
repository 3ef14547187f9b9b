"""Real PostgreSQL databases and real pg_dump files for the backup tests.

Everything is made on this machine's server (127.0.0.1:5432, user postgres, trust auth)
and dropped afterwards; tests using these fixtures skip when the server does not answer.
"""

import secrets
import socket
import subprocess

import psycopg
import pytest

HOST, PORT = "127.0.0.1", 5432
SERVER_URL = f"postgres://postgres@{HOST}:{PORT}/postgres"


def server_answers():
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


needs_postgres = pytest.mark.skipif(not server_answers(), reason=f"needs PostgreSQL at {HOST}:{PORT} (not answering)")


def admin():
    return psycopg.connect(host=HOST, port=PORT, user="postgres", dbname="postgres", autocommit=True)


def database_exists(name):
    with admin() as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def scratch_databases():
    with admin() as connection:
        return [row[0] for row in connection.execute("SELECT datname FROM pg_database WHERE datname LIKE 'vigil\\_verify\\_%'")]


class SourceDatabase:
    """A database to back up: `sql()` fills it, `dump()` writes a real pg_dump file."""

    def __init__(self):
        self.name = f"vigil_src_{secrets.token_hex(4)}"
        with admin() as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')

    @property
    def url(self):
        return f"postgres://postgres@{HOST}:{PORT}/{self.name}"

    def sql(self, statements):
        with psycopg.connect(host=HOST, port=PORT, user="postgres", dbname=self.name, autocommit=True) as connection:
            connection.execute(statements)

    def dump(self, path, fmt="custom"):
        subprocess.run(["pg_dump", f"-F{fmt[0]}", "-h", HOST, "-p", str(PORT), "-U", "postgres", "-f", str(path),
                        self.name], check=True, capture_output=True)
        return path

    def drop(self):
        with admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


SHOP = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric);
INSERT INTO customers (name) SELECT 'customer ' || n FROM generate_series(1, 300) n;
INSERT INTO orders (customer_id, total) SELECT 1 + n % 300, n * 1.5 FROM generate_series(1, 500) n;
CREATE INDEX orders_customer ON orders (customer_id);
"""


@pytest.fixture
def source_db():
    """A fresh source database filled with SHOP (300 customers, 500 orders)."""
    if not server_answers():
        pytest.skip(f"needs PostgreSQL at {HOST}:{PORT} (not answering)")
    database = SourceDatabase()
    database.sql(SHOP)
    yield database
    database.drop()


@pytest.fixture
def restore_server(settings):
    """Restore tests on this machine's server, scratch databases made in `postgres`."""
    if not server_answers():
        pytest.skip(f"needs PostgreSQL at {HOST}:{PORT} (not answering)")
    settings.BACKUP_RESTORE_DATABASE_URL = SERVER_URL
    yield SERVER_URL
    leftovers = scratch_databases()
    assert not leftovers, f"scratch databases left behind: {leftovers}"
