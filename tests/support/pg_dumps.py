"""Real PostgreSQL databases and real pg_dump files for the backup tests.

Everything is made on this machine's server (127.0.0.1:5432, user postgres, trust auth)
and dropped afterwards. Restores run as a role made for the test (LOGIN CREATEDB, as the
docs/backups.md asks: a superuser is refused). Tests using these fixtures skip when the server does
not answer.
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


class RestoreRole:
    """A role made as docs/backups.md says a restore role is made (LOGIN CREATEDB, nothing more);
    `drop()` drops it and any scratch database it left."""

    def __init__(self, *powers):
        self.name = f"vigil_restore_{secrets.token_hex(4)}"
        with admin() as connection:
            connection.execute(f'CREATE ROLE "{self.name}" LOGIN CREATEDB {" ".join(powers)}')

    def url(self, dbname="postgres"):
        return f"postgres://{self.name}@{HOST}:{PORT}/{dbname}"

    def databases(self):
        with admin() as connection:
            return [row[0] for row in connection.execute(
                "SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = %s)",
                [self.name])]

    def drop(self):
        with admin() as connection:
            for name in self.databases():
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'DROP ROLE IF EXISTS "{self.name}"')


@pytest.fixture
def restore_role():
    """A fresh restore role (LOGIN CREATEDB) on this machine's server, dropped afterwards."""
    if not server_answers():
        pytest.skip(f"needs PostgreSQL at {HOST}:{PORT} (not answering)")
    role = RestoreRole()
    yield role
    role.drop()


@pytest.fixture
def restore_server(settings, restore_role):
    """Restore tests on this machine's server as `restore_role`, scratch databases made in `postgres`."""
    settings.BACKUP_RESTORE_DATABASE_URL = restore_role.url()
    yield settings.BACKUP_RESTORE_DATABASE_URL
    leftovers = restore_role.databases()
    assert not leftovers, f"scratch databases left behind: {leftovers}"
