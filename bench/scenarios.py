"""The scenarios. Each runs in its own process on its own fresh database.

- steady:     2,000 HTTP + 200 TCP monitors at 60 s and 300 heartbeats (goal 1)
- hanging:    the same checks; after a first measured minute, 10% of the targets hang
              until the monitors' timeout (goal 2: the healthy ones' lag must not move)
- saturation: monitors at 20 s, stepped 100, 300 … 600 checks/s until lag p99 passes 5 s (goal 3)
- alerts:     state change → Slack-shaped POST, and heartbeat deadline → POST (bench/alerts.py)
- history:    90 days × 1,000 monitors in the rollups: size, daily prune, uptime (bench/history/)
"""

import os
import secrets
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field

from bench import alerts as alerting
from bench import heartbeats as hb
from bench import setup
from bench.history.scenario import history as history_scenario
from bench.machine import commit
from bench.measure import FAILED, Sampler, SlotTracker, fetch_results, find_redis_pids, heartbeat_figures, iter_results

HEALTHY = {"http", "tcp"}
HANGABLE = {"http-hangable", "tcp-hangable"}
GROUPS = {"healthy": HEALTHY, "hangable": HANGABLE, "all": HEALTHY | HANGABLE}
# A slot due before the window's end may start this much later and still be counted as
# run (beyond, it is "unfinished" with lag >= this) ...
LAG_ALLOWANCE = 5.0
# ... and a check started by then is in the database this much later (timeout + flush).
WRITE_ALLOWANCE = 8.0


@dataclass
class Config:
    scenario: str
    db: str = "sqlite"
    quick: bool = False
    duration: float | None = None  # measured seconds per window
    warmup: float | None = None
    clusters: int = 1
    runners: int = 2
    concurrency: int = 100
    workers: int = 4
    lifetime: int = 120
    target_processes: int = 2
    steps: list = field(default_factory=list)  # saturation: checks/s per step
    all_steps: bool = False
    keep: bool = False
    monitors: int | None = None  # history: monitors (default 1,000; --quick 50)
    days: int | None = None  # history: days of history (default 90; --quick 10)
    gen_workers: int | None = None  # history: generator processes (default 2)

    @property
    def broker(self):
        return "redis" if self.db == "postgres" else "orm"


def sizes(cfg):
    """The scenario's numbers; --quick shrinks them for a smoke run."""
    if cfg.quick:
        base = dict(http=200, tcp=20, heartbeats=30, late=3, interval=20, period=20, grace=5, timeout=5,
                    warmup=5, window=30, late_spread=4, steps=[25, 50], step_interval=20, step_window=20, settle=15)
    else:
        base = dict(http=2000, tcp=200, heartbeats=300, late=30, interval=60, period=60, grace=10, timeout=5,
                    warmup=20, window=60, late_spread=10, steps=[100, 300, 400, 500, 600], step_interval=20,
                    step_window=60, settle=15)
        if cfg.scenario == "hanging":
            base["window"] = 60
    if cfg.duration:
        base["window"] = base["step_window"] = cfg.duration
    if cfg.warmup is not None:
        base["warmup"] = cfg.warmup
    if cfg.steps:
        base["steps"] = cfg.steps
    return base


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
        self.targets = setup.Targets(processes=self.cfg.target_processes, log_dir=self.workdir).start()
        self.stack.callback(self._stop_targets)
        return self.targets

    def _stop_targets(self):
        self.info["target_counts"] = self.targets.stop()

    def start_web(self):
        self.web = setup.WebServer(env=self.env, log_dir=self.workdir).start()
        self.stack.callback(self.web.stop)
        return self.web

    def start_clusters(self):
        self.clusters = setup.Clusters(count=self.cfg.clusters, env=self.env, log_dir=self.workdir)
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


