"""The engine: claiming, recording, state changes and the events they hand to incidents."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Event
from monitors.checks.base import Outcome
from monitors.engine import claim_due, next_due, record_outcomes
from monitors.models import Monitor, StateChange, Status
from monitors.services import monitor_pause, monitor_save
from tests.support.results import all_results

pytestmark = pytest.mark.django_db


def make_tcp(name="db-port", **fields):
    return monitor_save(Monitor(name=name, kind="tcp", host="127.0.0.1", port=5432, **fields))


def record(monitor, ok, at, ms=12.0, detail=""):
    outcome = Outcome.up(ms, detail) if ok else Outcome.down(detail or "connection refused", ms)
    return record_outcomes([(monitor, outcome, at)])


def test_a_claimed_monitor_is_not_due_for_anyone_else():
    monitor = make_tcp()
    due = monitor.next_check_at
    now = timezone.now()
    assert [m.pk for m in claim_due(now=now, limit=10)] == [monitor.pk]
    assert claim_due(now=now, limit=10) == []
    monitor.refresh_from_db()
    assert monitor.next_check_at == due + timedelta(seconds=monitor.interval)


def test_paused_monitors_are_never_claimed():
    monitor = make_tcp()
    monitor_pause(monitor)
    assert claim_due(now=timezone.now() + timedelta(hours=1), limit=10) == []


def test_claim_respects_the_limit_and_due_order():
    first, second = make_tcp("a"), make_tcp("b")
    now = timezone.now()
    Monitor.objects.filter(pk=second.pk).update(next_check_at=now - timedelta(seconds=5))
    assert [m.pk for m in claim_due(now=now, limit=1)] == [second.pk]
    assert [m.pk for m in claim_due(now=now, limit=1)] == [first.pk]


def test_next_slot_keeps_the_grid_but_does_not_replay_missed_slots():
    now = timezone.now()
    monitor = Monitor(kind="tcp", interval=60, next_check_at=now - timedelta(seconds=2))
    assert next_due(monitor, now) == now + timedelta(seconds=58)
    monitor.next_check_at = now - timedelta(hours=3)
    assert next_due(monitor, now) == now + timedelta(seconds=60)


def test_failures_are_confirmed_before_down_and_down_is_one_event():
    monitor = make_tcp(confirmations=2)
    start = timezone.now()
    record(monitor, False, start)
    monitor.refresh_from_db()
    assert monitor.status == Status.SEEMS_DOWN
    assert not Event.objects.exists()

    record(monitor, False, start + timedelta(seconds=60))
    record(monitor, False, start + timedelta(seconds=120))
    monitor.refresh_from_db()
    assert monitor.status == Status.DOWN
    assert monitor.status_code == 9
    assert list(Event.objects.values_list("kind", "dedup_key")) == [("monitor_down", f"monitor:{monitor.pk}:down")]


def test_recovery_event_says_how_long_it_was_down():
    monitor = make_tcp(confirmations=1)
    start = timezone.now()
    record(monitor, False, start)
    record(monitor, True, start + timedelta(minutes=5))
    up = Event.objects.get(kind="monitor_up")
    assert up.dedup_key == f"monitor:{monitor.pk}:down"
    assert up.details["problem_seconds"] == 300
    assert up.summary == "db-port is back up"


def test_every_change_is_recorded_with_its_reason():
    monitor = make_tcp(confirmations=2)
    start = timezone.now()
    record(monitor, True, start)
    record(monitor, False, start + timedelta(seconds=60), detail="connection refused")
    changes = list(StateChange.objects.order_by("changed_at").values_list("from_status", "to_status", "reason"))
    assert changes == [
        (Status.NOT_CHECKED, Status.UP, ""),
        (Status.UP, Status.SEEMS_DOWN, "connection refused"),
    ]


def test_results_are_written_for_every_check():
    monitor = make_tcp()
    start = timezone.now()
    record_outcomes([(monitor, Outcome.up(3.0), start + timedelta(seconds=i)) for i in range(5)])
    assert len(all_results(monitor=monitor)) == 5
    monitor.refresh_from_db()
    assert monitor.last_checked_at == start + timedelta(seconds=4)
    assert monitor.response_time_ms == 3.0


def test_a_result_arriving_after_a_pause_does_not_unpause():
    monitor = make_tcp()
    claimed = claim_due(now=timezone.now(), limit=1)[0]
    monitor_pause(monitor)
    record(claimed, False, timezone.now())
    monitor.refresh_from_db()
    assert monitor.status == Status.PAUSED


def test_slow_responses_are_degraded_and_reported_once():
    monitor = make_tcp(slow_ms=100, confirmations=1)
    start = timezone.now()
    record(monitor, True, start, ms=500.0)
    record(monitor, True, start + timedelta(seconds=60), ms=600.0)
    monitor.refresh_from_db()
    assert monitor.status == Status.DEGRADED
    assert list(Event.objects.values_list("kind", flat=True)) == ["monitor_degraded"]


def test_certificate_entering_its_warning_window_is_one_event():
    monitor = monitor_save(Monitor(name="tls", kind="tls", host="127.0.0.1", port=443))
    start = timezone.now()
    for i in range(3):
        outcome = Outcome.up(5.0, days_left=10, expiring=True)
        record_outcomes([(monitor, outcome, start + timedelta(seconds=60 * i))])
    event = Event.objects.get()
    assert event.kind == "certificate_expiring"
    assert "10 days" in event.summary


def test_a_monitor_deleted_while_being_checked_does_not_block_the_batch():
    kept, deleted = make_tcp("kept"), make_tcp("deleted")
    claimed = claim_due(now=timezone.now(), limit=10)
    Monitor.objects.filter(pk=deleted.pk).delete()
    record_outcomes([(monitor, Outcome.up(4.0), timezone.now()) for monitor in claimed])
    assert [monitor_id for monitor_id, _ in all_results()] == [kept.pk]


def test_a_heartbeat_pinged_while_being_checked_is_judged_on_the_new_ping():
    from monitors.checks import run_check

    beat = monitor_save(Monitor(name="job", kind="heartbeat", period=60, grace=30))
    late = beat.deadline() + timedelta(seconds=1)
    claimed = claim_due(now=late, limit=1)[0]
    stale_verdict = run_check(claimed, now=late)
    assert stale_verdict.ok is False
    Monitor.objects.filter(pk=beat.pk).update(last_ping_at=late, last_ping_kind="success")

    record_outcomes([(claimed, stale_verdict, late)])
    beat.refresh_from_db()
    assert beat.status == Status.UP
    assert not Event.objects.exists()


def test_slow_then_down_is_a_down_event_not_a_recovery():
    monitor = make_tcp(slow_ms=100, confirmations=1)
    start = timezone.now()
    record(monitor, True, start, ms=500.0)
    record(monitor, False, start + timedelta(seconds=60))
    assert list(Event.objects.order_by("occurred_at").values_list("kind", flat=True)) == [
        "monitor_degraded",
        "monitor_down",
    ]
