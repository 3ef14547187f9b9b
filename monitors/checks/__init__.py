"""Running checks: every kind's checker (`monitors.kinds.<kind>.check`) through one door.

Checkers are pure: they take a monitor's settings and return an Outcome, and never write
to the database or send a message; `monitors.engine` does that.
"""

import logging
import time

from django.utils import timezone

from monitors.checks.base import Outcome
from monitors.kinds import KINDS

log = logging.getLogger(__name__)


def prepare():
    """Pay the one-time costs (imports, ~75 ms of loading CA certificates) up front, so
    they are not timed as the first checks' response time and a runner's first burst of
    threads does not pay them all at once."""
    from core import net

    for kind in KINDS:
        KINDS[kind]
    for verify in (True, False):
        net.tls_context(verify=verify)
        net.tls_context(verify=verify, alpn=net.HTTP_ALPN)


def run_check(monitor, now=None):
    """Run the checker of `monitor.kind`; an unexpected error is a failed check, not a crash."""
    started = time.monotonic()
    try:
        return KINDS[monitor.kind].check(monitor, now or timezone.now())
    except Exception as exc:  # a checker bug must not stop the runner
        # Only the type: an unexpected message may quote a URL or DSN. The log (and
        # Sentry, through the logging integration) gets the traceback for us to fix.
        log.error("the %s checker failed on monitor %s", monitor.kind, monitor.pk, exc_info=True)
        elapsed = (time.monotonic() - started) * 1000
        return Outcome.down(f"check error: {type(exc).__name__}", response_time_ms=elapsed)
