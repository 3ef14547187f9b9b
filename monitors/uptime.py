"""Reading history back: uptime and response time per window, objectives, recent results.

Everything is read from the rollups (the last day from hourly rows, longer windows from
daily rows), so the cost does not depend on how much raw history is kept. Windows of N
days are the last N UTC days, today included.
"""

from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import F, IntegerField, Q, Sum, Value
from django.utils import timezone

from monitors.history import day_of, hour_of, uptime_percent
from monitors.models import DailyRollup, HourlyRollup

DAY_WINDOWS = (7, 30, 90)


class Window(NamedTuple):
    up_seconds: float = 0.0
    down_seconds: float = 0.0

    @property
    def uptime(self):
        return uptime_percent(self.up_seconds, self.down_seconds)

    @property
    def percent(self):
        """The uptime as shown: rounded to four decimals, None for nothing monitored."""
        value = self.uptime
        return None if value is None else round(value, 4)


class Summary(NamedTuple):
    windows: dict  # "24h", "7d", "30d", "90d" → Window
    response_ms_24h: float | None

    def uptime(self, window):
        return self.windows[window].percent


EMPTY = Summary({key: Window() for key in ("24h", *(f"{days}d" for days in DAY_WINDOWS))}, None)


def summaries(monitor_ids=None, *, now=None):
    """{monitor id: Summary} for these monitors (None: all) in two queries."""
    now = now or timezone.now()
    found = {}
    for row in _hourly(monitor_ids, now):
        count = row["latency_count"]
        found[row["monitor_key"]] = Summary(
            {**EMPTY.windows, "24h": Window(row["up"] or 0.0, row["down"] or 0.0)},
            row["latency_sum"] / count if count else None,
        )
    for row in _daily(monitor_ids, now):
        summary = found.get(row["monitor_key"], EMPTY)
        days = {f"{d}d": Window(row[f"up{d}"] or 0.0, row[f"down{d}"] or 0.0) for d in DAY_WINDOWS}
        found[row["monitor_key"]] = summary._replace(windows={**summary.windows, **days})
    return found


def _for(model, monitor_ids):
    rows = model.objects.all()
    return rows if monitor_ids is None else rows.filter(monitor_id__in=monitor_ids)


def _per_monitor(rows):
    """Rows grouped by monitor through an expression (`monitor_id + 0`), so that the
    database reads them by their `start` range and sorts the few it finds. Grouped by the
    bare column, SQLite without statistics walks the whole (monitor, start) index instead,
    reading every row ever kept to sum the last day's: seconds instead of milliseconds for
    1,000 monitors × 90 days (docs/BENCHMARKS.md, "SQLite's 24 h query")."""
    return rows.annotate(monitor_key=F("monitor_id") + Value(0, output_field=IntegerField())).values("monitor_key")


def _hourly(monitor_ids, now):
    since = hour_of(now) - timedelta(hours=23)
    return (
        _per_monitor(_for(HourlyRollup, monitor_ids).filter(start__gte=since))
        .annotate(up=Sum("up_seconds"), down=Sum("down_seconds"),
                  latency_sum=Sum("latency_sum"), latency_count=Sum("latency_count"))
    )


def _daily(monitor_ids, now):
    today = day_of(now)
    sums = {}
    for days in DAY_WINDOWS:
        recent = Q(start__gte=today - timedelta(days=days - 1))
        sums[f"up{days}"] = Sum("up_seconds", filter=recent)
        sums[f"down{days}"] = Sum("down_seconds", filter=recent)
    since = today - timedelta(days=max(DAY_WINDOWS) - 1)
    return _per_monitor(_for(DailyRollup, monitor_ids).filter(start__gte=since)).annotate(**sums)


class Objective(NamedTuple):
    target: Decimal
    window_days: int
    uptime: float | None
    budget_remaining: float | None  # percent of the error budget left; below 0 when overspent


def objective(monitor, summary):
    """Where a monitor stands against its uptime objective, or None without one."""
    if monitor.slo_target is None:
        return None
    window = summary.windows[f"{monitor.slo_window_days}d"]
    return Objective(monitor.slo_target, monitor.slo_window_days, window.uptime,
                     budget_remaining(float(monitor.slo_target), window))


def budget_remaining(target, window):
    """100 with no downtime, 0 when the allowed downtime (1 - target) is spent, negative beyond."""
    monitored = window.up_seconds + window.down_seconds
    if not monitored:
        return None
    allowed = (1 - target / 100) * monitored
    return round(100 * (1 - window.down_seconds / allowed), 2)


def recent_results(monitor_id, limit=20):
    """The newest raw results, newest first, from the last hours that still hold them."""
    entries = []
    for row in HourlyRollup.objects.filter(monitor_id=monitor_id).exclude(results="").order_by("-start")[:limit]:
        entries.extend(reversed(row.entries()))
        if len(entries) >= limit:
            break
    return entries[:limit]
