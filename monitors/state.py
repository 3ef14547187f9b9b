"""The state machine: pure functions from (current state, outcome) to the next state and its events."""

from typing import NamedTuple

from monitors.models import Kind, Status

class Step(NamedTuple):
    status: str
    consecutive_failures: int


def next_step(*, status, failures, ok, response_time_ms, slow_ms, confirmations):
    """Where one verdict moves a monitor.

    A failure is `seems_down` until `confirmations` failures in a row; a monitor that is
    already down stays down on the next failure. Slow but successful is `degraded`.
    """
    if ok:
        slow = slow_ms is not None and response_time_ms is not None and response_time_ms > slow_ms
        return Step(Status.DEGRADED if slow else Status.UP, 0)
    failures += 1
    if status == Status.DOWN or failures >= confirmations:
        return Step(Status.DOWN, failures)
    return Step(Status.SEEMS_DOWN, failures)


def events_for_change(*, kind, old, new):
    """The alertable events of a status change, as (event kind, problem family) pairs.

    A problem and its recovery share a family, so the recovery finds what the problem
    opened. `seems_down` alerts nobody; leaving it for up is not a recovery.
    """
    events = []
    if old == Status.DOWN and new in (Status.UP, Status.DEGRADED):
        events.append(("monitor_up", "down"))
    if old == Status.DEGRADED and new == Status.UP:
        events.append(("monitor_up", "degraded"))
    if new == Status.DOWN and old != Status.DOWN:
        events.append(("heartbeat_missed" if kind == Kind.HEARTBEAT else "monitor_down", "down"))
    if new == Status.DEGRADED and old != Status.DEGRADED:
        events.append(("monitor_degraded", "degraded"))
    return events
