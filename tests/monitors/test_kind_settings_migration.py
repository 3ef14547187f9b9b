"""Migration 0011: each monitor's kind settings move from columns into its `settings` and
(encrypted) `secrets` documents and back, on SQLite and PostgreSQL, secrets never in clear."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.support.raw_database import found_in_database

COLUMNS = [("monitors", "0010_rollup_gauge_max")]
DOCUMENTS = [("monitors", "0011_kind_settings")]

PASSWORD = "pw-kinds-Hq52"
TOKEN = "tok-kinds-Vb38"
DSN = "postgresql://watcher:dsn-kinds-Ne19@127.0.0.1:5432/app"
SECRETS = (PASSWORD, TOKEN, "dsn-kinds-Ne19")
PING = uuid.UUID("6f1c2a44-0d0e-4b7a-9a51-2b1f0c6d7e88")

# name, kind, columns as the rows had them (a stray column of another kind included).
ROWS = [
    ("api", "http", dict(url="https://api.example/", method="POST", body="{}", expected_status="200-299",
                         keyword="ok", auth_user="ops", auth_password=PASSWORD,
                         headers={"Authorization": TOKEN}, tls_verify=False, host="stray.example")),
    ("port", "tcp", dict(host="db.example", port=5432)),
    ("cert", "tls", dict(host="example.com", port=443, server_name="www.example.com", expiry_warning_days=14,
                         tls_verify=False)),
    ("job", "heartbeat", dict(period=3600, grace=300, ping_uuid=PING)),
    ("db", "postgres", dict(dsn=DSN, query="SELECT true")),
]

DOCUMENTS_EXPECTED = {
    "api": ({"url": "https://api.example/", "method": "POST", "body": "{}", "expected_status": "200-299",
             "keyword": "ok", "keyword_absent": "", "auth_user": "ops", "tls_verify": False},
            {"auth_password": PASSWORD, "headers": {"Authorization": TOKEN}}),
    "port": ({"host": "db.example", "port": 5432}, {}),
    "cert": ({"host": "example.com", "port": 443, "server_name": "www.example.com", "expiry_warning_days": 14,
              "tls_verify": False}, {}),
    "job": ({"period": 3600, "grace": 300}, {}),
    "db": ({"query": "SELECT true"}, {"dsn": DSN}),
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def at_columns(transactional_db):
    if connection.vendor == "sqlite":  # as SQLite built without SQLITE_SECURE_DELETE (Debian's has it)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = OFF")
    apps = migrate(COLUMNS)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def columns(apps):
    names = sorted({name for _, _, values in ROWS for name in values} | {"keyword_absent"})
    return {
        row.name: (row.kind, {name: getattr(row, name) for name in names})
        for row in apps.get_model("monitors", "Monitor").objects.all()
    }


def test_kind_columns_become_documents_and_come_back(at_columns):
    Monitor = at_columns.get_model("monitors", "Monitor")
    for name, kind, values in ROWS:
        Monitor.objects.create(name=name, kind=kind, **values)
    before = columns(at_columns)
    # The stray column of another kind does not survive the round trip.
    before["api"][1]["host"] = ""

    documents = migrate(DOCUMENTS)
    rows = documents.get_model("monitors", "Monitor").objects.all()
    assert {row.name: (row.settings, row.secrets) for row in rows} == DOCUMENTS_EXPECTED
    assert documents.get_model("monitors", "Monitor").objects.get(name="job").ping_uuid == PING
    assert found_in_database(*SECRETS) == []

    restored = migrate(COLUMNS)
    assert columns(restored) == before
    assert found_in_database(*SECRETS) == []  # back in their encrypted columns
