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


def prepare():
    """Pay the one-time costs (imports, ~75 ms of loading CA certificates) up front, so
    they are not timed as the first checks' response time and a runner's first burst of
    threads does not pay them all at once."""
    from core import net
    from monitors.models import Kind

    for kind in Kind.values:
        checker_for(kind)
    for verify in (True, False):
        net.tls_context(verify=verify)
        net.tls_context(verify=verify, alpn=net.HTTP_ALPN)


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
