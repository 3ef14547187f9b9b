"""Delivery of the outbox: pending Notification rows become messages, at least once, never twice.

- `kick()` is called in the transaction that wrote outbox rows; when it commits, one
  `deliver_pending` task is queued (the periodic sweep catches anything a lost kick missed).
- `deliver_pending()` finds the channels with due rows and serves them on a few threads.
  A worker serves a channel only while it holds the channel's lease (`sending_until`,
  `sending_holder`, taken with a conditional UPDATE), so two workers or two clusters
  never send for one channel at once. While holding it, the worker sends everything due
  as one coalesced message, waits the channel's minimum gap, and sends what gathered
  meanwhile, until nothing is due; then it lets go and looks once more, so a row
  committed while it was letting go is not left for the sweep.
- Every send is one DeliveryAttempt; rows then become delivered (only if still pending),
  wait for a retry with backoff (Retry-After honoured), or fail for good (permanent
  error, or too old), which marks the channel failing. Nothing is dropped silently.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.durations import human_duration
from core.leases import Lease, holder_name
from incidents.channels import DeliveryError, Message, sender_for
from incidents.messages import channel_test_payload
from incidents.models import Channel, DeliveryAttempt, Notification

log = logging.getLogger(__name__)

BATCH_LIMIT = 100
# Serve a channel whose next send is at most this far away (wait for it); later ones are
# left for the sweep or a later kick.
WAIT_LIMIT = timedelta(seconds=5)
ROUNDS_AFTER_RELEASE = 3
PENDING = Notification.Status.PENDING
SENDING = Lease("sending_holder", "sending_until", ttl=lambda: timedelta(seconds=settings.NOTIFY_LEASE_SECONDS))


# Kicking ----------------------------------------------------------------------


def kick():
    """Deliver soon after the current transaction commits (one task per transaction)."""
    db = transaction.get_connection()
    if any(func is _enqueue for _, func, *_ in db.run_on_commit):
        return
    transaction.on_commit(_enqueue)


def _enqueue():
    from django_q.tasks import async_task

    async_task("incidents.tasks.deliver_pending", save=False, timeout=task_timeout())


def task_timeout():
    """Whole seconds (django-q2 sets an alarm): a lease's worth of sending plus the last send."""
    return int(settings.NOTIFY_LEASE_SECONDS + 2 * settings.NOTIFY_TIMEOUT + 30)


# The sweep ----------------------------------------------------------------------


def deliver_pending():
    """Deliver every due pending notification; returns how many messages were sent."""
    now = timezone.now()
    _fail_rows_of_disabled_channels(now)
    channel_ids = list(
        Notification.objects.filter(status=PENDING, next_attempt_at__lte=now, channel__enabled=True)
        .values_list("channel_id", flat=True)
        .distinct()
    )
    if not channel_ids:
        return 0
    workers = min(settings.NOTIFY_CONCURRENCY, len(channel_ids))
    with ThreadPoolExecutor(workers, thread_name_prefix="vigil-deliver") as pool:
        return sum(pool.map(_serve_in_thread, channel_ids))


def _serve_in_thread(channel_id):
    try:
        return serve_channel(channel_id)
    except Exception:
        log.exception("delivery to channel %s failed", channel_id)
        return 0
    finally:
        connection.close()


def serve_channel(channel_id):
    """Send for one channel while holding its lease; returns the number of messages sent."""
    holder = holder_name()
    sent = 0
    for _ in range(ROUNDS_AFTER_RELEASE):
        if not _claim(channel_id, holder):
            break
        try:
            sent += _send_while_holding(channel_id, holder)
        finally:
            SENDING.release(_channel_row(channel_id), holder)
        if not _due(channel_id).exists():
            break
    return sent


def _channel_row(channel_id):
    return Channel.objects.filter(pk=channel_id)


