"""Daily pruning: raw results go after RESULTS_RETENTION_DAYS, rollups stay until ROLLUP_RETENTION_DAYS."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.history import Entry, hour_of
from monitors.models import DailyRollup, HourlyRollup, Monitor, StateChange
from monitors.retention import prune_history
from monitors.rollups import Recorded, add_to_rollups
from monitors.services import monitor_save
from monitors.uptime import summaries

pytestmark = pytest.mark.django_db


def history(monitor, days_ago, checks=3):
    """A few checks a minute apart, `days_ago` days back."""
    start = hour_of(timezone.now()) - timedelta(days=days_ago)
    previous = None
    for i in range(checks):
        entry = Entry(start + timedelta(minutes=i), "up" if i else "down", 10.0 + i, "" if i else "refused")
        add_to_rollups([Recorded(monitor.pk, 60, previous, entry)])
        previous = entry


def test_pruning_empties_old_raw_results_keeps_their_rollups_and_drops_rollups_past_retention(settings):
    settings.RESULTS_RETENTION_DAYS, settings.ROLLUP_RETENTION_DAYS = 30, 400
    monitor = monitor_save(Monitor(name="web", kind="tcp", host="127.0.0.1", port=80))
    for days_ago in (1, 31, 95, 401):
        history(monitor, days_ago)
    StateChange.objects.create(monitor=monitor, from_status="up", to_status="down",
                               changed_at=timezone.now() - timedelta(days=401))
    before = {row.start: (row.checks, row.up_seconds, row.down_seconds) for row in HourlyRollup.objects.all()}
    uptime_90d = summaries([monitor.pk])[monitor.pk].uptime("90d")

    pruned = prune_history()

    assert pruned == (1, 1, 2, 1)
    rows = {row.start: row for row in HourlyRollup.objects.order_by("start")}
    quarter, month, recent = sorted(rows)
    assert len(rows[recent].entries()) == 3
    assert rows[month].results == "" and rows[quarter].results == ""
    assert {start: (row.checks, row.up_seconds, row.down_seconds) for start, row in rows.items()} == {
        start: before[start] for start in rows
    }
    assert DailyRollup.objects.count() == 3
    assert not StateChange.objects.filter(changed_at__lt=timezone.now() - timedelta(days=400)).exists()
    assert summaries([monitor.pk])[monitor.pk].uptime("90d") == uptime_90d


def test_pruning_twice_changes_nothing_more():
    monitor = monitor_save(Monitor(name="web", kind="tcp", host="127.0.0.1", port=80))
    history(monitor, 40)
    assert prune_history().raw_emptied == 1
    assert prune_history() == (0, 0, 0, 0)
