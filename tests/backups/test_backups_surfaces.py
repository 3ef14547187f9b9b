"""Where backup verification shows: the command, the admin, config as code, the API and
the dashboard."""

import os
import time
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from backups.models import BackupSource, Format, Status, VerificationRun
from backups.services import backup_source_save, backup_verify_now
from tests.core.test_config import apply, apply_fails, export, write  # noqa: F401  (write is a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources(tmp_path):
    """Two file sources: "good" passes, "old" fails on age."""
    good, old = tmp_path / "good.tar", tmp_path / "old.tar"
    for path in (good, old):
        path.write_bytes(b"x" * 5000)
    os.utime(old, (time.time() - 72 * 3600,) * 2)
    return [backup_source_save(BackupSource(name=path.stem, path=str(path), format=Format.FILE,
                                            min_size_mb=Decimal("0.001"))) for path in (good, old)]


def verify_backups(*names):
    out = StringIO()
    try:
        call_command("verify_backups", *names, stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


# The command ----------------------------------------------------------------------------


def test_the_command_prints_a_report_and_exits_1_when_one_failed(sources):
    code, output = verify_backups()
    assert code == 1
    lines = output.splitlines()
    assert lines[0].startswith("good: SUCCESS (4 passed, 0 failed, ")
    assert "  [ok  ] size: 0.01 MB" in lines
    assert "  [FAIL] recent: the backup is 3.0 days old (from its file time); the limit is 24.0 h" in lines
    assert lines[-1] == "2 source(s) verified, 1 failed."
    assert VerificationRun.objects.count() == 2


def test_the_command_verifies_only_the_named_source_and_exits_0(sources):
    code, output = verify_backups("good")
    assert code == 0 and "old:" not in output
    assert output.splitlines()[-1] == "1 source(s) verified, 0 failed."


def test_an_unknown_name_is_one_clear_line(sources):
    with pytest.raises(CommandError) as caught:
        call_command("verify_backups", "nope", stdout=StringIO())
    assert str(caught.value) == "Unknown backup source: nope (known: good, old)."


# The admin --------------------------------------------------------------------------------


def test_verify_now_queues_a_verification_with_a_long_timeout(admin_client, sources, settings):
    good = sources[0]
    response = admin_client.post("/admin/backups/backupsource/",
                                 {"action": "verify_now", "_selected_action": [good.pk]}, follow=True)
    assert "Verification queued for good" in response.content.decode()
    queued = get_broker().dequeue()
    task = SignedPackage.loads(queued[0][1])
    assert (task["func"], task["args"], task["timeout"]) == (
        "backups.tasks.verify_source", (good.pk,), settings.BACKUP_VERIFY_TIMEOUT + 120)
    from backups.tasks import verify_source

    assert verify_source(*task["args"]) == Status.SUCCESS


def test_the_admin_lists_last_results_and_each_sources_history(admin_client, sources):
    for source in sources:
        backup_verify_now(source)
    page = admin_client.get("/admin/backups/backupsource/").content.decode()
    assert "success" in page and "failure" in page and "recent: the backup is 3.0 days old" in page
    history = admin_client.get(f"/admin/backups/verificationrun/?source__id__exact={sources[1].pk}")
    assert history.status_code == 200
    assert len(history.context["cl"].result_list) == 1
    run = VerificationRun.objects.get(source=sources[1])
    detail = admin_client.get(f"/admin/backups/verificationrun/{run.pk}/change/").content.decode()
    assert "the limit is 24.0 h" in detail
    assert admin_client.post(f"/admin/backups/verificationrun/{run.pk}/delete/").status_code == 403


# Config as code --------------------------------------------------------------------------

FILE = """
backup_sources:
  - name: app-db
    path: ${VIGIL_TEST_BACKUP_DIR}/app-*.dump
    max_age: 26h
    min_size_mb: 250.5
    critical_tables: [users, orders]
    expected_rows: {users: 1000, orders: 5000}
    schedule: "30 4 * * *"
  - name: uploads
    path: /backups/uploads.tar
    format: file
"""


def test_config_applies_idempotently_and_exports_round_trip(write, monkeypatch):
    monkeypatch.setenv("VIGIL_TEST_BACKUP_DIR", "/srv/backups")
    assert apply(write(FILE))[-1].startswith("2 created")
    app = BackupSource.objects.get(name="app-db")
    assert (app.path, app.max_age, app.min_size_mb) == ("/srv/backups/app-*.dump", 26 * 3600, Decimal("250.5"))
    assert app.expected_rows == {"orders": 5000, "users": 1000} and app.schedule == "30 4 * * *"
    assert app.next_run_at.hour == 4 and app.next_run_at.minute == 30
    assert apply(write(FILE))[-1].startswith("No changes (2 unchanged)")
    exported = yaml.safe_load(export())["backup_sources"]
    assert exported[0] == {"name": "app-db", "path": "/srv/backups/app-*.dump", "max_age": "26h",
                           "min_size_mb": 250.5, "critical_tables": ["orders", "users"],
                           "expected_rows": {"orders": 5000, "users": 1000}, "schedule": "30 4 * * *"}
    assert exported[1] == {"name": "uploads", "path": "/backups/uploads.tar", "format": "file"}
    again = write(yaml.safe_dump({"backup_sources": exported}), name="again.yaml")
    assert apply(again)[-1].startswith("No changes (2 unchanged)")


def test_config_errors_are_one_line_each(write):
    lines = apply_fails(write("""
        backup_sources:
          - name: bad
            path: /x
            format: tarball
            max_age: soon
            min_size_mb: lots
            expected_rows: {users: many}
            schedule: "every day"
            restore: true
    """))
    assert 'backup_sources[0] "bad": restore: unknown key (did you mean restore_test?)' in lines
    assert 'backup_sources[0] "bad": max_age: \'soon\' is not a duration (use 20s, 5m, 1h, 1d, 500ms or a number of seconds)' in lines
    assert 'backup_sources[0] "bad": min_size_mb: \'lots\' is not a number of MB (e.g. 100 or 0.5)' in lines
    assert 'backup_sources[0] "bad": expected_rows: users: must be a whole number of rows, 0 or more' in lines
    assert any(line.startswith('backup_sources[0] "bad": format: \'tarball\' is not one of: pg_dump') for line in lines)
    assert 'backup_sources[0] "bad": schedule: \'every day\' is not a cron expression (e.g. 0 5 * * *)' in lines


def test_an_unset_environment_variable_in_a_path_is_reported(write):
    lines = apply_fails(write("""
        backup_sources:
          - {name: x, path: "${VIGIL_TEST_NOT_SET}/x.dump"}
    """))
    assert lines == ['backup_sources[0] "x": path: environment variable VIGIL_TEST_NOT_SET is not set']


# The API and the dashboard ----------------------------------------------------------------


def test_the_api_shows_the_latest_run_of_each_source(role_clients, sources, tmp_path):
    backup_verify_now(sources[1])
    backup_verify_now(sources[0])
    backup_verify_now(sources[0])
    never = backup_source_save(BackupSource(name="never", path=str(tmp_path / "n"), format=Format.FILE))
    response = role_clients["super_admin"].get("/api/monitoring/backup-status")
    assert response.status_code == 200
    rows = {row["source"]: row for row in response.json()["sources"]}
    assert rows["good"]["status"] == "success" and rows["good"]["checks_passed"] == 4
    assert rows["good"]["backup_id"].startswith("good.tar sha256:")
    assert rows["old"]["status"] == "failure"
    assert rows["old"]["detail"].startswith("recent: the backup is 3.0 days old")
    assert rows["old"]["backup_age_hours"] == pytest.approx(72, abs=0.1)
    assert rows[never.name] | {} == {**rows["never"], "status": "not_checked", "verified_at": None}
    assert role_clients["engineer"].get("/api/monitoring/backup-status").status_code == 403


def test_latest_per_source_costs_two_queries(sources, django_assert_num_queries):
    for source in sources * 3:
        backup_verify_now(source)
    with django_assert_num_queries(2):
        rows = VerificationRun.objects.latest_per_source()
    assert [row["source"] for row in rows] == ["good", "old"]


def test_the_dashboard_shows_the_latest_run(role_clients, sources):
    backup_verify_now(sources[1])
    page = role_clients["super_admin"].get("/dashboard/monitoring/").content.decode()
    assert "recent: the backup is 3.0 days old" in page and "failure" in page
