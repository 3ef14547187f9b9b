"""The Database panel (dashboard and internal status page): each PostgreSQL monitor's
connections in use of `max_connections`, now and hour by hour over the last 24 hours.

The figures are the ones the postgres checker already collects; the trend is each hour's
highest reading (`HourlyRollup.gauge_max`), read in one query for every database.
"""

from collections import defaultdict
from typing import NamedTuple

from django.utils.html import format_html

from monitors.history import HOUR, hour_of
from monitors.models import HourlyRollup

TREND_HOURS = 24
TREND_STEP = 10  # SVG units between hours
TREND_HEIGHT = 40
BUSY_PERCENT = 80  # connections in use above this share of max_connections are flagged


class DatabaseRow(NamedTuple):
    name: str
    status: str
    status_label: str
    connections: int | None
    max_connections: int | None
    trend: tuple  # TREND_HOURS hourly peaks, oldest first (None: no check that hour)

    @property
    def percent(self):
        if self.connections is None or not self.max_connections:
            return None
        return round(100 * self.connections / self.max_connections)

    @property
    def busy(self):
        return self.percent is not None and self.percent >= BUSY_PERCENT

    @property
    def trend_peak(self):
        return max((value for value in self.trend if value is not None), default=None)

    @property
    def trend_svg(self):
        return trend_svg(self.trend, self.max_connections, self.name)


def database_rows(monitor_rows, now):
    """The PostgreSQL monitors among the dashboard's monitor rows, with their 24 h trend."""
    databases = [row for row in monitor_rows if row.monitor.kind == "postgres"]
    trends = _hourly_peaks([row.monitor.pk for row in databases], now)
    return [
        DatabaseRow(
            row.monitor.name, row.status, row.status_label,
            row.monitor.last_facts.get("connections"), row.monitor.last_facts.get("max_connections"),
            trends[row.monitor.pk],
        )
        for row in databases
    ]


def _hourly_peaks(ids, now):
    first_hour = hour_of(now) - (TREND_HOURS - 1) * HOUR
    peaks = defaultdict(lambda: [None] * TREND_HOURS)
    if ids:
        found = HourlyRollup.objects.filter(monitor_id__in=ids, start__gte=first_hour, gauge_max__isnull=False)
        for monitor_id, start, peak in found.values_list("monitor_id", "start", "gauge_max"):
            index = int((start - first_hour) / HOUR)
            if 0 <= index < TREND_HOURS:
                peaks[monitor_id][index] = peak
    return defaultdict(lambda: (None,) * TREND_HOURS, {key: tuple(value) for key, value in peaks.items()})


def trend_path(values, ceiling):
    """SVG path data of hourly values scaled to `ceiling` (max_connections, else the peak).
    An hour without a reading breaks the line; a lone reading is a dot (h0, round caps)."""
    top = ceiling or max((value for value in values if value is not None), default=0) or 1
    segments = [[]]
    for index, value in enumerate(values):
        if value is None:
            segments.append([])
        else:
            y = round(TREND_HEIGHT - 1 - min(value, top) / top * (TREND_HEIGHT - 2), 1)
            segments[-1].append(f"{index * TREND_STEP} {y}")
    return "".join("M" + " ".join(points) + ("h0" if len(points) == 1 else "") for points in segments if points)


def trend_svg(values, ceiling, name):
    path = trend_path(values, ceiling)
    if not path:
        return ""
    return format_html(
        '<svg class="db-trend" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" aria-label="{}">'
        '<path d="{}"/></svg>',
        TREND_STEP * (TREND_HOURS - 1), TREND_HEIGHT, f"Connections in use of {name}, hourly peak over 24 hours", path,
    )
