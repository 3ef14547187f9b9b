"""Two real django-q2 clusters share the check load without checking any monitor twice in a slot."""

import os
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import CheckResult, Monitor, RunnerLease
from tests.processes import Cluster, cluster_env, manage

INTERVAL = 20
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


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_two_clusters_check_each_monitor_once_per_interval(broker, http_target, tmp_path):
    if broker == "redis" and not redis_answers():
        pytest.skip("Redis at TEST_REDIS_URL does not answer")
    # Four runner slots, two workers per cluster, runners handing over every 5 s: the
    # slots move between the clusters while they compete for the same due monitors.
    env = cluster_env(broker, CHECK_RUNNERS=4, Q_WORKERS=2, CHECK_RUNNER_LIFETIME=5)
    first_due = timezone.now() + timedelta(seconds=6)
    make_monitors(http_target, first_due)
    try:
        with Cluster(env, tmp_path / "a.log") as a, Cluster(env, tmp_path / "b.log") as b:
            assert manage("shell", "-c", "from monitors.tasks import ensure_runners; ensure_runners()", env=env).returncode == 0
            wait = (first_due - timezone.now()).total_seconds() + INTERVAL + 4
            holders = watch_lease_holders(wait)
            cluster_pids = {"a": a.pids(), "b": b.pids()}
    finally:
        if broker == "redis":
            forget_redis_queue(env)

    checks = defaultdict(list)
    for monitor_id, checked_at in CheckResult.objects.values_list("monitor_id", "checked_at"):
        checks[monitor_id].append(checked_at)
    assert len(checks) == MONITORS, (tmp_path / "a.log").read_text()[-3000:]
    assert Counter(len(times) for times in checks.values()) == {2: MONITORS}
    for times in checks.values():
        first, second = sorted(times)
        assert second - first >= timedelta(seconds=INTERVAL - 0.5)
    assert set(http_target.hits.values()) == {2}
    assert all(holders & pids for pids in cluster_pids.values()), "both clusters ran check runners"
