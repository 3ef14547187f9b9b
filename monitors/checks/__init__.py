"""Pure checkers, one module per kind: each takes a monitor's settings and returns an Outcome.

They never write to the database or send a message; `monitors.engine` does that.
"""

import time

from monitors.checks.base import Outcome


def run_check(monitor, now=None):
    """Run the checker for `monitor.kind`; an unexpected error is a failed check, not a crash."""
    from monitors.checks import heartbeat, http, postgres, tcp, tls

    checkers = {
        "http": http.check,
        "tcp": tcp.check,
        "tls": tls.check,
        "heartbeat": heartbeat.check,
        "postgres": postgres.check,
    }
    started = time.monotonic()
    try:
        if monitor.kind == "heartbeat":
            return heartbeat.check(monitor, now=now)
        return checkers[monitor.kind](monitor)
    except Exception as exc:  # a checker bug must not stop the runner
        elapsed = (time.monotonic() - started) * 1000
        return Outcome.down(f"check error: {type(exc).__name__}: {exc}", response_time_ms=elapsed)
