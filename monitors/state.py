"""The state machine: pure functions from (current state, outcome) to the next state and its events."""

from typing import NamedTuple

from monitors.kinds import KINDS
from monitors.models import Status


class Step(NamedTuple):
    status: str
    consecutive_failures: int


def next_step(*, status, failures, ok, response_time_ms, slow_ms, confirmations, healthy=True):
    """Where one verdict moves a monitor.

    A failure is `seems_down` until `confirmations` failures in a row; a monitor that is
    already down stays down on the next failure. Slow (or not healthy) but successful is
    `degraded`.
    """
    if ok:
        slow = slow_ms is not None and response_time_ms is not None and response_time_ms > slow_ms
        return Step(Status.DEGRADED if slow or not healthy else Status.UP, 0)
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
        events.append((getattr(KINDS[kind], "DOWN_EVENT", "monitor_down"), "down"))
    if new == Status.DEGRADED and old != Status.DEGRADED:
        events.append(("monitor_degraded", "degraded"))
    return events


# Flapping ------------------------------------------------------------------------

FLAP_WINDOW = 21  # checks remembered: 20 transitions between them
FLAP_TRANSITIONS = FLAP_WINDOW - 1


def flap_history_after(history, status):
    """The history with one more check appended: "d" for down, "u" for anything else
    (seems down is not down), keeping the last FLAP_WINDOW."""
    return (history + ("d" if status == Status.DOWN else "u"))[-FLAP_WINDOW:]


def flap_percent(history):
    """The weighted share of state changes over the window, in the manner of Nagios: the
    oldest of the 20 transitions weighs 0.8 and the newest 1.2, so recent changes count
    more. A short history is read as the end of a full window (nothing changed before it)."""
    changes = [older != newer for older, newer in zip(history, history[1:])]
    first = FLAP_TRANSITIONS - len(changes)
    weighted = sum(_weight(first + i) for i, changed in enumerate(changes) if changed)
    return 100 * weighted / FLAP_TRANSITIONS


def _weight(position):
    return 0.8 + 0.4 * position / (FLAP_TRANSITIONS - 1)


def is_flapping(*, was_flapping, percent, start, stop):
    """Hysteresis: start above `start`, stop only below `stop`."""
    return percent >= stop if was_flapping else percent > start
