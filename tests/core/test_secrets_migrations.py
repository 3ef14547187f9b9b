"""The migrations that encrypt the monitors' and backup sources' secrets: existing rows
are encrypted forward, decrypted backward, and no plaintext is left in the database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.support.raw_database import found_in_database

PLAINTEXT = [("monitors", "0008_maintenance_entered_expiring"), ("backups", "0001_initial")]
ENCRYPTED = [("monitors", "0009_encrypt_secrets"), ("backups", "0002_encrypt_source_url")]

PASSWORD = "pw-migrate-Qx81"
TOKEN = "Bearer tok-migrate-Zr42"
DSN = "postgresql://watcher:dsn-migrate-Lm77@127.0.0.1:5432/app"
SOURCE_URL = "postgresql://backup:src-migrate-Pk63@127.0.0.1:5432/shop"
SECRETS = (PASSWORD, "tok-migrate-Zr42", "dsn-migrate-Lm77", "src-migrate-Pk63")


def migrate(targets):
    """Migrate to `targets`; the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def at_plaintext_migrations(transactional_db):
    if connection.vendor == "sqlite":  # as SQLite built without SQLITE_SECURE_DELETE (Debian's has it)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = OFF")
    apps = migrate(PLAINTEXT)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def make_plaintext_rows(apps):
    Monitor = apps.get_model("monitors", "Monitor")
    Monitor.objects.create(
        name="api", kind="http", url="http://127.0.0.1/", auth_user="ops", auth_password=PASSWORD,
        headers={"Authorization": TOKEN, "X-Env": "prod"},
    )
    Monitor.objects.create(name="db", kind="postgres", dsn=DSN)
    Monitor.objects.create(name="plain", kind="http", url="http://127.0.0.1/")
    apps.get_model("backups", "BackupSource").objects.create(name="shop", path="/b/*.dump", source_database_url=SOURCE_URL)


def stored(apps):
    """The secrets as the models of `apps` read them."""
    monitors = apps.get_model("monitors", "Monitor").objects.order_by("name")
    return (
        [(m.name, m.auth_password, m.dsn, m.headers) for m in monitors],
        list(apps.get_model("backups", "BackupSource").objects.values_list("name", "source_database_url")),
    )


EXPECTED = (
    [
        ("api", PASSWORD, "", {"Authorization": TOKEN, "X-Env": "prod"}),
        ("db", "", DSN, {}),
        ("plain", "", "", {}),
    ],
    [("shop", SOURCE_URL)],
)


def test_existing_secrets_are_encrypted_forward_and_decrypted_backward(at_plaintext_migrations):
    make_plaintext_rows(at_plaintext_migrations)
    assert found_in_database(*SECRETS) == list(SECRETS)  # the test can see them while they are plaintext

    encrypted = migrate(ENCRYPTED)
    assert stored(encrypted) == EXPECTED
    assert found_in_database(*SECRETS, "X-Env") == []

    plaintext = migrate(PLAINTEXT)
    assert stored(plaintext) == EXPECTED
    assert found_in_database(*SECRETS) == list(SECRETS)
