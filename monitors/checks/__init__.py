"""Pure checkers, one module per kind: each takes a monitor's settings and returns an Outcome.

They never write to the database or send a message; `monitors.engine` does that.
"""

import logging
import time
from importlib import import_module

from monitors.checks.base import Outcome

log = logging.getLogger(__name__)


def checker_for(kind):
    """`monitors.checks.<kind>.check`; a heartbeat's checker also takes `now`."""
    return import_module(f"monitors.checks.{kind}").check


def run_check(monitor, now=None):
    """Run the checker for `monitor.kind`; an unexpected error is a failed check, not a crash."""
    started = time.monotonic()
    try:
        check = checker_for(monitor.kind)
        return check(monitor, now=now) if monitor.kind == "heartbeat" else check(monitor)
    except Exception as exc:  # a checker bug must not stop the runner
        # Only the type: an unexpected message may quote a URL or DSN. The log (and
        # Sentry, through the logging integration) gets the traceback for us to fix.
        log.error("the %s checker failed on monitor %s", monitor.kind, monitor.pk, exc_info=True)
        elapsed = (time.monotonic() - started) * 1000
        return Outcome.down(f"check error: {type(exc).__name__}", response_time_ms=elapsed)
