"""Backup verification never fails silently: whatever stops a verification (a path that is
no file, a file that cannot be read, a verifier crash, a step that hangs) is logged as a
failed run with the reason and alerts at once, within BACKUP_VERIFY_TIMEOUT. A source can
be switched off without losing its log.

Everything runs on a fresh install's rules (the shipped tiers): the alert reaches a real
Slack-shaped receiver on loopback."""

import glob
import os
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from backups.dispatch import claim_due, sweep_stale
from backups.models import BackupSource, Format, Status, VerificationRun
from backups.services import backup_source_save, backup_verify_now
from backups.verify import WATCHDOG_GRACE
from incidents.models import Channel, Notification
from tests.support.delivering import deliver_pending
from tests.support.receivers import SlackWebhook
from tests.support.servers import TCPListener
from tests.core.test_config import apply, write  # noqa: F401  (write is a fixture)

# The migrated test database, rolled back after each test: a fresh install's rules.
pytestmark = pytest.mark.django_db
SQL_DUMP = b"CREATE TABLE t (id int);\n--\n-- PostgreSQL database dump complete\n--\n"


@pytest.fixture
def slack():
    receiver = SlackWebhook().start()
    Channel.objects.create(name="production-alerts", kind="slack", url=receiver.url("/services/T0/B0/x"))
    yield receiver
    receiver.stop()


@pytest.fixture
def short_timeout(settings):
    settings.BACKUP_VERIFY_TIMEOUT = 2
    return settings.BACKUP_VERIFY_TIMEOUT


def make_source(path, **fields):
    fields = {"name": "app-db", "format": Format.FILE, "min_size_mb": Decimal(0), **fields}
    return backup_source_save(BackupSource(path=str(path), **fields))


def alerted(slack):
    """Deliver what is due now, and return what the receiver got."""
    deliver_pending()
    return [str(body) for body in slack.bodies()]


def assert_failed_and_alerted(source, slack, reason):
    run = VerificationRun.objects.get(source=source)
    assert run.status == Status.FAILURE
    assert reason in run.error_details
    messages = alerted(slack)
    assert len(messages) == 1 and reason in messages[0] and "app-db failed verification" in messages[0]
    assert Notification.objects.get().delivery == "immediate"
    return run


def test_a_directory_is_a_failed_run_with_the_reason_and_an_immediate_alert(tmp_path, slack):
    (tmp_path / "dumps").mkdir()
    source = make_source(tmp_path / "dumps")
    backup_verify_now(source)
    assert_failed_and_alerted(source, slack, f"{tmp_path / 'dumps'} is a directory")


def test_a_fifo_nobody_writes_to_fails_at_once_instead_of_hanging(tmp_path, slack, short_timeout):
    fifo = tmp_path / "app.sql"
    os.mkfifo(fifo)
    source = make_source(tmp_path / "app.*", format=Format.SQL)
    run = backup_verify_now(source)
    assert run.duration_seconds < short_timeout
    assert_failed_and_alerted(source, slack, f"{fifo} is a named pipe (FIFO)")


def file_root_cannot_read():
    """A real EACCES as root. Tests run as root, which reads a file of mode 000 anyway; the
    kernel refuses even root a read of a write-only sysfs attribute such as /sys/bus/*/uevent."""
    found = sorted(glob.glob("/sys/bus/*/uevent"))
    if not found or os.access(found[0], os.R_OK) and _readable(found[0]):
        pytest.skip("needs a write-only sysfs attribute (/sys/bus/*/uevent) that root cannot read")
    return found[0]


def _readable(path):
    try:
        with open(path, "rb"):
            return True
    except PermissionError:
        return False


def test_a_file_that_cannot_be_read_is_a_failed_run_with_the_reason(tmp_path, slack):
    unreadable = file_root_cannot_read()
    (tmp_path / "app.tar").symlink_to(unreadable)
    source = make_source(tmp_path / "app.tar", max_age=10 * 365 * 86400)
    backup_verify_now(source)
    run = assert_failed_and_alerted(source, slack, f"cannot read {tmp_path / 'app.tar'}: Permission denied")
    checks = {check["name"]: check["result"] for check in run.verification_details}
    assert checks == {"exists": "passed", "recent": "passed", "size": "passed", "checksum": "failed"}