def _claim(channel_id, holder):
    """The lease, if the channel is enabled and may send within WAIT_LIMIT."""
    soon = Q(next_send_at__isnull=True) | Q(next_send_at__lte=timezone.now() + WAIT_LIMIT)
    return SENDING.claim(_channel_row(channel_id).filter(soon, enabled=True), holder)


def _due(channel_id):
    return Notification.objects.filter(channel_id=channel_id, status=PENDING, next_attempt_at__lte=timezone.now())


def _send_while_holding(channel_id, holder):
    """Send what is due, one coalesced message per round, the channel's gap apart.

    Stops when nothing is due, when the channel must wait longer than WAIT_LIMIT, or
    before the lease could run out during a send.
    """
    sent = 0
    started = time.monotonic()
    budget = settings.NOTIFY_LEASE_SECONDS - settings.NOTIFY_TIMEOUT - 5
    while sent == 0 or time.monotonic() - started < budget:
        channel = Channel.objects.get(pk=channel_id)
        # Wait out the gap only for rows already due: a worker that slept after every
        # message would sit on a django-q2 worker while other channels' kicks queue.
        if not channel.enabled or not _due(channel_id).exists() or not _wait_for_gap(channel):
            break
        rows = _next_batch(channel_id)
        if not rows or not SENDING.renew(_channel_row(channel_id), holder):
            break
        send_batch(channel, rows)
        sent += 1
    return sent


def _wait_for_gap(channel):
    if channel.next_send_at is None:
        return True
    wait = (channel.next_send_at - timezone.now()).total_seconds()
    if wait > WAIT_LIMIT.total_seconds():
        return False
    if wait > 0:
        time.sleep(wait)
    return True


def _next_batch(channel_id):
    """The oldest due rows with the delivery mode of the first (a summary goes out apart)."""
    due = _due(channel_id).order_by("next_attempt_at", "id")
    first = due.values_list("delivery", flat=True).first()
    if first is None:
        return []
    return list(due.filter(delivery=first)[:BATCH_LIMIT])


# One send ------------------------------------------------------------------------


def send_batch(channel, rows):
    """Send `rows` to `channel` as one message and record what happened."""
    message = Message(payloads=[row.payload for row in rows], delivery=rows[0].delivery)
    started_at, clock = timezone.now(), time.monotonic()
    code, error = _send(channel, message)
    duration_ms = round((time.monotonic() - clock) * 1000, 1)
    with transaction.atomic():
        outcome = _apply_outcome(channel, rows, error)
        attempt = DeliveryAttempt.objects.create(
            channel=channel,
            started_at=started_at,
            duration_ms=duration_ms,
            response_code=code,
            error=error.detail if error else "",
            outcome=outcome,
        )
        attempt.notifications.set(rows)
    log.info("channel %s: %d notification(s), %s", channel.pk, len(rows), outcome)
    return attempt


def _send(channel, message):
    """(response code, DeliveryError or None); a sender's bug is a transient error, not a crash."""
    try:
        return sender_for(channel)(channel, message).code, None
    except DeliveryError as error:
        return error.code, error
    except Exception as exc:  # a bug or an unforeseen library error: keep the rows, say what
        log.exception("channel %s: sender crashed", channel.pk)
        return None, DeliveryError(f"internal error ({type(exc).__name__})", permanent=False)


def _apply_outcome(channel, rows, error):
    now = timezone.now()
    gap = timedelta(seconds=settings.NOTIFY_MIN_GAP_SECONDS)
    ids = [row.pk for row in rows]
    pending = Notification.objects.filter(pk__in=ids, status=PENDING)
    if error is None:
        pending.update(
            status=Notification.Status.DELIVERED, delivered_at=now, attempts=F("attempts") + 1, last_error=""
        )
        _channel_update(channel, failing=False, last_delivered_at=now, next_send_at=now + gap)
        return DeliveryAttempt.Outcome.DELIVERED
    if error.permanent:
        _fail(pending, error.detail)
        _channel_update(channel, failing=True, last_error=error.detail, last_error_at=now, next_send_at=now + gap)
        return DeliveryAttempt.Outcome.PERMANENT
    wait = timedelta(seconds=error.retry_after or 0)
    gave_up = _schedule_retries(pending, rows, error, now, wait)
    state = {"last_error": error.detail, "last_error_at": now, "next_send_at": now + max(gap, wait)}
    if gave_up:
        state["failing"] = True
    _channel_update(channel, **state)
    return DeliveryAttempt.Outcome.RETRY