def steady(cfg):
    n = sizes(cfg)
    with Stage(cfg) as stage:
        targets = stage.start_targets()
        web = stage.start_web() if n["heartbeats"] else None
        stage.start_clusters()
        t0 = time.time() + 2
        plan = setup.insert_checks(prefix="c", http=n["http"], tcp=n["tcp"], hang_fraction=0, interval=n["interval"],
                                   timeout=n["timeout"], start=t0, targets=targets)
        beats = setup.insert_heartbeats(count=n["heartbeats"], period=n["period"], grace=n["grace"], start=t0)
        step = max(1, len(beats) // max(1, n["late"]))
        late = beats[::step][: n["late"]]
        on_time = [b for b in beats if b not in late]
        start, end = t0 + n["warmup"], t0 + n["warmup"] + n["window"]
        cutoff = end + LAG_ALLOWANCE
        # The on-time heartbeats are pinged until the clusters have stopped (+ a minute to spare).
        pinger = hb.Pinger(web.url, hb.plan_pings(on_time, late, start=t0, end=cutoff + WRITE_ALLOWANCE + 120,
                                                  period=n["period"], late_spread=n["late_spread"]))
        pinger.start()
        sleep_until(cutoff + WRITE_ALLOWANCE)
        burst_started = time.time()
        burst = hb.burst(web.url, [u for _, u in on_time], total=1000 if not cfg.quick else 200, concurrency=4)
        stage.stop_clusters()
        stopped = time.time()
        pinger.stop()
        tracker = tracked(plan, cutoff)
        result = {
            "scenario": "steady",
            "config": {**stage.describe(), **n},
            "windows": [check_window(tracker, "measured", start, end, cutoff, stage)],
            "heartbeats": heartbeat_figures(on_time, late, until=cutoff, stopped=stopped),
            "pings": pinger.figures(end=burst_started),
            "ping_burst": burst,
            "runner_spread": stage.runner_spread,
            "peak_rss_mb": {g: stage.sampler.peak_rss_mb(g) for g in ("cluster", "targets", "web")},
        }
    result.update(stage.info)
    return result


def tracked(plan, cutoff):
    """The planned slots matched with every result recorded up to `cutoff`."""
    tracker = SlotTracker()
    tracker.add(plan)
    tracker.feed(fetch_results(None, cutoff))
    return tracker


def hanging(cfg):
    n = sizes(cfg)
    with Stage(cfg) as stage:
        targets = stage.start_targets()
        stage.start_clusters()
        t0 = time.time() + 2
        plan = setup.insert_checks(prefix="c", http=n["http"], tcp=n["tcp"], hang_fraction=0.1,
                                   interval=n["interval"], timeout=n["timeout"], start=t0, targets=targets)
        start_a = t0 + n["warmup"]
        end_a = start_a + n["window"]
        sleep_until(end_a)
        targets.hang(True)
        switched = time.time()
        start_b = switched + n["timeout"]  # the hanging checks fill their threads
        end_b = start_b + n["window"]
        cutoff = end_b + LAG_ALLOWANCE
        sleep_until(cutoff + WRITE_ALLOWANCE)
        stage.stop_clusters()
        tracker = tracked(plan, cutoff)
        result = {
            "scenario": "hanging",
            "config": {**stage.describe(), **n, "hang_fraction": 0.1},
            "windows": [
                check_window(tracker, "before: all targets answer", start_a, end_a, cutoff, stage),
                check_window(tracker, "after: 10% of targets hang", start_b, end_b, cutoff, stage),
            ],
            "hang_switched_at": switched,
            "runner_spread": stage.runner_spread,
            "peak_rss_mb": {g: stage.sampler.peak_rss_mb(g) for g in ("cluster", "targets")},
            "sample_hung_detail": _sample_detail(plan),
        }
    result.update(stage.info)
    return result


def _sample_detail(plan):
    """What the hanging monitors' failed checks recorded (the first 2,000)."""
    ids = [pk for pk, (_, _, label) in plan.items() if label in HANGABLE]
    counts, seen = {}, 0
    for _, _, status, _, detail in iter_results(None, time.time(), monitor_ids=ids):
        if status in FAILED and seen < 2000:
            counts[detail] = counts.get(detail, 0) + 1
            seen += 1
    return counts


def saturation(cfg, *, on_step=None):
    n = sizes(cfg)
    interval, window = n["step_interval"], n["step_window"]
    # 15 s of a 20 s interval: by then 3/4 of the new monitors have had a first check, and
    # the 60 s window holds exactly three slots of every monitor all the same.
    settle = n["settle"]
    with Stage(cfg) as stage:
        targets = stage.start_targets()
        stage.start_clusters()
        tracker = SlotTracker()
        fed = None
        steps, current = [], 0
        t_step = time.time() + 2
        saturated_at = None
        pending = None  # (rate, monitors, start, end) of the step being measured

        def add_monitors(index, rate, start):
            nonlocal current
            wanted = int(rate * interval)
            extra = wanted - current
            http = extra * 10 // 11
            plan = setup.insert_checks(prefix=f"s{index}-", http=http, tcp=extra - http, hang_fraction=0,
                                       interval=interval, timeout=n["timeout"], start=start, targets=targets,
                                       seed=index)
            tracker.add(plan)
            current = wanted
            return wanted

        monitors = add_monitors(0, n["steps"][0], t_step)
        for index, rate in enumerate(n["steps"]):
            start = t_step + settle
            end = start + window
            cutoff = end + LAG_ALLOWANCE
            sleep_until(end)
            has_next = index + 1 < len(n["steps"])
            next_start = time.time() + 1
            next_monitors = add_monitors(index + 1, n["steps"][index + 1], next_start) if has_next else None
            sleep_until(cutoff + WRITE_ALLOWANCE)
            rows = fetch_results(fed, cutoff)
            tracker.feed(rows)
            fed = cutoff
            figures = check_window(tracker, f"{rate} checks/s", start, end, cutoff, stage)
            figures.update(target_checks_per_s=rate, monitors=monitors, interval=interval)
            steps.append(figures)
            if on_step:
                on_step(figures)
            p99 = figures["checks"]["all"]["lag_s"]["p99"]
            if p99 is not None and p99 > 5.0 and saturated_at is None:
                saturated_at = rate
                if not cfg.all_steps:
                    break
            if has_next:
                t_step, monitors = next_start, next_monitors
        stage.stop_clusters()
        result = {
            "scenario": "saturation",
            "config": {**stage.describe(), **{k: n[k] for k in ("steps", "step_interval", "step_window", "timeout")},
                       "settle_s": settle},
            "windows": steps,
            "saturated_at_checks_per_s": saturated_at,
            "runner_spread": stage.runner_spread,
            "peak_rss_mb": {g: stage.sampler.peak_rss_mb(g) for g in ("cluster", "targets")},
        }
    result.update(stage.info)
    return result


def alerts(cfg):
    return alerting.alerts(cfg, Stage)


def history(cfg):
    return history_scenario(cfg, Stage)


SCENARIOS = {"steady": steady, "hanging": hanging, "saturation": saturation, "alerts": alerts, "history": history}


def run(cfg, **kwargs):
    result = SCENARIOS[cfg.scenario](cfg, **kwargs) if cfg.scenario == "saturation" else SCENARIOS[cfg.scenario](cfg)
    result["cli_config"] = asdict(cfg)
    return result
