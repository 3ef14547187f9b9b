"""Delivery of the outbox in-process: Notification rows written directly (the outbox's
interface), `deliver_pending` run as the task runs it, real loopback receivers."""

import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import OrmQ

from incidents import delivery
from incidents.models import Channel, DeliveryAttempt, Notification
from incidents.tasks import deliver_pending
from tests.support.receivers import SignedWebhook, SlackWebhook
from tests.support.servers import free_port
from tests.incidents.channels.common import SECRET, payload

pytestmark = pytest.mark.django_db(transaction=True)  # deliveries run on threads with their own connections


@pytest.fixture(autouse=True)
def quick_delivery(settings):
    settings.NOTIFY_RETRY_DELAYS = [0.2]
    settings.NOTIFY_MIN_GAP_SECONDS = 0.0


@pytest.fixture
def slack():
    receiver = SlackWebhook().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook():
    receiver = SignedWebhook(SECRET).start()
    yield receiver
    receiver.stop()


def slack_channel(receiver, name="slack"):
    channel = Channel(name=name, kind="slack", url=receiver.url("/services/T0/B0/secret-part"))
    channel.full_clean()
    channel.save()
    return channel


def webhook_channel(receiver, name="hook"):
    channel = Channel(name=name, kind="webhook", url=receiver.url(), signing_secret=SECRET)
    channel.full_clean()
    channel.save()
    return channel


def owe(channel, title="api is down", *, delivery="immediate", due=None, created=None):
    now = timezone.now()
    return Notification.objects.create(
        channel=channel, kind="problem", delivery=delivery, payload=payload(title),
        created_at=created or now, next_attempt_at=due or now,
    )


def deliver_until_settled(row, within=10):
    """Run the sweep until `row` is no longer pending (retries wait for their due time)."""
    stop = time.monotonic() + within
    while time.monotonic() < stop:
        deliver_pending()
        row.refresh_from_db()
        if row.status != Notification.Status.PENDING:
            return row
        time.sleep(0.05)
    raise AssertionError(f"still pending after {within}s")


def test_500_twice_then_200_delivers_exactly_once_with_three_attempts(slack):
    slack.script(500, 500, 200)
    channel = slack_channel(slack)
    row = deliver_until_settled(owe(channel))
    assert row.status == "delivered" and row.attempts == 3 and row.delivered_at
    assert len(slack.requests) == 3
    outcomes = list(DeliveryAttempt.objects.order_by("started_at").values_list("outcome", "response_code", "error"))
    assert outcomes == [("retry", 500, "Slack answered 500"), ("retry", 500, "Slack answered 500"), ("delivered", 200, "")]
    assert all(list(a.notifications.all()) == [row] for a in DeliveryAttempt.objects.all())
    deliver_pending()
    assert len(slack.requests) == 3  # a delivered row is never sent again
    channel.refresh_from_db()
    assert not channel.failing and channel.last_delivered_at


def test_a_slack_404_is_not_retried_and_marks_the_channel_failing(slack):
    slack.script((404, b"no_team"))
    channel = slack_channel(slack)
    row = deliver_until_settled(owe(channel))
    assert row.status == "failed" and row.attempts == 1 and row.last_error == "Slack answered 404 (no_team)"
    channel.refresh_from_db()
    assert channel.failing and channel.last_error == "Slack answered 404 (no_team)"
    time.sleep(0.3)
    deliver_pending()
    assert len(slack.requests) == 1
    assert DeliveryAttempt.objects.get().outcome == "permanent"


def test_a_success_clears_the_failing_flag(slack):
    channel = slack_channel(slack)
    Channel.objects.filter(pk=channel.pk).update(failing=True, last_error="old")
    deliver_until_settled(owe(channel))
    channel.refresh_from_db()
    assert not channel.failing


def test_many_due_rows_become_one_message(webhook):
    channel = webhook_channel(webhook)
    for i in range(30):
        owe(channel, f"m{i} is down")
    assert deliver_pending() == 1
    assert len(webhook.requests) == 1
    assert sorted(webhook.titles()) == sorted(f"m{i} is down" for i in range(30))
    assert DeliveryAttempt.objects.get().notifications.count() == 30
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


def test_rows_written_while_a_message_is_in_flight_go_out_together_after_the_gap(settings, webhook):
    settings.NOTIFY_MIN_GAP_SECONDS = 0.3
    channel = webhook_channel(webhook)

    def more_arrive(record):
        if len(webhook.requests) == 0:
            for i in range(10):
                owe(channel, f"late {i}")
            connection.close()

    webhook.before_answer = more_arrive
    owe(channel, "first")
    assert deliver_pending() == 2
    first, second = webhook.bodies()
    assert [n["title"] for n in first["notifications"]] == ["first"]
    assert len(second["notifications"]) == 10
    gap = webhook.requests[1]["headers"]["X-Vigil-Timestamp"]
    assert gap  # the second was signed on its own
    assert Notification.objects.filter(status="delivered").count() == 11


def test_digests_go_out_apart_from_immediate_messages(webhook):
    channel = webhook_channel(webhook)
    owe(channel, "now")
    owe(channel, "digest a", delivery="hourly")
    owe(channel, "digest b", delivery="hourly")
    owe(channel, "not yet", delivery="daily", due=timezone.now() + timedelta(hours=3))
    deliver_pending()
    deliveries = sorted((body["delivery"], len(body["notifications"])) for body in webhook.bodies())
    assert deliveries == [("hourly", 2), ("immediate", 1)]
    assert Notification.objects.get(payload__title="not yet").status == "pending"


