"""Delivery by real django-q2 clusters: a worker killed mid-send loses nothing, and two
clusters competing for the same outbox never send one notification twice."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.models import Channel, DeliveryAttempt, Notification
from tests.support.processes import ROOT, Cluster, cluster_env, manage
from tests.support.receivers import SignedWebhook
from tests.incidents.channels.common import SECRET, payload
from tests.core.test_clusters import forget_redis_queue, redis_answers

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENQUEUE = "from incidents.delivery import _enqueue; _enqueue()"


@pytest.fixture
def webhook():
    receiver = SignedWebhook(SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def envs():
    made = []

    def make(broker, **overrides):
        if broker == "redis" and not redis_answers():
            pytest.skip("Redis at TEST_REDIS_URL does not answer")
        env = cluster_env(broker, Q_WORKERS=3, NOTIFY_MIN_GAP_SECONDS=0.2, **overrides)
        made.append(env)
        return env

    yield make
    for env in made:
        if env["REDIS_URL"]:
            forget_redis_queue(env)


def wait_for(condition, within, what):
    stop = time.monotonic() + within
    while time.monotonic() < stop:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {within}s")


def test_a_worker_killed_between_sending_and_marking_sent_loses_nothing(envs, webhook, tmp_path):
    env = envs("orm", NOTIFY_LEASE_SECONDS=3)
    channel = Channel.objects.create(name="hook", kind="webhook", url=webhook.url(), signing_secret=SECRET)
    now = timezone.now()
    row = Notification.objects.create(
        channel=channel, kind="problem", payload=payload("api is down"), created_at=now, next_attempt_at=now
    )
    with Cluster(env, tmp_path / "a.log") as first:
        # The POST arrives: the whole cluster dies before the receiver answers.
        webhook.before_answer = lambda record: os.killpg(first.process.pid, signal.SIGKILL)
        assert manage("shell", "-c", ENQUEUE, env=env).returncode == 0
        wait_for(lambda: first.process.poll() is not None, 60, "the first cluster was killed")
    webhook.before_answer = None
    row.refresh_from_db()
    assert row.status == "pending" and len(webhook.requests) == 1  # sent, never marked sent
    with Cluster(env, tmp_path / "b.log"):
        wait_for(lambda: Channel.objects.get().sending_until < timezone.now(), 10, "the dead worker's lease ran out")
        assert manage("shell", "-c", ENQUEUE, env=env).returncode == 0
        wait_for(lambda: Notification.objects.get().status == "delivered", 60, "the new cluster delivered")
    assert webhook.titles() == ["api is down", "api is down"]  # at least once: the first send had no answer
    assert all(webhook.verified)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.outcome == "delivered" and list(attempt.notifications.all()) == [row]


CHANNELS, WAVES, PER_WAVE = 4, 6, 5


def write_and_kick(prefix, channel_ids, offset, waves=WAVES, per_wave=PER_WAVE):
    """Run in a child process: waves of outbox rows, each wave committed with a kick.

    Waves are a second apart and the two writers half a second out of step, so a holder
    usually lets go of a channel between waves and the next kick (to either cluster)
    races for it; within a wave, holders coalesce.
    """
    from incidents.delivery import kick

    time.sleep(offset)
    for wave in range(waves):
        with transaction.atomic():
            now = timezone.now()
            Notification.objects.bulk_create(
                Notification(
                    channel_id=channel_id, kind="problem", payload=payload(f"{prefix}-{wave}-{channel_id}-{i}"),
                    created_at=now, next_attempt_at=now,
                )
                for channel_id in channel_ids
                for i in range(per_wave)
            )
            kick()
        time.sleep(1.0)


def start_writer(prefix, channel_ids, env, offset):
    code = f"from tests.incidents.test_delivery_clusters import write_and_kick; write_and_kick({prefix!r}, {channel_ids!r}, {offset})"
    return subprocess.Popen([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env)


def sender_pids(receiver):
    """Make `receiver` note the pid of the process on the other end of each POST."""
    import psutil

    pids = set()

    def note(record):
        pids.update(
            conn.pid for conn in psutil.net_connections("tcp4")
            if conn.pid and conn.laddr and conn.laddr.port == record["client_port"]
        )

    receiver.before_answer = note
    return pids


@pytest.mark.parametrize("queues", ["separate orm queues", "one shared redis queue"])
def test_two_clusters_never_send_one_notification_twice(queues, envs, webhook, tmp_path):
    if queues == "one shared redis queue":
        env_a = env_b = envs("redis")
    else:
        env_a, env_b = envs("orm"), envs("orm")
    webhook.delay = 0.05
    channel_ids = [
        Channel.objects.create(name=f"hook{i}", kind="webhook", url=webhook.url(f"/c{i}"), signing_secret=SECRET).pk
        for i in range(CHANNELS)
    ]
    expected = 2 * WAVES * CHANNELS * PER_WAVE
    senders = sender_pids(webhook)
    with Cluster(env_a, tmp_path / "a.log") as a, Cluster(env_b, tmp_path / "b.log") as b:
        writers = [start_writer("a", channel_ids, env_a, 0), start_writer("b", channel_ids, env_b, 0.5)]
        all_delivered = lambda: Notification.objects.filter(status="delivered").count() == expected  # noqa: E731
        wait_for(all_delivered, 60, "every notification delivered")
        pids = {"a": a.pids(), "b": b.pids()}
    assert [w.wait() for w in writers] == [0, 0]
    titles = Counter(webhook.titles())
    assert len(titles) == expected and set(titles.values()) == {1}, titles.most_common(3)
    assert all(webhook.verified)
    assert len(webhook.requests) < expected / 2  # coalesced
    assert senders & pids["a"] and senders & pids["b"], (senders, pids)  # both clusters sent
