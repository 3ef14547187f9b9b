"""A scenario's world (database, Django, processes, sampler) and its measured windows."""

import os
import secrets
import tempfile
import time
from contextlib import ExitStack

from bench import setup
from bench.machine import commit
from bench.measure import Sampler, find_redis_pids
from bench.processes import Clusters, Targets, WebServer


HEALTHY = {"http", "tcp"}
HANGABLE = {"http-hangable", "tcp-hangable"}
GROUPS = {"healthy": HEALTHY, "hangable": HANGABLE, "all": HEALTHY | HANGABLE}
# A slot due before the window's end may start this much later and still be counted as
# run (beyond, it is "unfinished" with lag >= this) ...
LAG_ALLOWANCE = 5.0
# ... and a check started by then is in the database this much later (timeout + flush).
WRITE_ALLOWANCE = 8.0


def sleep_until(epoch):
    while True:
        left = epoch - time.time()
        if left <= 0:
            return
        time.sleep(min(left, 1.0))


class Stage:
    """A scenario's world: database, Django, processes and a sampler; all torn down on exit."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.workdir = tempfile.mkdtemp(prefix="vigil-bench-")
        self.db = setup.make_database(cfg.db, self.workdir)
        self.cluster_name = f"vigil-bench-{secrets.token_hex(5)}"
        self.targets = self.web = self.clusters = None
        self.helpers = set()  # pids of the bench's own helper processes (history generators)
        self.info = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "commit": commit()}
        self.failed = False

    def __enter__(self):
        self.stack = ExitStack()
        self.stack.__enter__()
        try:
            self._enter()
        except BaseException:
            self.failed = True
            self.stack.__exit__(None, None, None)
            raise
        return self

    def _enter(self):
        cfg = self.cfg
        self.stack.callback(self._remove_workdir)
        self.db.create()
        self.stack.callback(self._drop_database)
        if cfg.broker == "redis":
            self.stack.callback(setup.forget_redis_queue, self.cluster_name)
        self.env = setup.child_env(db=self.db, workdir=self.workdir, cluster_name=self.cluster_name,
                                   broker=cfg.broker, runners=cfg.runners, concurrency=cfg.concurrency,
                                   workers=cfg.workers, lifetime=cfg.lifetime)
        os.makedirs(self.env["VIGIL_VAR_DIR"], exist_ok=True)
        self.info["migrate_s"] = round(setup.migrate(self.env, self.workdir), 1)
        setup.django_setup(self.env)
        self.stack.callback(self._close_django)
        redis_pids = find_redis_pids() if cfg.broker == "redis" else set()
        groups = {
            "cluster": lambda: self.clusters.pids() if self.clusters else set(),
            "targets": lambda: self.targets.pids() if self.targets else set(),
            "web": lambda: self.web.pids() if self.web else set(),
            "bench": lambda: {os.getpid(), *self.helpers},
        }
        if cfg.db == "postgres":
            groups["postgres"] = self.db.backend_pids
            groups["redis"] = lambda: redis_pids
        self.sampler = Sampler(groups, watchers={"lease_holders": self._lease_holders})
        self.sampler.start()
        self.stack.callback(self.sampler.stop)
        self.info["versions"] = self._versions()

    def _versions(self):
        versions = {}
        if self.cfg.db == "postgres":
            versions["postgresql"] = self.db.version()
        if self.cfg.broker == "redis":
            versions["redis"] = setup.redis_version()
        if self.cfg.db == "sqlite":
            import sqlite3

            versions["sqlite"] = sqlite3.sqlite_version
        return versions

    def _lease_holders(self):
        from monitors.models import RunnerLease

        return sorted(RunnerLease.objects.exclude(holder="").values_list("holder", flat=True))

    def _close_django(self):
        from django.db import connections

        connections.close_all()

    def _drop_database(self):
        if self.cfg.keep and self.cfg.db == "sqlite":
            return  # kept with the logs, for a look afterwards
        self.db.drop()

    def _remove_workdir(self):
        if self.cfg.keep or self.failed:
            print(f"  logs kept in {self.workdir}", flush=True)
        else:
            setup.cleanup_workdir(self.workdir)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self.failed = True  # keep the logs of a failed run
            if self.clusters:
                for name, tail in self.clusters.tails().items():
                    print(f"--- {name} log tail ---\n{tail}", flush=True)
        return self.stack.__exit__(exc_type, exc, tb)

    # processes

    def start_targets(self):
        self.targets = Targets(processes=self.cfg.target_processes, log_dir=self.workdir).start()
        self.stack.callback(self._stop_targets)
        return self.targets

    def _stop_targets(self):
        self.info["target_counts"] = self.targets.stop()

    def start_web(self):
        self.web = WebServer(env=self.env, log_dir=self.workdir).start()
        self.stack.callback(self.web.stop)
        return self.web

    def start_clusters(self):
        self.clusters = Clusters(count=self.cfg.clusters, env=self.env, log_dir=self.workdir)
        self.stack.callback(self.clusters.stop)
        started = time.monotonic()
        self.clusters.start(runners=self.cfg.runners)
        self.info["runners_started_s"] = round(time.monotonic() - started, 1)
        return self.clusters

    def stop_clusters(self):
        """Stop the clusters (runners finish the checks in flight) before reading results."""
        self.runner_spread = self._runner_spread()
        self.clusters.stop()

    def _runner_spread(self):
        """Which cluster held the runner slots, over the lease samples."""
        by_cluster = self.clusters.pids_by_cluster()
        seen = {name: 0 for name in by_cluster}
        samples = self.sampler.watched.get("lease_holders", [])
        for _, holders in samples:
            for holder in holders:
                pid = int(holder.split(":")[1])
                for name, pids in by_cluster.items():
                    if pid in pids:
                        seen[name] += 1
        return {"samples": len(samples), "runner_samples_per_cluster": seen}

    def resources(self, start, end):
        return self.sampler.window(start, end)

    def describe(self):
        cfg = self.cfg
        return {
            "db": cfg.db, "broker": cfg.broker, "clusters": cfg.clusters, "CHECK_RUNNERS": cfg.runners,
            "CHECK_CONCURRENCY": cfg.concurrency, "Q_WORKERS": cfg.workers, "CHECK_RUNNER_LIFETIME": cfg.lifetime,
            "target_processes": cfg.target_processes,
        }


def check_window(tracker, name, start, end, cutoff, stage):
    return {
        "name": name,
        "start": start,
        "end": end,
        "seconds": round(end - start, 1),
        "checks": tracker.window(start, end, cutoff, groups=GROUPS),
        "resources": stage.resources(start, end),
    }
