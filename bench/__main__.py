"""`python -m bench` (or `make bench ARGS=...`): the check-engine benchmark.

    python -m bench                              everything (about 24 minutes; estimate printed first)
    python -m bench steady --db sqlite           one scenario on one database
    python -m bench saturation --db postgres --steps 300,400,500
    python -m bench steady --db postgres --clusters 2 --runners 4 --workers 3
    python -m bench alerts --db both             alert latency: state change → Slack POST
    python -m bench history --db postgres        90 days × 1,000 monitors: size, daily prune, uptime
    python -m bench --quick                      a smoke run of everything with small numbers

`all` is steady, hanging, saturation and alerts; `history` (about 13 min on PostgreSQL,
30-40 min on SQLite) runs only when named.

Each scenario runs in a child process with a fresh database of its own (SQLite in a temp
dir; PostgreSQL `vigil_bench_<random>` on 127.0.0.1:5432, with Redis as the broker),
dropped at the end. Tables are printed per scenario; everything goes to
bench/results/<timestamp>.json.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict

from bench import cli, report
from bench.machine import machine, write_json
from bench.history.config import sizes as history_sizes
from bench.scenarios import Config, run, sizes

SETUP_SECONDS = 22  # migrate, start targets, web, cluster and runners; stop and drop


def plan(args):
    """The (scenario, database, overrides) runs asked for."""
    scenarios = args.scenarios or ["all"]
    if "all" in scenarios:
        scenarios = ["steady", "hanging", "saturation", "alerts"]
        full = True
    else:
        full = False
    base = dict(quick=args.quick, duration=args.duration, warmup=args.warmup, clusters=args.clusters,
                runners=args.runners, concurrency=args.concurrency, workers=args.workers, lifetime=args.lifetime,
                target_processes=args.target_processes, steps=args.steps, all_steps=args.all_steps, keep=args.keep,
                monitors=args.monitors, days=args.days, gen_workers=args.gen_workers)
    runs = []
    for scenario in scenarios:
        for db in cli.dbs(args):
            runs.append(Config(scenario=scenario, db=db, **base))
            if full and scenario == "steady" and db == "postgres" and args.clusters == 1:
                # Scale-out: two clusters share four runner slots on PostgreSQL + Redis.
                runs.append(Config(scenario=scenario, db=db, **{**base, "clusters": 2, "runners": 4, "workers": 3}))
    return runs


def estimate(cfg):
    """Seconds, and the worst case for saturation (which stops at its first saturated step)."""
    if cfg.scenario == "history":
        return history_estimate(cfg)
    n = sizes(cfg)
    if cfg.scenario == "steady":
        seconds = 2 + n["warmup"] + n["window"] + 13 + 8
    elif cfg.scenario == "hanging":
        seconds = 2 + n["warmup"] + 2 * n["window"] + n["timeout"] + 13
    elif cfg.scenario == "alerts":
        seconds = 25 + (60 if cfg.quick else (cfg.duration or 240)) + 10 + 15
    else:
        per_step = n["settle"] + n["step_window"]
        seconds = 2 + per_step * len(n["steps"]) + 13
    return seconds + SETUP_SECONDS


def history_estimate(cfg):
    """Measured on 2 cores: generation and insertion, three prunes and compactions grow
    with the results; the live part (cluster, warm-up, baseline) is fixed."""
    n = history_sizes(cfg)
    results = n["monitors"] * n["days"] * 1440
    per_result = 1.4e-5 if cfg.db == "sqlite" else 4.5e-6  # SQLite: its prunes and uptime calls are slower
    return SETUP_SECONDS + 20 + n["warmup"] + n["baseline"] + 25 + results * per_result


def parse(argv):
    parser = cli.parser("python -m bench", __doc__, quick="small numbers, short windows: a smoke run",
                        keep="keep each scenario's temp dir (logs)")
    parser.add_argument("scenarios", nargs="*", metavar="scenario",
                        help="all (default: steady, hanging, saturation, alerts), steady, hanging, saturation, "
                             "alerts, history")
    parser.add_argument("--duration", type=float, help="measured seconds per window (default 80/60/60)")
    parser.add_argument("--warmup", type=float, help="seconds ignored at the start (default 20)")
    parser.add_argument("--clusters", type=int, default=1, help="qcluster processes (default 1)")
    parser.add_argument("--runners", type=int, default=2, help="CHECK_RUNNERS (default 2)")
    parser.add_argument("--concurrency", type=int, default=100, help="CHECK_CONCURRENCY (default 100)")
    parser.add_argument("--workers", type=int, default=4, help="Q_WORKERS per cluster (default 4)")
    parser.add_argument("--lifetime", type=int, default=120, help="CHECK_RUNNER_LIFETIME (default 120)")
    parser.add_argument("--target-processes", type=int, default=2, help="loopback target server processes")
    parser.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")], default=[],
                        help="saturation steps in checks/s, e.g. 100,200,300")
    parser.add_argument("--all-steps", action="store_true", help="saturation: go on past the saturation point")
    cli.add_history_sizes(parser, monitors="history: monitors (default 1000; --quick 50)",
                          days="history: days of history (default 90; --quick 10)",
                          gen_workers="history: generator processes (default 2)")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - {"all", "steady", "hanging", "saturation", "alerts", "history"}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.days is not None and args.days < 10:
        parser.error("--days: history needs 10 days or more")
    return args


def child(spec, out):
    """One scenario, in this process (Django is set up here, on the scenario's database)."""
    cli.stop_on_sigterm()
    cfg = Config(**json.loads(spec))

    def on_step(window):
        f = window["checks"]["all"]
        print(f"  step {window['target_checks_per_s']}/s: {f['checks_per_s']:.1f} checks/s, lag p50 "
              f"{report._lag(f['lag_s']['p50'])} p99 {report._lag(f['lag_s']['p99'])} max "
              f"{report._lag(f['lag_s']['max'])}, missed {f['missed']}, cluster "
              f"{window['resources']['cluster']['cores']} cores", flush=True)

    try:
        result = run(cfg, on_step=on_step) if cfg.scenario == "saturation" else run(cfg)
    except KeyboardInterrupt:
        print("  scenario interrupted; its database and processes are gone", flush=True)
        return 130
    with open(out, "w") as handle:
        json.dump(result, handle, default=str)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "pages" in argv:  # the status page and the dashboard (issue 5): a runner of its own
        from bench.pages.command import main as pages_main

        return pages_main([arg for arg in argv if arg != "pages"])
    args = parse(argv)
    if args.child:
        return child(args.child, args.out) or 0
    runs = plan(args)
    total = sum(estimate(cfg) for cfg in runs)
    print(f"Vigil check-engine bench: {len(runs)} run(s), at most about {total / 60:.0f} min "
          f"(saturation stops at its first saturated step). Load now: {os.getloadavg()[0]:.2f}", flush=True)
    document = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "argv": sys.argv[1:], "machine": machine(),
                "runs": []}
    path = None
    try:
        for cfg in runs:
            label = f"{cfg.scenario} on {cfg.db}" + (f" with {cfg.clusters} clusters" if cfg.clusters > 1 else "")
            print(f"\n>> {label} (about {estimate(cfg) / 60:.1f} min, load {os.getloadavg()[0]:.2f}) …", flush=True)
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
                out = handle.name
            started = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "bench", "--child", json.dumps(asdict(cfg)), "--out", out],
                                    cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            try:
                code = proc.wait()
            except KeyboardInterrupt:
                print("\ninterrupted: waiting for the scenario to clean up …", flush=True)
                proc.wait()
                raise
            try:
                result = json.load(open(out)) if code == 0 else None
            finally:
                os.unlink(out)
            if result is None:
                print(f"!! {label} failed (exit {code})", flush=True)
                document["runs"].append({"scenario": cfg.scenario, "db": cfg.db, "failed": code, "config": asdict(cfg)})
                continue
            result["wall_s"] = round(time.monotonic() - started, 1)
            result["goals"] = report.goals(result)
            document["runs"].append(result)
            print(report.render(result), flush=True)
    except KeyboardInterrupt:
        document["interrupted"] = True
        return 130
    finally:
        document["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if document["runs"]:
            path = write_json(document)
            print(f"\nresults: {path}", flush=True)
    summary = [(r["scenario"], r["config"]["db"] + (f" ×{r['config']['clusters']}" if r["config"]["clusters"] > 1 else ""), g)
               for r in document["runs"] if "goals" in r for g in r["goals"]]
    if summary:
        print("\n== all goals")
        print(report.table(["scenario", "db", "goal", "target", "measured", "met"],
                           [[s, d, g["goal"], g["target"], g["measured"], report.verdict(g["met"])]
                            for s, d, g in summary]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
