"""Two real django-q2 clusters share the check load without checking any monitor twice in a slot."""

import os
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import Monitor, RunnerLease
from tests.support.processes import Cluster, cluster_env, manage
from tests.support.results import all_results

INTERVAL = 20
# Seconds for two clusters to start and take their runner slots before the first monitor
# is due: a check that starts late moves the next one closer (slots are kept, not drift).
STARTUP = 15
MONITORS = 40


def redis_answers():
    import redis

    try:
        return redis.Redis.from_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")).ping()
    except redis.RedisError:
        return False


def forget_redis_queue(env):
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    for key in client.scan_iter(f"django_q:{env['Q_CLUSTER_NAME']}*"):
        client.delete(key)


def make_monitors(http_target, first_due):
    monitors = []
    for i in range(MONITORS):
        url = http_target.route(f"/m/{i}", body=b"OK")
        monitors.append(
            Monitor(name=f"m{i}", kind="http", url=url, interval=INTERVAL, timeout=2,
                    next_check_at=first_due + timedelta(milliseconds=50 * i))
        )
    Monitor.objects.bulk_create(monitors)


def watch_lease_holders(seconds):
    """The pids that held runner leases while the clusters ran."""
    holders = set()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        holders |= {int(h.split(":")[1]) for h in RunnerLease.objects.exclude(holder="").values_list("holder", flat=True)}
        time.sleep(0.25)
    return holders


def start_runners(env, slots):
    code = f"from monitors.tasks import start_runner; [start_runner(slot) for slot in {list(slots)}]"
    assert manage("shell", "-c", code, env=env).returncode == 0


def assert_each_monitor_checked_once_per_interval(http_target):
    checks = defaultdict(list)
    for monitor_id, entry in all_results():
        checks[monitor_id].append(entry.at)
    assert len(checks) == MONITORS
    assert Counter(len(times) for times in checks.values()) == {2: MONITORS}
    for times in checks.values():
        first, second = sorted(times)
        assert second - first >= timedelta(seconds=INTERVAL - 0.5)
    assert set(http_target.hits.values()) == {2}


@pytest.fixture
def broker_env():
    """Cluster settings per broker; Redis queues are removed afterwards."""
    made = []

    def make(broker, **overrides):
        if broker == "redis" and not redis_answers():
            pytest.skip("Redis at TEST_REDIS_URL does not answer")
        # Four runner slots and runners handing over every 5 s, so slots change hands
        # while the clusters compete for the same due monitors.
        env = cluster_env(broker, CHECK_RUNNERS=4, Q_WORKERS=3, CHECK_RUNNER_LIFETIME=5, **overrides)
        made.append(env)
        return env

    yield make
    for env in made:
        if env["REDIS_URL"]:
            forget_redis_queue(env)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_two_clusters_claiming_at_once_never_check_a_monitor_twice(broker, broker_env, http_target, tmp_path):
    """Each cluster runs two runner slots from a queue of its own (successors stay in
    their cluster), so both claim from the same due monitors for the whole test."""
    env_a, env_b = broker_env(broker), broker_env(broker)
    first_due = timezone.now() + timedelta(seconds=STARTUP)
    make_monitors(http_target, first_due)
    with Cluster(env_a, tmp_path / "a.log") as a, Cluster(env_b, tmp_path / "b.log") as b:
        start_runners(env_a, [0, 1])
        start_runners(env_b, [2, 3])
        holders = watch_lease_holders((first_due - timezone.now()).total_seconds() + INTERVAL + 4)
        cluster_pids = {"a": a.pids(), "b": b.pids()}
    assert all(holders & pids for pids in cluster_pids.values()), (holders, cluster_pids)
    assert_each_monitor_checked_once_per_interval(http_target)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_clusters_sharing_one_redis_queue_never_check_a_monitor_twice(broker_env, http_target, tmp_path):
    """The production shape: every cluster takes runner tasks from one queue."""
    env = broker_env("redis")
    first_due = timezone.now() + timedelta(seconds=STARTUP)
    make_monitors(http_target, first_due)
    with Cluster(env, tmp_path / "a.log"), Cluster(env, tmp_path / "b.log"):
        start_runners(env, range(4))
        time.sleep((first_due - timezone.now()).total_seconds() + INTERVAL + 4)
    assert_each_monitor_checked_once_per_interval(http_target)
