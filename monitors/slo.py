"""Error-budget burn alerts in the manner of the Google SRE workbook's multi-window,
multi-burn-rate alerts: a monitor "burns" while both a long and a short window spend its
budget faster than a threshold (14.4x over 1 h and 5 min: 2 % of a 30-day budget in an
hour; 6x over 6 h and 30 min: 5 % in six hours). The short window lets the alert stop
soon after the burning does."""

from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from monitors.history import clip, hour_of, seconds_by_category, spans_of, DOWN, UP
from monitors.models import HourlyRollup, Monitor


class BurnAlert(NamedTuple):
    long: timedelta
    short: timedelta
    rate: float


BURN_ALERTS = (
    BurnAlert(timedelta(hours=1), timedelta(minutes=5), 14.4),
    BurnAlert(timedelta(hours=6), timedelta(minutes=30), 6.0),
)
WINDOWS = sorted({window for alert in BURN_ALERTS for window in (alert.long, alert.short)})


def burn_rate(spans, *, start, end, target):
    """How many times faster than allowed the budget burned in [start, end); None with no data."""
    totals = seconds_by_category(filter(None, (clip(span, start, end) for span in spans)))
    monitored = totals[UP] + totals[DOWN]
    if not monitored:
        return None
    return (totals[DOWN] / monitored) / (1 - target / 100)


def burn_rates(spans, *, now, target):
    """{window: burn rate} for each window the alerts use, ending now."""
    return {window: burn_rate(spans, start=now - window, end=now, target=target) for window in WINDOWS}


def is_burning(rates, *, was_burning=False):
    """Burning while some alert's long and short windows both burn at its rate. A short
    window with no data (a monitor checked every 10 minutes has none in 5) is no news: it
    keeps whatever was decided before, so the alert does not flap between checks."""
    def fires(alert):
        short = rates[alert.short]
        return (rates[alert.long] or 0) >= alert.rate and (was_burning if short is None else short >= alert.rate)

    return any(fires(alert) for alert in BURN_ALERTS)


def recent_spans(monitors, now):
    """{monitor id: spans} over the longest window, from the hourly rows' raw results."""
    since = hour_of(now - max(WINDOWS))
    entries = {}
    for row in HourlyRollup.objects.filter(monitor__in=monitors, start__gte=since).order_by("start"):
        entries.setdefault(row.monitor_id, []).extend(row.entries())
    return {monitor.pk: spans_of(entries.get(monitor.pk, []), interval=monitor.interval) for monitor in monitors}


def evaluate_objectives(now=None):
    """Periodic: emit `slo_burn` when a monitor starts burning its budget fast and
    `slo_burn_stopped` when it stops. Each change is claimed with a conditional UPDATE,
    so two clusters running this at once emit it once."""
    now = now or timezone.now()
    monitors = list(Monitor.objects.active().filter(slo_target__isnull=False))
    spans = recent_spans(monitors, now)
    changed = []
    for monitor in monitors:
        rates = burn_rates(spans[monitor.pk], now=now, target=float(monitor.slo_target))
        burning = is_burning(rates, was_burning=monitor.slo_burning)
        if burning != monitor.slo_burning and _claim(monitor, burning, rates, now):
            changed.append(monitor.name)
    # Paused, or the objective removed, while burning: nothing will measure it any more.
    for monitor in Monitor.objects.filter(slo_burning=True).filter(Q(paused=True) | Q(slo_target__isnull=True)):
        if _claim(monitor, False, {window: None for window in WINDOWS}, now):
            changed.append(monitor.name)
    return changed


@transaction.atomic
def _claim(monitor, burning, rates, now):
    if not Monitor.objects.filter(pk=monitor.pk, slo_burning=not burning).update(slo_burning=burning):
        return False
    receive_events([_event(monitor, burning, rates, now)])
    return True


def _event(monitor, burning, rates, now):
    shown = {label(window): None if rate is None else round(rate, 1) for window, rate in rates.items()}
    if burning:
        summary = f"{monitor.name} is burning its {monitor.slo_target}% error budget fast"
    elif monitor.paused or monitor.slo_target is None:
        summary = f"{monitor.name} is no longer measured against an objective"
    else:
        summary = f"{monitor.name} stopped burning its error budget fast"
    return NewEvent(
        kind="slo_burn" if burning else "slo_burn_stopped",
        source_key=monitor.source_key,
        severity=monitor.severity,
        summary=summary,
        dedup_key=f"{monitor.source_key}:slo",
        occurred_at=now,
        details={"monitor": monitor.name, "target": None if monitor.slo_target is None else str(monitor.slo_target),
                 "window_days": monitor.slo_window_days, "burn_rates": shown},
    )


def label(window):
    minutes = int(window.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"
