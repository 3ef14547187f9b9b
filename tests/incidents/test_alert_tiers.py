"""The alert tiers of the production-monitoring guide ship with Vigil: on a fresh install
(migrated, no rule of the test's own) critical events reach every channel at once,
warnings in the hourly summary and the "📦 backup verified" line in the daily one.
Messages go to real loopback receivers (Slack-shaped and SMTP)."""

import json
import os
import re
import time
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.utils import timezone

from backups.models import BackupSource, Format
from backups.services import backup_source_save, backup_verify_now
from incidents.sources.routing_keys import event_source_create
from incidents.models import AlertRule, Channel, Notification
from monitors.models import Monitor
from monitors.services import monitor_save, monitors_check_now
from tests.support.delivering import deliver_pending
from tests.support.receivers import SlackWebhook, SMTPReceiver, send_mail_to
from tests.core.test_config import apply, apply_fails, write  # noqa: F401  (write is a fixture)

# The migrated test database, rolled back after each test: a fresh install's rules.
pytestmark = pytest.mark.django_db
SHIPPED = import_module("incidents.migrations.0009_shipped_tier_rules")
ALERTING_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "alerting.md"


@pytest.fixture
def slack():
    receiver = SlackWebhook().start()
    Channel.objects.create(name="slack", kind="slack", url=receiver.url("/services/T0/B0/x"))
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(settings):
    receiver = SMTPReceiver().start()
    send_mail_to(receiver.port, settings)
    Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    yield receiver
    receiver.stop()


def texts(receiver):
    return [json.dumps(body, ensure_ascii=False) for body in receiver.bodies()]


def deliver_when_due(delivery):
    """Deliver what is due now; then let the hour (or day) pass for `delivery` and deliver again."""
    deliver_pending()
    waiting = Notification.objects.filter(status="pending", delivery=delivery)
    assert waiting.exists(), f"nothing waits for the {delivery} summary"
    waiting.update(next_attempt_at=timezone.now())
    deliver_pending()


def backup_source(path, **fields):
    fields = {"name": "app-db", "format": Format.FILE, "min_size_mb": Decimal("0.001"), **fields}
    return backup_source_save(BackupSource(path=str(path), **fields))


def test_a_fresh_install_ships_the_three_tiers_to_every_channel():
    rules = {rule.name: rule for rule in AlertRule.objects.all()}
    assert set(rules) == {rule["name"] for rule in SHIPPED.TIER_RULES}
    assert all(rule.all_channels and rule.enabled for rule in rules.values())
    assert {rule.delivery for rule in rules.values()} == {"immediate", "hourly", "daily"}


def test_a_monitor_down_reaches_every_channel_at_once(http_target, slack, smtp):
    url = http_target.route("/health", status=500, body=b"boom")
    monitor = monitor_save(Monitor(name="backend", kind="http", url=url, confirmations=1, interval=60, timeout=5))
    monitors_check_now([monitor.pk])
    deliver_pending()
    assert len(slack.requests) == len(smtp.messages) == 1
    assert "backend is down" in texts(slack)[0] and "backend is down" in smtp.messages[0]["data"]


def test_a_failed_verification_is_critical_at_once(tmp_path, slack):
    (tmp_path / "app.tar").write_bytes(b"x" * 10)
    backup_verify_now(backup_source(tmp_path / "app.tar", min_size_mb=Decimal(1)))
    deliver_pending()
    assert len(texts(slack)) == 1 and "Backup app-db failed verification" in texts(slack)[0]


def test_a_backup_older_than_24_hours_is_a_warning_within_the_hour(tmp_path, slack):
    dump = tmp_path / "app.tar"
    dump.write_bytes(b"x" * 5000)
    os.utime(dump, (time.time() - 30 * 3600,) * 2)
    backup_verify_now(backup_source(dump))
    deliver_pending()
    assert slack.requests == []
    row = Notification.objects.get()
    assert row.delivery == "hourly" and row.next_attempt_at.minute == 0
    assert (row.next_attempt_at - timezone.now()).total_seconds() <= 3600

    deliver_when_due("hourly")
    assert len(texts(slack)) == 1
    assert "Hourly summary" in texts(slack)[0] and "Backup app-db is too old" in texts(slack)[0]


def test_a_passing_verification_is_a_line_of_the_daily_summary(tmp_path, slack, smtp):
    (tmp_path / "app.tar").write_bytes(b"x" * 5000)
    backup_verify_now(backup_source(tmp_path / "app.tar"))
    deliver_when_due("daily")
    assert len(texts(slack)) == len(smtp.messages) == 1
    assert "Daily summary" in texts(slack)[0]
    assert re.search(r"📦 Backup app-db verified: 4 checks passed, 0\.0 MB, 0\.0 h old", texts(slack)[0])


def test_warnings_of_a_passing_run_come_within_the_hour(tmp_path, slack):
    dump = tmp_path / "app.tar"
    dump.write_bytes(b"x" * 5000)
    source = backup_source(dump)
    backup_verify_now(source)
    dump.write_bytes(b"x" * 2000)
    backup_verify_now(source)
    deliver_when_due("hourly")
    assert len(texts(slack)) == 1 and "passed with warnings" in texts(slack)[0]


