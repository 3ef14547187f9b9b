"""Alerting end to end: a real target goes down and up, the engine records it, the rules
route it, and real Slack-, webhook- and SMTP-shaped receivers get the messages."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.delivery import deliver_pending
from incidents.models import AlertRule, Channel, Incident, Notification
from monitors.models import Monitor
from monitors.services import monitor_save, monitors_check_now
from tests.support.processes import Cluster, cluster_env
from tests.support.receivers import SignedWebhook, SlackWebhook, SMTPReceiver, send_mail_to
from tests.core.test_clusters import start_runners

SECRET = "e2e-signing-secret"


@pytest.fixture
def receivers(settings):
    slack, webhook, smtp = SlackWebhook().start(), SignedWebhook(SECRET).start(), SMTPReceiver().start()
    send_mail_to(smtp.port, settings)
    yield slack, webhook, smtp
    slack.stop(), webhook.stop(), smtp.stop()


def make_channels(slack, webhook):
    """Three channels, and a rule like the default one (a transactional test's database was
    flushed after migrating, so the migration's default rule may be gone): monitor down and
    up to every enabled channel."""
    Channel.objects.create(name="slack", kind="slack", url=slack.url("/services/T0/B0/x"))
    Channel.objects.create(name="hook", kind="webhook", url=webhook.url("/vigil"), signing_secret=SECRET)
    Channel.objects.create(name="mail", kind="email", recipients="oncall@example.com")
    AlertRule.objects.create(name="down and up", event_kinds=["monitor_down", "monitor_up"], all_channels=True)


def slack_texts(slack):
    return [str(body) for body in slack.bodies()]


@pytest.mark.django_db(transaction=True)
def test_down_then_up_gives_one_message_each_per_channel_with_the_name_and_the_downtime(http_target, receivers):
    slack, webhook, smtp = receivers
    make_channels(slack, webhook)
    url = http_target.route("/health", status=500, body=b"boom")
    monitor = monitor_save(Monitor(name="checkout-api", kind="http", url=url, confirmations=1, interval=60, timeout=5))

    monitors_check_now([monitor.pk])
    monitors_check_now([monitor.pk])  # still down: nothing new to say
    deliver_pending()

    assert len(slack.requests) == len(webhook.requests) == len(smtp.messages) == 1
    assert "checkout-api is down" in slack_texts(slack)[0]
    assert webhook.titles() == [webhook.titles()[0]] and webhook.titles()[0].startswith("checkout-api is down")
    assert "checkout-api is down" in smtp.messages[0]["data"]
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.INVESTIGATING and re.fullmatch(r"INC-\d{4}-\d{3}", incident.ref)

    went_down = timezone.now() - timedelta(minutes=12)  # as if the target had been down a while
    Monitor.objects.filter(pk=monitor.pk).update(status_changed_at=went_down)
    Incident.objects.filter(pk=incident.pk).update(opened_at=went_down)
    http_target.route("/health", status=200, body=b"ok")
    monitors_check_now([monitor.pk])
    deliver_pending()

    assert len(slack.requests) == len(webhook.requests) == len(smtp.messages) == 2
    assert "checkout-api is back up after 12 min" in slack_texts(slack)[1]
    assert webhook.titles()[1].startswith("checkout-api is back up after 12 min")
    assert webhook.bodies()[1]["notifications"][0]["duration_seconds"] >= 12 * 60
    assert "back up after 12 min" in smtp.messages[1]["data"]
    assert all(webhook.verified)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert Notification.objects.filter(status=Notification.Status.DELIVERED).count() == 6


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fifty_monitors_failing_together_make_a_few_messages_per_channel_in_a_real_cluster(http_target, receivers,
                                                                                          tmp_path):
    slack, webhook, smtp = receivers
    make_channels(slack, webhook)
    Channel.objects.filter(name="mail").delete()
    url = http_target.route("/down", status=503, body=b"unavailable")
    first_due = timezone.now() + timedelta(seconds=8)
    for i in range(50):
        monitor = monitor_save(Monitor(name=f"svc-{i:02d}", kind="http", url=url, confirmations=1, interval=60,
                                       timeout=5))
        # due within three seconds of each other
        Monitor.objects.filter(pk=monitor.pk).update(next_check_at=first_due + timedelta(milliseconds=60 * i))

    env = cluster_env("orm", CHECK_RUNNERS=1, Q_WORKERS=3)
    with Cluster(env, tmp_path / "cluster.log"):
        start_runners(env, [0])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(set(webhook.titles())) < 50:
            time.sleep(0.2)
        time.sleep(2)  # anything that would still come

    titles = webhook.titles()
    assert len(titles) == 50 and len(set(titles)) == 50, "every monitor's message exactly once"
    assert 1 <= len(webhook.requests) <= 6, f"{len(webhook.requests)} webhook messages for 50 monitors"
    assert 1 <= len(slack.requests) <= 6, f"{len(slack.requests)} Slack messages for 50 monitors"
    assert sum(monitors_accounted_for(body) for body in slack.bodies()) == 50


def monitors_accounted_for(slack_body):
    """Monitors a Slack message names in its blocks, plus those it counts as "and N more"."""
    blocks = str(slack_body["blocks"])
    named = len(set(re.findall(r"svc-\d\d is down", blocks)))
    more = sum(int(n) for n in re.findall(r"and (\d+) more", blocks))
    return named + more
