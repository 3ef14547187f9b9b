"""Data that makes every coloured element of the main pages show at once: monitors up,
degraded, down and in maintenance (so every pill, banner and bar), open incidents of each
severity with public updates, a resolved one with a public post-mortem, upcoming
maintenance, backups in each state, a failing channel and a runbook. The accessibility
and HTML checks read the pages over this data."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from backups.models import BackupSource, VerificationRun
from incidents.lifecycle import incident_resolve
from incidents.links import ack_token
from incidents.models import ActionItem, Channel, Incident, PostMortem, Runbook, TimelineEntry
from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.models import MaintenanceWindow, Monitor
from monitors.services import monitor_save


def _monitor(name, *, public=True, tags=None, **fields):
    fields = {"kind": "tcp", "host": "10.9.8.7", "port": 5432, **fields}
    return monitor_save(Monitor(name=name, public=public, interval=60, confirmations=1, **fields), tags=tags)


def _story(monitor, minutes_ago, pattern):
    """One check a minute from `minutes_ago`: "u" up, "d" down, "s" slow."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    for minute, mark in enumerate(pattern):
        outcome = Outcome.down("connection refused", 3.0) if mark == "d" else Outcome.up(40.0 if mark == "u" else 5000.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=minute))])


def _monitors():
    _story(_monitor("Checkout API", tags=["shop"]), 30, "uuuu")
    _story(_monitor("Search", tags=["shop"], slow_ms=1000), 30, "us")
    payments = _monitor("Payments", tags=["shop"])
    _story(payments, 30, "uudd")
    storefront = _monitor("Storefront", tags=["web"])
    window = MaintenanceWindow.objects.create(name="Storefront upgrade", public_note="Short read-only periods.",
                                              starts=timezone.now() - timedelta(minutes=10),
                                              ends=timezone.now() + timedelta(hours=1))
    window.monitors.add(storefront)
    _story(storefront, 5, "uu")
    upcoming = MaintenanceWindow.objects.create(name="Network work", starts=timezone.now() + timedelta(days=1),
                                                ends=timezone.now() + timedelta(days=1, hours=2))
    upcoming.monitors.add(payments)
    _monitor("Nightly export", public=False, kind="heartbeat", host="", port=None, period=3600, paused=True)
    return payments


def _incidents(payments):
    opened = Incident.objects.get(source_key=payments.source_key)
    TimelineEntry.objects.create(incident=opened, at=timezone.now(), kind="update", public=True,
                                 text="We are looking into failed payments.")
    now = timezone.now()
    for number, severity in enumerate(("P0", "P1", "P2", "P3"), start=1):
        Incident.objects.create(ref=f"INC-A11Y-{number}", title=f"{severity} trouble", severity=severity,
                                opened_at=now - timedelta(hours=number))
    past = Incident.objects.create(ref="INC-A11Y-9", title="Checkout API: outage", severity="P1",
                                   source_key=Monitor.objects.get(name="Checkout API").source_key,
                                   opened_at=now - timedelta(days=2))
    incident_resolve(past, via="test", note="Pool size restored.")
    postmortem = PostMortem.objects.create(
        incident=past, status=PostMortem.Status.PUBLISHED, public_link=True, published_at=now,
        users_affected="Some shoppers", features_unavailable="Checkout", revenue_impact="None",
        root_cause="The pool was halved.", resolution_steps="Rolled back.", prevention="Alert on saturation.")
    ActionItem.objects.create(postmortem=postmortem, description="Add a pool alert", owner_name="Ops",
                              due_date=now.date() + timedelta(days=7))
    return opened, past


def _backups_and_channels():
    now = timezone.now()
    for status in ("success", "warning", "failure"):
        source = BackupSource.objects.create(name=f"db-{status}", path=f"/var/backups/db-{status}.dump")
        VerificationRun.objects.create(source=source, verified_at=now, status=status, error_details="")
    Channel.objects.create(name="ops-mail", kind="email", recipients="ops@example.com",
                           failing=True, last_error="SMTP 451", last_error_at=now)


def build():
    """Every kind of data the main pages colour; returns what their URLs need."""
    payments = _monitors()
    opened, past = _incidents(payments)
    _backups_and_channels()
    runbook = Runbook.objects.create(title="Payments are down", body="## Check\n\n1. Run `pg_isready`.\n")
    return SimpleNamespace(open_incident=opened, resolved_incident=past, runbook=runbook)


def pages(data, *, superadmin, engineer, staff_member):
    """(name, path, user) for each main page, at the depth each audience reads it."""
    return [
        ("status-public", "/status/", None),
        ("status-public-signed-in", "/status/", staff_member),
        ("status-internal", "/status/internal/", staff_member),
        ("dashboard", "/dashboard/monitoring/", superadmin),
        ("incidents-list", "/incidents/", engineer),
        ("incident-detail", f"/incidents/{data.open_incident.ref}/", engineer),
        ("incident-declare", "/incidents/new/", engineer),
        ("postmortem-edit", f"/incidents/{data.resolved_incident.ref}/postmortem/", engineer),
        ("postmortem-public", f"/incidents/{data.resolved_incident.ref}/postmortem/public/", None),
        ("runbook", f"/runbooks/{data.runbook.pk}/", engineer),
        ("acknowledge-link", f"/incidents/ack/{ack_token(data.open_incident)}/", None),
        ("login", "/accounts/login/", None),
    ]
