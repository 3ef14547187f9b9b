"""A receiver that answers its headers at once, then drips the body slower than the
deadline: a timeout like any other, recorded as a transient failure and retried, never as
a crashed sender. Real loopback servers; the deadline cuts the connection."""

import logging

import pytest
from django.utils import timezone

from incidents.delivery import send_batch
from incidents.models import Channel, DeliveryAttempt, Notification
from portal.sentry import stats as sentry_stats
from tests.support.servers import HTTPTarget, drip_body
from tests.incidents.channels.common import payload


@pytest.fixture
def dripping():
    """An HTTP target whose /hook sends 200 and a Content-Length of 60, then a byte every 0.2 s."""
    target = HTTPTarget().start()
    target.route("/hook", handler=drip_body(length=60, every=0.2))
    yield target
    target.stop()


@pytest.mark.django_db
def test_a_body_dripped_past_the_deadline_is_a_transient_failure(settings, dripping, caplog):
    settings.NOTIFY_TIMEOUT = 0.6
    channel = Channel.objects.create(name="slow", kind="slack", url=dripping.url("/hook"))
    row = Notification.objects.create(channel=channel, kind="problem", delivery="immediate", payload=payload(),
                                      created_at=timezone.now(), next_attempt_at=timezone.now())
    with caplog.at_level(logging.ERROR):
        attempt = send_batch(channel, [row])
    row.refresh_from_db()
    assert attempt.outcome == DeliveryAttempt.Outcome.RETRY
    assert attempt.error.startswith("timed out"), attempt.error
    assert row.status == Notification.Status.PENDING and row.attempts == 1 and row.last_error == attempt.error
    assert "sender crashed" not in caplog.text


def test_the_sentry_source_reads_a_dripped_body_as_unavailable_too(settings, dripping):
    """portal.sentry.stats reads its bodies the same way (one shared read in core.net)."""
    settings.SENTRY_API_TIMEOUT = 0.6
    dripping.route("/api/projects/org/web/stats/", handler=drip_body(length=60, every=0.2))
    project = sentry_stats.Project(slug="web", label="web", error_threshold=50, window=300)
    config = sentry_stats.SentryConfig(token="t", org="org", projects=(project,), api_url=dripping.url("/api/"))
    with pytest.raises(sentry_stats.SentryUnavailable) as caught:
        sentry_stats.project_counts(config, since=timezone.now(), resolution="1h")
    assert str(caught.value) == "Sentry could not be reached: timed out after 0.6s"
