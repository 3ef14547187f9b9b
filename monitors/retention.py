"""Daily pruning: raw results after RESULTS_RETENTION_DAYS, rollups and state changes after
ROLLUP_RETENTION_DAYS. One hour (or day) of rows per statement, each in its own short
transaction with a pause between, so check runners never wait long for the database."""

import time
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from monitors.history import DAY, HOUR, day_of, hour_of
from monitors.models import DailyRollup, HourlyRollup, StateChange

PAUSE_SECONDS = 0.02
STATE_CHANGE_BATCH = 5000


class Pruned(NamedTuple):
    hourly_rows: int  # deleted
    daily_rows: int  # deleted
    raw_emptied: int  # hourly rows whose raw results were dropped
    state_changes: int  # deleted


def prune_history(now=None, *, pause=PAUSE_SECONDS):
    now = now or timezone.now()
    raw_cutoff = hour_of(now - timedelta(days=settings.RESULTS_RETENTION_DAYS))
    rollup_cutoff = now - timedelta(days=settings.ROLLUP_RETENTION_DAYS)
    hourly = _each_period(HourlyRollup.objects.filter(start__lt=hour_of(rollup_cutoff)), HOUR,
                          lambda rows: rows.delete()[0], pause)
    daily = _each_period(DailyRollup.objects.filter(start__lt=day_of(rollup_cutoff)), DAY,
                         lambda rows: rows.delete()[0], pause)
    raw = _each_period(
        HourlyRollup.objects.filter(start__lt=raw_cutoff).exclude(results=""), HOUR,
        lambda rows: rows.update(results=""), pause,
    )
    return Pruned(hourly, daily, raw, _prune_state_changes(rollup_cutoff, pause))


def _each_period(rows, unit, action, pause):
    """Apply `action` to the rows one period (hour or day) at a time, oldest first."""
    done = 0
    start = rows.order_by("start").values_list("start", flat=True).first()
    while start is not None:
        done += action(rows.filter(start__gte=start, start__lt=start + unit))
        time.sleep(pause)
        start = rows.filter(start__gte=start + unit).order_by("start").values_list("start", flat=True).first()
    return done


def _prune_state_changes(cutoff, pause):
    done = 0
    while True:
        ids = list(StateChange.objects.filter(changed_at__lt=cutoff).values_list("pk", flat=True)[:STATE_CHANGE_BATCH])
        if not ids:
            return done
        done += StateChange.objects.filter(pk__in=ids).delete()[0]
        time.sleep(pause)
