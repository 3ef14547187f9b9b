"""The check engine: claim due monitors, record outcomes, apply the state machine, emit events.

Claiming moves each monitor's `next_check_at` forward inside the claiming transaction,
so a monitor claimed by one runner is not due for any other until its next slot. On
PostgreSQL the claim skips rows another runner has locked (`FOR UPDATE SKIP LOCKED`);
on SQLite the transaction takes the write lock at BEGIN (`transaction_mode=IMMEDIATE`),
which serialises claims the same way.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction

from incidents.events import NewEvent, receive_events
from monitors.history import Entry
from monitors.maintenance import maintenance_lookup
from monitors.kinds import KINDS
from monitors.models import Monitor, StateChange, Status
from monitors.rollups import Recorded, add_to_rollups
from monitors.state import events_for_change, flap_history_after, flap_percent, is_flapping, next_step

RECORDABLE = (Status.NOT_CHECKED, Status.UP, Status.DEGRADED, Status.SEEMS_DOWN, Status.DOWN)


def next_due(monitor, now):
    """The next slot after this claim. Missed slots (no cluster running) are not replayed.

    A pinged monitor (a heartbeat) is looked at every interval as well as at its deadline,
    so its history has no gaps while pings keep coming."""
    interval = timedelta(seconds=monitor.interval)
    deadline = monitor.deadline()
    if deadline is not None:
        return min(deadline, now + interval) if deadline > now else now + interval
    scheduled = monitor.next_check_at + interval
    return scheduled if scheduled > now else now + interval


def claim_due(*, now, limit):
    """Claim up to `limit` due monitors for this runner; returns them with their settings."""
    if limit <= 0 or not Monitor.objects.due(now).exists():
        return []
    with transaction.atomic():
        due = Monitor.objects.due(now).select_for_update(skip_locked=True).order_by("next_check_at")
        return _advance(list(due[:limit]), now)


def claim_now(ids, *, now):
    """Claim the given active monitors whatever their due time ("check now")."""
    with transaction.atomic():
        monitors = Monitor.objects.active().filter(pk__in=ids).select_for_update()
        return _advance(list(monitors), now)


def _advance(monitors, now):
    for monitor in monitors:
        monitor.next_check_at = next_due(monitor, now)
    update_rows(monitors, ["next_check_at"])
    return monitors


def record_outcomes(checked):
    """Write a batch of (monitor, outcome, started_at) in one transaction.

    Each monitor is re-read under lock first: one deleted since its claim is skipped,
    one paused keeps its status, and a pinged one (a heartbeat) is judged again on its latest ping
    (a ping may have arrived while it was being checked). Results go into the rollups
    with one upsert per table, and every status change becomes a StateChange row and
    events for incidents in the same transaction. Inside a maintenance window the state
    machine runs but nothing is emitted; the window's end emits what changed meanwhile.
    """
    checked = sorted(checked, key=lambda item: item[2])
    if not checked:
        return []
    with transaction.atomic():
        current = Monitor.objects.select_for_update().in_bulk({monitor.pk for monitor, _, _ in checked})
        in_window = maintenance_lookup(list(current), checked[0][2], checked[-1][2])
        recorded, changes, events = [], [], []
        for monitor, outcome, started in checked:
            live = current.get(monitor.pk)
            outcome = _judged_on_latest_ping(live, outcome, started) if live else None
            if outcome is None or outcome.ok is None:
                continue
            if live.paused or live.status not in RECORDABLE or _older_than_last(live, started):
                status = Status.UP if outcome.ok else Status.DOWN
                recorded.append(Recorded(live.pk, live.interval, None, _entry(status, outcome, started, False),
                                         outcome.gauge))
                continue
            before = Before.of(live)
            _apply(live, outcome, started)
            live.in_maintenance = in_window(live.pk, started)
            was_flapping = live.flapping if live.in_maintenance else _track_flapping(live)
            entry = _entry(live.status, outcome, started, live.in_maintenance)
            recorded.append(Recorded(live.pk, live.interval, before.previous_entry(), entry, outcome.gauge))
            changes.extend(_state_changes(live, before, outcome, started))
            events.extend(_events(live, before, outcome, started, was_flapping))
        add_to_rollups(recorded)
        update_rows(current.values(), Monitor.CHECK_STATE_FIELDS)
        StateChange.objects.bulk_create(changes)
        receive_events(events)
    return changes


def _older_than_last(live, started):
    """A check that started before the last recorded one ("check now" racing a runner) is
    kept as a raw result only: its state is older news, and history is counted in order."""
    return live.last_checked_at is not None and started < live.last_checked_at


def _judged_on_latest_ping(live, outcome, started):
    if not live.pinged:
        return outcome
    return KINDS[live.kind].check(live, started)


def update_rows(monitors, fields):
    """Write `fields` of each monitor with one parameterised UPDATE run for every row.

    Django's bulk_update builds a CASE per field and row; at 500 checks/s that SQL
    building was 85% of a runner's main thread (about 1.1 ms of CPU per row, against
    0.05-0.09 ms here; docs/BENCHMARKS.md). Values are prepared by each field itself.
    """
    monitors = list(monitors)
    if not monitors:
        return
    columns = [Monitor._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(Monitor._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    rows = [
        [column.get_db_prep_save(getattr(monitor, column.attname), connection) for column in columns] + [monitor.pk]
        for monitor in monitors
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class Before(NamedTuple):
    """What a monitor was before this check."""

    status: str
    since: datetime
    facts: dict
    maintenance: bool
    checked_at: datetime | None

    @classmethod
    def of(cls, live):
        return cls(live.status, live.status_changed_at, live.last_facts, live.in_maintenance, live.last_checked_at)

    def previous_entry(self):
        """The previous check as history counts it (its status, and whether a window covered it)."""
        if self.checked_at is None:
            return None
        return Entry(self.checked_at, self.status, maintenance=self.maintenance)


def _entry(status, outcome, started, maintenance):
    detail = "" if outcome.ok else outcome.detail[:500]
    return Entry(started, status, outcome.response_time_ms, detail, maintenance)


def _apply(live, outcome, started):
    step = next_step(
        status=live.status,
        failures=live.consecutive_failures,
        ok=outcome.ok,
        response_time_ms=outcome.response_time_ms,
        slow_ms=live.slow_ms,
        # A pinged monitor's grace is its confirmation: late is down.
        confirmations=1 if live.pinged else live.confirmations,
        healthy=outcome.healthy,
    )
    if step.status != live.status:
        live.status_changed_at = started
    live.status = step.status
    live.consecutive_failures = step.consecutive_failures
    live.last_checked_at = started
    live.response_time_ms = outcome.response_time_ms
    live.last_detail = outcome.detail
    live.last_facts = outcome.facts


def _state_changes(live, before, outcome, started):
    """The status change, if any, between the entry into and the exit from a window."""
    def change(old, new, reason):
        return StateChange(monitor_id=live.pk, from_status=old, to_status=new, changed_at=started, reason=reason[:500])

    rows = []
    if live.in_maintenance and not before.maintenance:
        rows.append(change(before.status, Status.MAINTENANCE, "maintenance window started"))
    if live.status != before.status:
        reason = outcome.detail + (" (in maintenance)" if live.in_maintenance else "")
        rows.append(change(before.status, live.status, reason))
    if before.maintenance and not live.in_maintenance:
        rows.append(change(Status.MAINTENANCE, live.status, "maintenance window ended"))
    return rows


def _events(live, before, outcome, started, was_flapping):
    """Nothing alerts inside a window (nor counts towards flapping); its end alerts on what
    differs from its start."""
    if live.in_maintenance:
        if not before.maintenance:
            live.maintenance_entered_status = before.status
            live.maintenance_entered_expiring = bool(before.facts.get("expiring"))
        return []
    if before.maintenance:
        entered = before._replace(status=live.maintenance_entered_status or before.status,
                                  facts={"expiring": live.maintenance_entered_expiring})
        # Changes inside the window (restarts) are no sign of flapping after it.
        live.maintenance_entered_status, live.maintenance_entered_expiring = "", False
        live.flap_history, live.flapping = "", False
        events = _certificate_events(live, entered, outcome, started)
        if entered.status != live.status:
            events += _status_events(live, entered, outcome, started)
        return events
    events = _certificate_events(live, before, outcome, started)
    return events + _change_events(live, before, outcome, started, was_flapping)


def _track_flapping(live):
    """Add this check to the flap history and update `flapping`; returns the flag before."""
    was_flapping = live.flapping
    live.flap_history = flap_history_after(live.flap_history, live.status)
    live.flapping = is_flapping(
        was_flapping=was_flapping,
        percent=flap_percent(live.flap_history),
        start=settings.FLAP_START_PERCENT,
        stop=settings.FLAP_STOP_PERCENT,
    )
    return was_flapping


def _change_events(live, before, outcome, started, was_flapping):
    """Status events, with the flapping notices around them: "flapping" comes before the
    change that started it, "stopped flapping" after the change that ended it. While
    flapping, down and up are marked so incidents records them without sending them."""
    flapping = was_flapping or live.flapping
    events = _status_events(live, before, outcome, started, flapping=flapping) if live.status != before.status else []
    if live.flapping and not was_flapping:
        events.insert(0, _flapping_event(live, "monitor_flapping", f"{live.name} is flapping", started))
    if was_flapping and not live.flapping:
        summary = f"{live.name} stopped flapping and is {Status(live.status).label.lower()}"
        events.append(_flapping_event(live, "monitor_flapping_stopped", summary, started))
    return events


def _flapping_event(live, kind, summary, started):
    return NewEvent(
        kind=kind,
        source_key=live.source_key,
        severity=live.severity,
        summary=summary,
        dedup_key=f"{live.source_key}:down",
        occurred_at=started,
        details={"monitor": live.name, "status": live.status, "history": live.flap_history},
    )


def _status_events(live, before, outcome, started, *, flapping=False):
    return [
        NewEvent(
            kind=kind,
            source_key=live.source_key,
            severity=live.severity,
            summary=_summary(live, kind, outcome),
            dedup_key=f"{live.source_key}:{family}",
            occurred_at=started,
            details={
                "monitor": live.name,
                "from": before.status,
                "to": live.status,
                "detail": outcome.detail,
                "problem_since": before.since.isoformat() if kind == "monitor_up" else None,
                "problem_seconds": round((started - before.since).total_seconds()) if kind == "monitor_up" else None,
                **({"flapping": True} if flapping and family == "down" else {}),
            },
        )
        for kind, family in events_for_change(kind=live.kind, old=before.status, new=live.status)
    ]


def _summary(live, kind, outcome):
    verbs = {
        "monitor_down": "is down",
        "heartbeat_missed": "is down",
        "monitor_up": "is back up",
        "monitor_degraded": "is slow",
    }
    text = f"{live.name} {verbs[kind] if outcome.healthy else 'is degraded'}"
    return f"{text}: {outcome.detail}" if outcome.detail and kind != "monitor_up" else text


def _certificate_events(live, before, outcome, started):
    """One `certificate_expiring` event when a certificate enters its warning window."""
    if not outcome.facts.get("expiring") or before.facts.get("expiring"):
        return []
    days = outcome.facts.get("days_left")
    return [
        NewEvent(
            kind="certificate_expiring",
            source_key=live.source_key,
            severity=live.severity,
            summary=f"{live.name}: certificate expires in {days} days",
            dedup_key=f"{live.source_key}:certificate",
            occurred_at=started,
            details={"monitor": live.name, **outcome.facts},
        )
    ]
