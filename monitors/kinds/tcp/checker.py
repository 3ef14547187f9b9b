"""TCP: the port accepts a connection within the timeout."""

from core import net
from monitors.checks.base import Outcome


def check(monitor, now=None):
    """response_time_ms is the time to resolve the host and complete the TCP handshake."""
    if not monitor.host or not monitor.port:
        return Outcome.down("no host or port to check")
    with net.Deadline(monitor.timeout) as deadline:
        try:
            sock = net.connect(monitor.host, monitor.port, deadline=deadline)
        except OSError as exc:
            return Outcome.down(net.describe_error(exc, deadline), response_time_ms=deadline.elapsed_ms())
        elapsed = deadline.elapsed_ms()
        sock.close()
    return Outcome.up(response_time_ms=elapsed, detail=f"port {monitor.port} open")
