"""Rollups updated as results arrive: each recorded check adds itself to its hour and day,
and the span since the monitor's previous check to the hours and days it crossed."""

from typing import NamedTuple

from monitors.history import DAY, HOUR, Entry, day_of, hour_of, span_between, split
from monitors.models import DailyRollup, HourlyRollup

ROLLUP_FIELDS = [
    *HourlyRollup.SUM_FIELDS, "latency_max", "latency_p95", "gauge_max",
]


class Recorded(NamedTuple):
    monitor_id: int
    interval: int
    previous: Entry | None  # the monitor's previous check, as it left the monitor
    entry: Entry
    gauge: float | None = None  # the checker's Outcome.gauge


def add_to_rollups(recorded):
    """Fold a batch of checks into their rollups with one read and one upsert per table.

    Callers hold the monitors' rows locked (the engine's recording transaction), so no
    other writer changes these rollup rows meanwhile.
    """
    if not recorded:
        return
    for model, unit, floor in ((HourlyRollup, HOUR, hour_of), (DailyRollup, DAY, day_of)):
        rows = _load(model, recorded, unit, floor)
        for item in recorded:
            span = span_between(item.previous, item.entry.at, interval=item.interval)
            for start, seconds in split(span, unit) if span else ():
                _row(rows, model, item.monitor_id, start).add_span(span.category, seconds)
            _row(rows, model, item.monitor_id, floor(item.entry.at)).add_check(item.entry, item.gauge)
        _upsert(model, rows.values())


def _load(model, recorded, unit, floor):
    """The rows this batch touches: each check's own, and every one its span crosses."""
    starts = {floor(item.entry.at) for item in recorded}
    for item in recorded:
        span = span_between(item.previous, item.entry.at, interval=item.interval)
        if span:
            starts.update(start for start, _ in split(span, unit))
    existing = model.objects.filter(monitor_id__in={item.monitor_id for item in recorded}, start__in=starts)
    return {(row.monitor_id, row.start): row for row in existing}


def _row(rows, model, monitor_id, start):
    key = (monitor_id, start)
    if key not in rows:
        rows[key] = model(monitor_id=monitor_id, start=start)
    return rows[key]


def _upsert(model, rows):
    rows = list(rows)
    for row in rows:
        row.pk = None  # conflicts are on (monitor, start), not on the id
    own = ["results"] if model is HourlyRollup else ["latency_hist"]
    model.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["monitor", "start"], update_fields=ROLLUP_FIELDS + own
    )
