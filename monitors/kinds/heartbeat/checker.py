"""Heartbeat: up while pings arrive within period + grace."""

from django.utils import timezone

from monitors.checks.base import Outcome


def check(monitor, now=None):
    now = now or timezone.now()
    deadline = monitor.deadline()
    pinged = monitor.last_ping_at is not None and monitor.last_ping_at >= monitor.monitoring_since
    if pinged and monitor.last_ping_kind == "fail":
        return Outcome.down(f"the job reported failure at {monitor.last_ping_at:%Y-%m-%d %H:%M:%S}")
    if now <= deadline:
        if not pinged:
            return Outcome.pending("waiting for the first ping")
        return Outcome.up(detail=f"last ping {monitor.last_ping_at:%Y-%m-%d %H:%M:%S}", **_run_time(monitor))
    if not pinged:
        return Outcome.down(f"no ping since monitoring started (expected every {monitor.period}s)")
    return Outcome.down(
        f"no ping since {monitor.last_ping_at:%Y-%m-%d %H:%M:%S} "
        f"(expected every {monitor.period}s, {monitor.grace or 0}s grace)"
    )


def _run_time(monitor):
    """How long the last run took, when it reported its start (/start) in this period."""
    if monitor.last_start_at is None:
        return {}
    took = (monitor.last_ping_at - monitor.last_start_at).total_seconds()
    if 0 <= took <= (monitor.period or 0) + (monitor.grace or 0):
        return {"run_seconds": round(took, 3)}
    return {}
