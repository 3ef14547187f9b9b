"""incidents 0010: a channel's kind-specific columns move into its `settings` and
(encrypted) `secrets` documents and back, every value kept, no secret in plaintext."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.support.raw_database import found_in_database

COLUMNS = [("incidents", "0007_seed_runbooks")]
DOCUMENTS = [("incidents", "0010_channel_settings")]

HOOK_URL = "https://hooks.example/services/T0/B0/mig-hook-Vd51"
SIGNING = "whsec-mig-Qp27"
TOKEN = "xoxb-mig-Tk90"
STALE_URL = "https://hooks.example/stale-mig-Uy33"  # a slack_bot row kept a URL from an earlier kind
SECRETS = ("mig-hook-Vd51", SIGNING, TOKEN, "stale-mig-Uy33")
ROWS = [
    dict(name="hook", kind="webhook", url=HOOK_URL, signing_secret=SIGNING),
    dict(name="bot", kind="slack_bot", token=TOKEN, slack_channel="#ops", url=STALE_URL),
    dict(name="mail", kind="email", recipients="ops@example.com\nlead@example.com"),
]
COLUMN_NAMES = ("url", "token", "slack_channel", "recipients", "signing_secret")


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def at_columns(transactional_db):
    apps = migrate(COLUMNS)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def columns(apps):
    channels = apps.get_model("incidents", "Channel").objects.order_by("name")
    return [{name: getattr(channel, name) for name in ("name", "kind", *COLUMN_NAMES)} for channel in channels]


def test_channel_settings_move_into_documents_and_back(at_columns):
    for row in ROWS:
        at_columns.get_model("incidents", "Channel").objects.create(**row)
    before = columns(at_columns)

    documents = migrate(DOCUMENTS)
    channels = {c.name: c for c in documents.get_model("incidents", "Channel").objects.all()}
    assert (channels["hook"].settings, channels["hook"].secrets) == ({}, {"url": HOOK_URL, "signing_secret": SIGNING})
    assert (channels["bot"].settings, channels["bot"].secrets) == ({"slack_channel": "#ops"}, {"token": TOKEN, "url": STALE_URL})
    assert (channels["mail"].settings, channels["mail"].secrets) == ({"recipients": ROWS[2]["recipients"]}, {})
    assert found_in_database(*SECRETS) == []

    assert columns(migrate(COLUMNS)) == before
    assert found_in_database(*SECRETS) == []
