"""History math, pure: check results packed per hour, time spans between checks, sums,
latency percentiles and uptime. The engine, the rollups, the uptime queries, the SLO job
and the benchmark all count time with these functions."""

import bisect
import json
import math
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from core.stats import percentile  # noqa: F401 (the app's percentile, read as history.percentile)
from monitors.models.monitor import STATUS_CODES, Status

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
UP, DOWN, MAINTENANCE = "up", "down", "maintenance"
# A span between two checks longer than this many intervals is a gap with no data (no
# cluster was running): it counts neither as up nor as down.
GAP_INTERVALS = 2

STATUS_OF_CODE = {code: status for status, code in STATUS_CODES.items()}
OK_STATUSES = {Status.UP, Status.DEGRADED}
COUNTED_STATUSES = {Status.UP, Status.DEGRADED, Status.SEEMS_DOWN, Status.DOWN}


class Entry(NamedTuple):
    """One check: when, the monitor's status after it, latency, error text, and whether a
    maintenance window covered it."""

    at: datetime
    status: str
    latency_ms: float | None = None
    detail: str = ""
    maintenance: bool = False


class Span(NamedTuple):
    start: datetime
    end: datetime
    category: str  # UP, DOWN or MAINTENANCE

    @property
    def seconds(self):
        return (self.end - self.start).total_seconds()


def is_ok(status):
    return status in OK_STATUSES


def hour_of(at):
    return at.replace(minute=0, second=0, microsecond=0)


def day_of(at):
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# Spans -------------------------------------------------------------------------


def span_between(previous, at, *, interval):
    """The span from the previous check to this one, counted by what the previous check
    left the monitor in: maintenance if a window covered it, down only when confirmed down
    (`seems_down` is not down yet; degraded is up). None for no data: no previous check,
    a status that is not checked (paused, never checked), or a gap over GAP_INTERVALS."""
    if previous is None or previous.status not in COUNTED_STATUSES:
        return None
    seconds = (at - previous.at).total_seconds()
    if seconds <= 0 or seconds > GAP_INTERVALS * interval:
        return None
    if previous.maintenance:
        category = MAINTENANCE
    else:
        category = DOWN if previous.status == Status.DOWN else UP
    return Span(previous.at, at, category)


def spans_of(entries, *, interval):
    """Every span between consecutive entries (sorted by time)."""
    spans = (span_between(before, after.at, interval=interval) for before, after in zip(entries, entries[1:]))
    return [span for span in spans if span]


def split(span, unit):
    """(bucket start, seconds) pieces of a span cut at hour (`HOUR`) or UTC day (`DAY`) boundaries."""
    floor = hour_of if unit == HOUR else day_of
    pieces, start = [], span.start
    while start < span.end:
        end = min(floor(start) + unit, span.end)
        pieces.append((floor(start), (end - start).total_seconds()))
        start = end
    return pieces


def clip(span, start, end):
    """The part of a span inside [start, end), or None."""
    lo, hi = max(span.start, start), min(span.end, end)
    return Span(lo, hi, span.category) if lo < hi else None


def seconds_by_category(spans):
    totals = {UP: 0.0, DOWN: 0.0, MAINTENANCE: 0.0}
    for span in spans:
        totals[span.category] += span.seconds
    return totals


def uptime_percent(up_seconds, down_seconds):
    """Up time over monitored time, in percent; None when nothing was monitored."""
    monitored = up_seconds + down_seconds
    return 100 * up_seconds / monitored if monitored else None


# Packing an hour's results -----------------------------------------------------------


def pack(entries, hour):
    """Compact JSON: [milliseconds into the hour, status code, latency, maintenance, detail],
    trailing defaults left out. About 17 bytes a check that succeeded in under 100 ms
    (`[1234567,2,83.4]` and a comma)."""
    return json.dumps([_packed_row(entry, hour) for entry in entries], separators=(",", ":"))


def packed_rows(text):
    """A packed hour as its rows, for `append` and `latencies_of`."""
    return json.loads(text) if text else []


def append(rows, entry, hour):
    """Put one more entry into an hour's packed rows (kept in time order) and return the
    packed text, as `pack` would write the lot: the hour is parsed once per check, and no
    entry is built for the checks already in it."""
    row = _packed_row(entry, hour)
    rows.insert(bisect.bisect_right(rows, row[0], key=lambda packed: packed[0]), row)
    return json.dumps(rows, separators=(",", ":"))


def latencies_of(rows):
    return [row[2] for row in rows if len(row) > 2 and row[2] is not None]


def _packed_row(entry, hour):
    row = [
        round((entry.at - hour).total_seconds() * 1000),
        STATUS_CODES[entry.status],
        None if entry.latency_ms is None else round(entry.latency_ms, 1),
        int(entry.maintenance),
        entry.detail,
    ]
    while len(row) > 2 and _is_default(row[-1], PACK_DEFAULTS[len(row) - 3]):
        row.pop()
    return row


PACK_DEFAULTS = (None, 0, "")  # latency, maintenance, detail: left out when trailing


def _is_default(value, default):
    """A latency of 0.0 is a measurement, not the missing latency."""
    return value is None if default is None else (type(value) is type(default) and value == default)


def unpack(text, hour):
    if not text:
        return []
    entries = []
    for offset, code, *rest in json.loads(text):
        latency, maintenance, detail = (rest + [None, 0, ""][len(rest):])[:3]
        entries.append(
            Entry(hour + timedelta(milliseconds=offset), STATUS_OF_CODE[code], latency, detail or "", bool(maintenance))
        )
    return entries


# Latency -----------------------------------------------------------------------


class Histogram:
    """Latency counts in buckets 5 % wide (bucket k holds (1.05^(k-1), 1.05^k] ms; bucket 0
    everything up to 1 ms). A percentile is read as its bucket's upper bound, so it is at
    most 5 % above the exact one. Stored as compact JSON {bucket: count}."""

    GROWTH = 1.05

    def __init__(self, counts=None):
        self.counts = counts or {}

    @classmethod
    def loads(cls, text):
        return cls({int(k): v for k, v in json.loads(text).items()} if text else {})

    def dumps(self):
        return json.dumps({str(k): v for k, v in sorted(self.counts.items())}, separators=(",", ":"))

    @classmethod
    def bucket(cls, value):
        return 0 if value <= 1 else math.ceil(math.log(value) / math.log(cls.GROWTH) - 1e-9)

    def add(self, value, count=1):
        key = self.bucket(value)
        self.counts[key] = self.counts.get(key, 0) + count

    def merge(self, other):
        for key, count in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count

    def percentile(self, percent):
        total = sum(self.counts.values())
        if not total:
            return None
        keys = sorted(self.counts)
        cumulative = []
        running = 0
        for key in keys:
            running += self.counts[key]
            cumulative.append(running)
        index = bisect.bisect_left(cumulative, math.ceil(percent / 100 * total))
        return round(self.GROWTH ** keys[index], 1) if keys[index] else 1.0