def _schedule_retries(pending, rows, error, now, wait):
    """Each row waits for its next retry; rows older than NOTIFY_GIVE_UP_AFTER fail. True if any did."""
    give_up_before = now - timedelta(seconds=settings.NOTIFY_GIVE_UP_AFTER)
    expired = [row.pk for row in rows if row.created_at <= give_up_before]
    if expired:
        given = human_duration(settings.NOTIFY_GIVE_UP_AFTER)
        _fail(pending.filter(pk__in=expired), f"gave up after {given}: {error.detail}")
    by_attempts = {}
    for row in rows:
        if row.pk not in expired:
            by_attempts.setdefault(row.attempts + 1, []).append(row.pk)
    for attempts, ids in by_attempts.items():
        due = now + max(timedelta(seconds=retry_delay(attempts)), wait)
        pending.filter(pk__in=ids).update(attempts=attempts, next_attempt_at=due, last_error=error.detail)
    return bool(expired)


def retry_delay(attempts):
    """Seconds before the next try after `attempts` failed ones (the last delay repeats)."""
    delays = settings.NOTIFY_RETRY_DELAYS
    return float(delays[min(attempts, len(delays)) - 1])


def _fail(rows, detail):
    rows.update(status=Notification.Status.FAILED, attempts=F("attempts") + 1, last_error=detail[:500])


def _channel_update(channel, **fields):
    for name, value in fields.items():
        setattr(channel, name, value)
    Channel.objects.filter(pk=channel.pk).update(**fields)


def _fail_rows_of_disabled_channels(now):
    """Rows owed to a disabled channel fail visibly (the admin's "retry now" revives them)."""
    Notification.objects.filter(status=PENDING, next_attempt_at__lte=now, channel__enabled=False).update(
        status=Notification.Status.FAILED, last_error="the channel is disabled"
    )


# Admin services --------------------------------------------------------------------


def send_test(channel):
    """One synchronous attempt with a test payload: no incident, no outbox row.

    Recorded as a DeliveryAttempt; a success clears the channel's failing flag.
    """
    started_at, clock = timezone.now(), time.monotonic()
    code, error = _send(channel, Message(payloads=[channel_test_payload(started_at).to_json()]))
    DeliveryAttempt.objects.create(
        channel=channel,
        started_at=started_at,
        duration_ms=round((time.monotonic() - clock) * 1000, 1),
        response_code=code,
        error=error.detail if error else "",
        outcome=_outcome_of(error),
    )
    if error is None and channel.failing:
        _channel_update(channel, failing=False)
    return TestResult(ok=error is None, code=code, detail=error.detail if error else "delivered")


def _outcome_of(error):
    if error is None:
        return DeliveryAttempt.Outcome.DELIVERED
    return DeliveryAttempt.Outcome.PERMANENT if error.permanent else DeliveryAttempt.Outcome.RETRY


class TestResult:
    __test__ = False  # not a pytest class

    def __init__(self, *, ok, code, detail):
        self.ok, self.code, self.detail = ok, code, detail

    def __str__(self):
        code = f" ({self.code})" if self.code else ""
        return f"delivered{code}" if self.ok else f"failed{code}: {self.detail}"


def notifications_retry(*, ids):
    """Make failed or pending rows due now (the admin's "retry now"); returns how many."""
    with transaction.atomic():
        count = Notification.objects.filter(pk__in=ids, status__in=[PENDING, Notification.Status.FAILED]).update(
            status=PENDING, next_attempt_at=timezone.now(), last_error=""
        )
        if count:
            kick()
    return count
