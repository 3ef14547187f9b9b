"""Objectives: error budget left, and multi-window burn alerts that open and resolve an incident."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from incidents.models import Event, Incident
from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.history import Span, UP, DOWN
from monitors.models import Monitor
from monitors.services import monitor_pause, monitor_save
from monitors.slo import burn_rates, evaluate_objectives, is_burning
from monitors.uptime import Window, budget_remaining, objective, summaries

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def checks(monitor, start, minutes, ok):
    for minute in range(minutes):
        outcome = Outcome.up(30.0) if ok else Outcome.down("HTTP 502", 30.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=minute))])
    return start + timedelta(minutes=minutes)


def test_the_budget_left_is_the_share_of_allowed_downtime_not_yet_spent():
    assert budget_remaining(99.9, Window(up_seconds=999_000, down_seconds=0)) == 100.0
    assert budget_remaining(99.9, Window(up_seconds=999_500, down_seconds=500)) == 50.0
    assert budget_remaining(99.9, Window(up_seconds=998_000, down_seconds=2_000)) == -100.0
    assert budget_remaining(99.9, Window()) is None


def test_burning_needs_both_the_long_and_the_short_window():
    now = timezone.now()
    # down for the last 10 of 60 minutes: 1 h burns at 167x, 5 min at 1000x
    spans = [Span(now - timedelta(minutes=60), now - timedelta(minutes=10), UP),
             Span(now - timedelta(minutes=10), now, DOWN)]
    assert is_burning(burn_rates(spans, now=now, target=99.9))
    # the same outage, over for 40 minutes: both short windows are clean again
    later = now + timedelta(minutes=40)
    spans.append(Span(now, later, UP))
    rates = burn_rates(spans, now=later, target=99.9)
    assert rates[timedelta(hours=1)] > 14.4 and rates[timedelta(minutes=5)] == 0
    assert not is_burning(rates)


def test_a_fast_burn_opens_one_incident_and_its_end_resolves_it():
    monitor = monitor_save(Monitor(name="checkout", kind="tcp", host="127.0.0.1", port=80, interval=60,
                                   confirmations=1, slo_target=Decimal("99.9")))
    start = timezone.now() - timedelta(hours=2)
    at = checks(monitor, start, 50, ok=True)
    at = checks(monitor, at, 10, ok=False)

    assert evaluate_objectives(now=at) == ["checkout"]
    assert evaluate_objectives(now=at) == []  # already burning: nothing new
    incident = Incident.objects.get(dedup_key=f"{monitor.source_key}:slo")
    assert incident.resolved_at is None

    at = checks(monitor, at, 31, ok=True)
    assert evaluate_objectives(now=at) == ["checkout"]
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    kinds = list(Event.objects.filter(kind__startswith="slo").order_by("occurred_at").values_list("kind", flat=True))
    assert kinds == ["slo_burn", "slo_burn_stopped"]


def test_the_objective_reads_the_window_it_names():
    monitor = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=80, interval=60, confirmations=1,
                                   slo_target=Decimal("99"), slo_window_days=7))
    at = checks(monitor, timezone.now() - timedelta(minutes=100), 99, ok=True)
    checks(monitor, at, 1, ok=False)
    checks(monitor, at + timedelta(minutes=1), 1, ok=True)
    slo = objective(monitor, summaries([monitor.pk])[monitor.pk])
    # 99 minutes up (98 spans between up checks + the one into the failure), 1 minute down
    assert slo.window_days == 7 and slo.uptime == pytest.approx(99.0)
    assert slo.budget_remaining == pytest.approx(0.0)


def test_a_sparse_monitor_keeps_burning_between_its_checks():
    """Checked every 10 minutes, a 5-minute window often holds no check: that is no reason
    to stop (or start) an alert."""
    spans = [Span(NOW - timedelta(minutes=60), NOW - timedelta(minutes=40), UP),
             Span(NOW - timedelta(minutes=40), NOW - timedelta(minutes=35), DOWN)]
    rates = burn_rates(spans, now=NOW, target=99.0)
    assert rates[timedelta(minutes=5)] is None and rates[timedelta(minutes=30)] is None
    assert rates[timedelta(hours=1)] == pytest.approx(20.0)
    assert is_burning(rates, was_burning=True)
    assert not is_burning(rates, was_burning=False)


def test_pausing_a_burning_monitor_resolves_its_slo_incident():
    monitor = monitor_save(Monitor(name="batch", kind="tcp", host="127.0.0.1", port=80, interval=60,
                                   confirmations=1, slo_target=Decimal("99.9")))
    at = checks(monitor, timezone.now() - timedelta(hours=1), 50, ok=True)
    at = checks(monitor, at, 10, ok=False)
    assert evaluate_objectives(now=at) == ["batch"]
    monitor_pause(monitor)
    assert evaluate_objectives(now=at) == ["batch"]
    assert Incident.objects.get(dedup_key=f"{monitor.source_key}:slo").resolved_at is not None
    assert evaluate_objectives(now=at) == []