def test_retry_after_holds_the_channel_and_the_row(slack):
    slack.script((429, b"", {"Retry-After": "120"}))
    channel = slack_channel(slack)
    row = owe(channel)
    deliver_pending()
    row.refresh_from_db()
    channel.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=110)
    assert channel.next_send_at >= timezone.now() + timedelta(seconds=110)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    deliver_pending()  # due again, but the channel waits for Slack's Retry-After
    assert len(slack.requests) == 1


def test_rows_older_than_the_give_up_time_fail_visibly(settings, slack):
    settings.NOTIFY_GIVE_UP_AFTER = 3600
    slack.script(500)
    channel = slack_channel(slack)
    row = deliver_until_settled(owe(channel, created=timezone.now() - timedelta(hours=2)))
    assert row.status == "failed" and row.last_error == "gave up after 1 h: Slack answered 500"
    channel.refresh_from_db()
    assert channel.failing


def test_the_backoff_follows_the_setting_and_repeats_the_last_delay(settings):
    settings.NOTIFY_RETRY_DELAYS = [30, 60, 120]
    assert [delivery.retry_delay(n) for n in (1, 2, 3, 4, 9)] == [30, 60, 120, 120, 120]


def test_a_channel_held_by_another_worker_is_left_to_it(slack):
    channel = slack_channel(slack)
    Channel.objects.filter(pk=channel.pk).update(sending_until=timezone.now() + timedelta(seconds=60), sending_holder="other")
    row = owe(channel)
    deliver_pending()
    assert slack.requests == []
    Channel.objects.filter(pk=channel.pk).update(sending_until=timezone.now() - timedelta(seconds=1))
    deliver_until_settled(row)  # the lease ran out: the other worker died, this one takes over
    assert len(slack.requests) == 1
    channel.refresh_from_db()
    assert channel.sending_until is None and channel.sending_holder == ""


def test_rows_of_a_disabled_channel_fail_and_retry_now_revives_them(slack):
    channel = slack_channel(slack)
    Channel.objects.filter(pk=channel.pk).update(enabled=False)
    row = owe(channel)
    deliver_pending()
    row.refresh_from_db()
    assert row.status == "failed" and row.last_error == "the channel is disabled"
    Channel.objects.filter(pk=channel.pk).update(enabled=True)
    assert delivery.notifications_retry(ids=[row.pk]) == 1
    deliver_until_settled(row)
    assert row.status == "delivered" and len(slack.requests) == 1


def test_the_private_address_guard_applies_at_connect_time(settings, slack):
    channel = slack_channel(slack)  # saved while the setting allowed it
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    row = deliver_until_settled(owe(channel))
    assert row.status == "failed" and row.last_error == "refused address 127.0.0.1 (loopback)"
    assert slack.requests == []


def test_secrets_are_encrypted_at_rest_and_absent_from_attempt_errors():
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret-part"
    channel = Channel.objects.create(name="hook", kind="webhook", url=url, signing_secret="whsec-very-secret")
    bot = Channel.objects.create(name="bot", kind="slack_bot", token="xoxb-very-secret", slack_channel="#x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM incidents_channel ORDER BY id")
        raw = " ".join(value for row in cursor.fetchall() for value in row)
    assert "secret-part" not in raw and "very-secret" not in raw and "127.0.0.1" not in raw
    assert Channel.objects.get(pk=channel.pk).secrets["url"] == url
    owe(channel)
    deliver_pending()
    attempt = DeliveryAttempt.objects.get()
    assert attempt.error == "connection refused" and attempt.outcome == "retry"
    assert Notification.objects.get().last_error == "connection refused"
    assert bot.secrets["token"] == "xoxb-very-secret"


def test_kick_queues_one_task_per_transaction_when_it_commits():
    before = OrmQ.objects.count()
    with transaction.atomic():
        delivery.kick()
        delivery.kick()
        assert OrmQ.objects.count() == before
    assert OrmQ.objects.count() == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        delivery.kick()
        raise RuntimeError("rolled back")
    assert OrmQ.objects.count() == before + 1
    with transaction.atomic():
        delivery.kick()  # a rolled-back transaction does not silence later kicks
    assert OrmQ.objects.count() == before + 2
    task = OrmQ.objects.order_by("-id").first().task
    assert task["func"] == "incidents.tasks.deliver_pending" and task["save"] is False
    assert isinstance(task["timeout"], int)  # django-q2 arms signal.alarm with it


def test_send_test_makes_one_attempt_and_no_outbox_row(slack):
    channel = slack_channel(slack)
    result = delivery.send_test(channel)
    assert result.ok and result.code == 200 and str(result) == "delivered (200)"
    assert slack.bodies()[0]["blocks"][0]["text"]["text"] == "Test message from Vigil"
    assert Notification.objects.count() == 0
    slack.script((404, b"channel_not_found"))
    failed = delivery.send_test(channel)
    assert not failed.ok and str(failed) == "failed (404): Slack answered 404 (channel_not_found)"
    assert list(DeliveryAttempt.objects.order_by("started_at").values_list("outcome", flat=True)) == [
        "delivered", "permanent"
    ]
