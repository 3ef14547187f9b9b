"""Heartbeat: up while pings arrive within period + grace."""

from django.utils import timezone

from monitors.checks.base import Outcome


def check(monitor, now=None):
    now = now or timezone.now()
    deadline = monitor.heartbeat_deadline()
    pinged = monitor.last_ping_at is not None and monitor.last_ping_at >= monitor.monitoring_since
    if pinged and monitor.last_ping_kind == "fail":
        return Outcome.down(f"the job reported failure at {monitor.last_ping_at:%Y-%m-%d %H:%M:%S}")
    if now <= deadline:
        if not pinged:
            return Outcome.pending("waiting for the first ping")
        return Outcome.up(detail=f"last ping {monitor.last_ping_at:%Y-%m-%d %H:%M:%S}")
    if not pinged:
        return Outcome.down(f"no ping since monitoring started (expected every {monitor.period}s)")
    return Outcome.down(
        f"no ping since {monitor.last_ping_at:%Y-%m-%d %H:%M:%S} "
        f"(expected every {monitor.period}s, {monitor.grace or 0}s grace)"
    )
