"""The state machine as pure functions."""

from monitors.models import Status
from monitors.state import events_for_change, next_step


def step(status, failures, ok, confirmations=2, ms=50.0, slow_ms=None, healthy=True):
    return next_step(
        status=status, failures=failures, ok=ok, response_time_ms=ms, slow_ms=slow_ms, confirmations=confirmations,
        healthy=healthy,
    )


def test_first_failure_only_seems_down():
    assert step(Status.UP, 0, ok=False) == (Status.SEEMS_DOWN, 1)


def test_confirmed_failure_is_down():
    assert step(Status.SEEMS_DOWN, 1, ok=False) == (Status.DOWN, 2)


def test_one_confirmation_goes_down_at_once():
    assert step(Status.UP, 0, ok=False, confirmations=1) == (Status.DOWN, 1)


def test_down_stays_down_and_keeps_counting():
    assert step(Status.DOWN, 5, ok=False, confirmations=2) == (Status.DOWN, 6)


def test_an_answer_that_is_not_healthy_is_degraded_and_resets_failures():
    assert step(Status.SEEMS_DOWN, 1, ok=True, healthy=False) == (Status.DEGRADED, 0)
    assert step(Status.DEGRADED, 0, ok=True) == (Status.UP, 0)


def test_success_resets_failures():
    assert step(Status.SEEMS_DOWN, 1, ok=True) == (Status.UP, 0)


def test_slow_success_is_degraded():
    assert step(Status.UP, 0, ok=True, ms=900.0, slow_ms=500) == (Status.DEGRADED, 0)
    assert step(Status.UP, 0, ok=True, ms=400.0, slow_ms=500) == (Status.UP, 0)


def test_seems_down_alerts_nobody():
    assert events_for_change(kind="http", old=Status.UP, new=Status.SEEMS_DOWN) == []
    assert events_for_change(kind="http", old=Status.SEEMS_DOWN, new=Status.UP) == []


def test_down_and_recovery_share_a_family():
    assert events_for_change(kind="http", old=Status.SEEMS_DOWN, new=Status.DOWN) == [("monitor_down", "down")]
    assert events_for_change(kind="http", old=Status.DOWN, new=Status.UP) == [("monitor_up", "down")]


def test_missed_heartbeat_has_its_own_kind():
    assert events_for_change(kind="heartbeat", old=Status.UP, new=Status.DOWN) == [("heartbeat_missed", "down")]


def test_down_to_degraded_recovers_and_reports_slowness():
    assert events_for_change(kind="http", old=Status.DOWN, new=Status.DEGRADED) == [
        ("monitor_up", "down"),
        ("monitor_degraded", "degraded"),
    ]
    assert events_for_change(kind="http", old=Status.DEGRADED, new=Status.UP) == [("monitor_up", "degraded")]
