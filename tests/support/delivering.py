"""Delivery for tests inside the test's transaction (`django_db` without `transaction=True`).

`incidents.delivery.deliver_pending` serves channels on a thread pool, each thread with its
own connection, which cannot see rows the test has not committed (and on SQLite waits for
the test's write lock). This serves each channel with due rows in the test's own thread,
through the same `serve_channel`, so tests keep the migrated database (the shipped rules)
that a flush would empty."""

from django.utils import timezone

from incidents.delivery import serve_channel
from incidents.models import Notification


def deliver_pending():
    """Send what is due now; returns how many messages were sent."""
    due = Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now())
    return sum(serve_channel(channel_id) for channel_id in due.values_list("channel_id", flat=True).distinct())
