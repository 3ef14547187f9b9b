"""The scenarios. Each runs in its own process on its own fresh database.

- steady:     2,000 HTTP + 200 TCP monitors at 60 s and 300 heartbeats (goal 1)
- hanging:    the same checks; after a first measured minute, 10% of the targets hang
              until the monitors' timeout (goal 2: the healthy ones' lag must not move)
- saturation: monitors at 20 s, stepped 100, 300 … 600 checks/s until lag p99 passes 5 s (goal 3)
- alerts:     state change → Slack-shaped POST, and heartbeat deadline → POST (bench/alerts.py)
- history:    90 days × 1,000 monitors in the rollups: size, daily prune, uptime (bench/history/)
"""

import time
from dataclasses import asdict, dataclass, field

from bench import alerts as alerting
from bench import heartbeats as hb
from bench import setup
from bench.history.scenario import history as history_scenario
from bench.measure import FAILED, SlotTracker, fetch_results, heartbeat_figures, iter_results
from bench.stage import HANGABLE, LAG_ALLOWANCE, WRITE_ALLOWANCE, Stage, check_window, sleep_until


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