def test_a_verifier_crash_is_a_failed_run_with_the_reason(tmp_path, slack, settings):
    """A restore server setting that is no PostgreSQL URL made the restore step raise (a
    ValueError nobody caught): the run was lost and nobody heard of it."""
    settings.BACKUP_RESTORE_DATABASE_URL = "mysql://root@127.0.0.1:3306/mysql"
    (tmp_path / "app.sql").write_bytes(SQL_DUMP)
    source = make_source(tmp_path / "app.sql", format=Format.SQL)
    backup_verify_now(source)
    run = assert_failed_and_alerted(source, slack, "the verifier crashed: ValueError: not a PostgreSQL URL")
    assert [check["name"] for check in run.verification_details][-1] == "restore"


def test_a_step_that_hangs_is_abandoned_at_the_timeout(tmp_path, slack, short_timeout, settings):
    """A restore server that accepts connections and never answers: psycopg's own connect
    timeout (10 s) is longer than the verification may take."""
    silent = TCPListener().start()
    settings.BACKUP_RESTORE_DATABASE_URL = f"postgres://postgres@127.0.0.1:{silent.port}/postgres"
    (tmp_path / "app.sql").write_bytes(SQL_DUMP)
    source = make_source(tmp_path / "app.sql", format=Format.SQL)
    try:
        run = backup_verify_now(source)
    finally:
        silent.stop()
    assert run.duration_seconds < short_timeout + WATCHDOG_GRACE + 1
    assert_failed_and_alerted(
        source, slack, f"did not finish within BACKUP_VERIFY_TIMEOUT ({short_timeout} s): stuck in restore, abandoned"
    )
    source.refresh_from_db()
    assert source.running_since is None


# Switching a source off ---------------------------------------------------------------


def verify_backups(*names):
    out = StringIO()
    try:
        call_command("verify_backups", *names, stdout=out)
    except SystemExit as exc:
        assert exc.code == 0, out.getvalue()
    return out.getvalue()


def test_a_disabled_source_is_not_verified_nor_stale_and_keeps_its_log(tmp_path, slack, role_clients):
    (tmp_path / "app.tar").write_bytes(b"x" * 100)
    source = make_source(tmp_path / "app.tar")
    backup_verify_now(source)
    source.enabled = False
    backup_source_save(source)

    assert source.runs.count() == 1
    assert claim_due(now=source.next_run_at + timedelta(days=1)) == []
    assert sweep_stale(now=timezone.now() + timedelta(days=30)) == []
    output = verify_backups()
    assert "app-db: skipped, disabled (enabled: false)" in output
    assert "0 source(s) verified, 0 failed. 1 disabled source(s) skipped." in output
    assert source.runs.count() == 1

    admin = role_clients["super_admin"]
    page = admin.get("/admin/backups/backupsource/?enabled__exact=0").content.decode()
    assert "app-db" in page and 'alt="False"' in page
    dashboard = admin.get("/dashboard/monitoring/").content.decode()
    assert '<span class="pill paused">disabled</span>' in dashboard
    api = admin.get("/api/monitoring/backup-status").json()
    assert [(row["source"], row["enabled"], row["status"]) for row in api["sources"]] == [
        ("app-db", False, "success")
    ]


def test_verify_now_in_the_admin_refuses_a_disabled_source(tmp_path, admin_client):
    source = make_source(tmp_path / "app.tar", enabled=False)
    selected = {"action": "verify_now", "_selected_action": [source.pk]}
    response = admin_client.post("/admin/backups/backupsource/", selected, follow=True)
    assert "Not verified, disabled: app-db" in response.content.decode()
    source.refresh_from_db()
    assert source.running_since is None


def test_enabled_false_in_a_config_file(write, tmp_path):
    assert apply(write(f"backup_sources:\n  - name: app-db\n    path: {tmp_path}/a.tar\n    enabled: false\n"))
    assert BackupSource.objects.get(name="app-db").enabled is False