@pytest.mark.parametrize(("severity", "delivery"), [
    ("critical", "immediate"), ("error", "hourly"), ("warning", "hourly"), ("info", "daily"),
])
def test_app_events_go_at_the_pace_of_their_severity(slack, severity, delivery):
    app = event_source_create(name="auth-service")
    body = {"routing_key": app.routing_key, "event_action": "trigger", "dedup_key": "auth",
            "payload": {"summary": f"auth says {severity}", "source": "auth-1", "severity": severity}}
    assert Client().post("/api/events", json.dumps(body), content_type="application/json").status_code == 202
    assert list(Notification.objects.values_list("delivery", flat=True)) == [delivery]
    if delivery == "immediate":
        deliver_pending()
    else:
        deliver_when_due(delivery)
    assert len(texts(slack)) == 1 and f"auth says {severity}" in texts(slack)[0]


# The guide's two-channel Slack setup ----------------------------------------------------------


def readme_two_channel_config():
    blocks = re.findall(r"```yaml\n(.*?)```", ALERTING_GUIDE.read_text(), re.S)
    return next(block for block in blocks if "${SLACK_MONITORING_WEBHOOK}" in block)


def test_the_readme_two_channel_setup_sends_critical_and_the_rest_apart(write, monkeypatch, http_target, tmp_path):
    alerts, monitoring = SlackWebhook().start(), SlackWebhook().start()
    try:
        monkeypatch.setenv("SLACK_ALERTS_WEBHOOK", alerts.url("/services/T0/B1/a"))
        monkeypatch.setenv("SLACK_MONITORING_WEBHOOK", monitoring.url("/services/T0/B2/m"))
        apply(write(readme_two_channel_config()))
        rules = {rule.name: rule for rule in AlertRule.objects.prefetch_related("channels")}
        for shipped in SHIPPED.TIER_RULES:  # the same tiers, only the channels differ
            rule = rules[shipped["name"]]
            assert (rule.event_kinds, rule.severities, rule.delivery) == (
                shipped["event_kinds"], shipped["severities"], shipped["delivery"])
            assert not rule.all_channels and len(rule.channels.all()) == 1

        url = http_target.route("/health", status=500, body=b"boom")
        monitor = monitor_save(Monitor(name="backend", kind="http", url=url, confirmations=1, interval=60, timeout=5))
        monitors_check_now([monitor.pk])
        (tmp_path / "app.tar").write_bytes(b"x" * 5000)
        backup_verify_now(backup_source(tmp_path / "app.tar"))
        deliver_when_due("daily")

        assert len(texts(alerts)) == 1 and "backend is down" in texts(alerts)[0]
        assert len(texts(monitoring)) == 1 and "📦 Backup app-db verified" in texts(monitoring)[0]
    finally:
        alerts.stop(), monitoring.stop()


# Existing installs -----------------------------------------------------------------------------


def as_0003_made_it():
    AlertRule.objects.all().delete()
    return AlertRule.objects.create(
        name="Monitors down and up", event_kinds=["monitor_down", "monitor_up", "heartbeat_missed"],
        all_channels=True, delivery="immediate",
    )


def test_an_install_with_the_untouched_default_rule_gets_the_tiers_instead():
    as_0003_made_it()
    SHIPPED.ship_tier_rules(django_apps, None)
    assert sorted(AlertRule.objects.values_list("name", flat=True)) == sorted(r["name"] for r in SHIPPED.TIER_RULES)


@pytest.mark.parametrize("edit", ["changed", "added", "deleted"])
def test_an_install_whose_rules_were_edited_keeps_them(slack, edit):
    default = as_0003_made_it()
    if edit == "changed":
        default.channels.add(Channel.objects.get())
    elif edit == "added":
        AlertRule.objects.create(name="mine", all_channels=True)
    else:
        default.delete()
    before = sorted(AlertRule.objects.values_list("name", flat=True))
    SHIPPED.ship_tier_rules(django_apps, None)
    assert sorted(AlertRule.objects.values_list("name", flat=True)) == before


# Editable like any rule -----------------------------------------------------------------------


def test_a_shipped_rule_is_edited_and_deleted_in_the_admin(admin_client):
    rule = AlertRule.objects.get(name="Warning app events: within the hour")
    form = admin_client.get(f"/admin/incidents/alertrule/{rule.pk}/change/").context["adminform"].form
    assert form["severities"].value() == ["P1", "P2"]
    form = {"name": rule.name, "enabled": "on", "event_kinds": ["external"], "severities": ["P1"],
            "delivery": "immediate", "repeat_every": "3600", "all_channels": "on"}
    response = admin_client.post(f"/admin/incidents/alertrule/{rule.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule.refresh_from_db()
    assert (rule.severities, rule.delivery) == (["P1"], "immediate")

    response = admin_client.post(f"/admin/incidents/alertrule/{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not AlertRule.objects.filter(pk=rule.pk).exists()


def test_severities_in_a_config_file_are_checked(write):
    problems = apply_fails(write("alert_rules: [{name: x, events: [external], severities: [P9], all_channels: true}]"))
    assert problems == ['alert_rules[0] "x": severities: unknown severities: P9 (known: P0, P1, P2, P3)']
