"""Monitors register as alerting sources through every write path, and leave through every delete path."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.lifecycle import escalate_and_remind
from incidents.models import AlertRule, Channel, Incident, Notification, Source
from incidents.sources import source_forget, source_upsert
from monitors.models import Monitor
from monitors.services import monitor_save

pytestmark = pytest.mark.django_db

ONLY_MONITORS = ["monitors.config.monitor.MonitorSection"]


def make(name="api", tags=("prod",)):
    return monitor_save(Monitor(name=name, kind="tcp", host="127.0.0.1", port=9), tags=list(tags))


def source_of(monitor):
    return Source.objects.get(key=f"monitor:{monitor.pk}")


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


def test_saving_registers_and_a_rename_keeps_the_rules_pointing_at_it():
    monitor = make(tags=["prod", "db"])
    rule = AlertRule.objects.create(name="api only")
    rule.sources.add(source_of(monitor))

    monitor.name = "api-v2"
    monitor_save(monitor, tags=["prod"])

    source = source_of(monitor)
    assert (source.kind, source.name, source.tags) == ("monitor", "api-v2", ["prod"])
    assert list(rule.sources.all()) == [source]


def test_the_admin_registers_tags_saved_after_the_monitor(admin_client):
    form = {
        "name": "web", "kind": "tcp", "host": "127.0.0.1", "port": "9", "interval": "60", "timeout": "10",
        "confirmations": "2", "severity": "P2", "method": "GET", "expiry_warning_days": "30", "slo_window_days": "30",
        "tags": [], "_save": "Save",
    }
    from monitors.models import Tag

    tag = Tag.objects.create(name="edge")
    response = admin_client.post(reverse("admin:monitors_monitor_add"), {**form, "tags": [tag.pk]})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert source_of(Monitor.objects.get(name="web")).tags == ["edge"]


def test_the_api_registers_and_forgets(admin_client):
    created = admin_client.post(
        "/api/monitors/",
        {"name": "api", "kind": "tcp", "host": "127.0.0.1", "port": 9, "tags": ["prod"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert Source.objects.get(key=f"monitor:{pk}").tags == ["prod"]
    assert admin_client.delete(f"/api/monitors/{pk}/").status_code == 204
    assert not Source.objects.filter(key=f"monitor:{pk}").exists()


def test_admin_delete_and_bulk_delete_forget(admin_client):
    one, two, three = make("one"), make("two"), make("three")
    admin_client.post(reverse("admin:monitors_monitor_delete", args=[one.pk]), {"post": "yes"})
    admin_client.post(
        reverse("admin:monitors_monitor_changelist"),
        {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"},
    )
    Monitor.objects.filter(pk=three.pk).delete()
    assert not Source.objects.filter(kind="monitor").exists()


def test_config_prune_forgets(settings, tmp_path):
    settings.CONFIG_SECTIONS = ONLY_MONITORS
    path = tmp_path / "vigil.yaml"
    path.write_text("monitors:\n  - {name: api, kind: tcp, host: 127.0.0.1, port: 9, tags: [prod]}\n")
    call_command("apply_config", str(path), stdout=StringIO())
    assert list(Source.objects.values_list("name", "tags")) == [("api", ["prod"])]
    path.write_text("monitors: []\n")
    call_command("apply_config", str(path), "--prune", stdout=StringIO())
    assert not Source.objects.exists()


def test_a_rule_left_without_its_only_source_is_disabled_rather_than_matching_everything():
    kept, gone = make("kept"), make("gone")
    narrow = AlertRule.objects.create(name="gone only")
    narrow.sources.add(source_of(gone))
    wide = AlertRule.objects.create(name="both")
    wide.sources.add(source_of(gone), source_of(kept))

    gone.delete()

    narrow.refresh_from_db()
    wide.refresh_from_db()
    assert narrow.enabled is False
    assert wide.enabled is True
    assert list(wide.sources.values_list("name", flat=True)) == ["kept"]


def test_deleting_a_monitor_resolves_its_open_incidents_quietly():
    """No recovery can come from a deleted monitor: its incidents would escalate and remind for ever."""
    Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    gone, kept = make("gone"), make("kept")
    down = [
        NewEvent(kind="monitor_down", source_key=monitor.source_key, severity="P0", summary=f"{monitor.name} is down",
                 dedup_key=f"{monitor.source_key}:down", occurred_at=timezone.now() - timedelta(hours=2))
        for monitor in (gone, kept)
    ]
    with transaction.atomic():
        receive_events(down)
    sent = Notification.objects.count()

    gone_key = gone.source_key
    gone.delete()

    incident = Incident.objects.get(source_key=gone_key)
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert incident.timeline.filter(kind="resolved").get().text == (
        f"Resolved by source deleted: gone ({gone_key}) was deleted, so no recovery can come"
    )
    still_open = Incident.objects.get(source_key=kept.source_key)
    assert still_open.is_open
    assert Notification.objects.count() == sent
    escalate_and_remind()
    assert not incident.timeline.filter(kind__in=["escalated", "reminder"]).exists()
    assert set(still_open.timeline.values_list("kind", flat=True)) >= {"escalated", "reminder"}


def test_upsert_and_forget_by_key():
    source_upsert(key="backup:3", kind="backup", name="nightly", tags=["db", "db"])
    assert list(Source.objects.values_list("key", "tags")) == [("backup:3", ["db"])]
    source_forget(key="backup:3")
    source_forget(key="backup:3")
    assert not Source.objects.exists()


def test_the_data_migration_registers_existing_monitors():
    monitor = make("legacy", tags=["b", "a"])
    Source.objects.all().delete()
    migration = importlib.import_module("monitors.migrations.0003_register_sources")
    migration.register_sources(apps, None)
    migration.register_sources(apps, None)
    assert list(Source.objects.values_list("key", "name", "tags")) == [(f"monitor:{monitor.pk}", "legacy", ["a", "b"])]
