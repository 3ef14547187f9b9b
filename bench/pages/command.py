"""`python -m bench pages` (and `python -m bench.pages`): the command line, one child
process per database, the results file."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import cli, report
from bench.machine import machine, write_json
from bench import pages as pages_package
from bench.pages.config import ROOT, estimate
from bench.pages.load import ensure_wrk, load_generator
from bench.pages.report import goals, markdown, render
from bench.pages.scenario import pages
from bench.pages.server import _uptime


# Command line -----------------------------------------------------------------


def _ints(text):
    return [int(x) for x in text.split(",") if x]


def parse(argv):
    parser = cli.parser("python -m bench pages", pages_package.__doc__, quick="small numbers, short runs: a smoke run",
                        keep="keep the temp dir (logs, the SQLite file)")
    parser.add_argument("--duration", type=float, help="seconds per cached load run (default 30)")
    parser.add_argument("--connections", type=_ints, help="cached gzip runs' connections (default 8,32,64)")
    parser.add_argument("--web-workers", type=_ints, help="gunicorn worker counts to try (default 2,4)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default 4, as make run)")
    parser.add_argument("--public", type=int, help="public monitors (default 200)")
    cli.add_history_sizes(parser, monitors="all monitors, for the dashboard (default 1000)",
                          days="days of history (default 90)", gen_workers="history generator processes (default 2)")
    parser.add_argument("--expiry", choices=["shipped", "pinned", "both"], default="both",
                        help="cached runs with the shipped 15 s expiry, with the page pinned warm, or both")
    parser.add_argument("--rate", type=int, help="also run each cached gzip load paced to about this many "
                                                 "requests/s in all (wrk's delay(); e.g. 1000, the goal's rate)")
    parser.add_argument("--skip-uncached", action="store_true", help="no uncached (DummyCache) gunicorn runs")
    parser.add_argument("--skip-dashboard", action="store_true", help="no 800 more monitors, no dashboard")
    parser.add_argument("--markdown", metavar="FILE", help="print a results file as Markdown and stop")
    return parser.parse_args(argv)


def child(spec, out):
    cli.stop_on_sigterm()
    cfg = json.loads(spec)
    try:
        result = pages(cfg)
    except KeyboardInterrupt:
        print("  interrupted; its database and processes are gone", flush=True)
        return 130
    with open(out, "w") as handle:
        json.dump(result, handle, default=str)
    return 0


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())))
        return 0
    if args.child:
        return child(args.child, args.out)
    say = lambda text: print(text, flush=True)  # noqa: E731
    ensure_wrk(say)
    dbs = cli.dbs(args)
    base = {key: getattr(args, key) for key in ("quick", "duration", "connections", "web_workers", "threads", "public",
                                                "monitors", "days", "gen_workers", "keep", "expiry", "rate",
                                                "skip_uncached", "skip_dashboard")}
    cfgs = [{**base, "db": db} for db in dbs]
    total = sum(estimate(cfg) for cfg in cfgs)
    say(f"Vigil pages bench (status page and dashboard): {len(cfgs)} run(s), about {total / 60:.0f} min; load "
        f"generator {'%s (%s)' % load_generator()}. Load now: {_uptime()}")
    document = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "argv": ["pages", *(sys.argv[1:] if argv is None else argv)],
                "machine": machine(), "free_h": _free(), "uptime_before": _uptime(), "runs": []}
    try:
        for cfg in cfgs:
            say(f"\n>> pages on {cfg['db']} (about {estimate(cfg) / 60:.0f} min, load {os.getloadavg()[0]:.2f}) …")
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
                out = handle.name
            started = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "bench.pages", "--child", json.dumps(cfg), "--out", out],
                                    cwd=ROOT)
            try:
                code = proc.wait()
            except KeyboardInterrupt:
                say("\ninterrupted: waiting for the scenario to clean up …")
                proc.wait()
                raise
            try:
                result = json.load(open(out)) if code == 0 and os.path.getsize(out) else None
            finally:
                os.unlink(out)
            if result is None:
                say(f"!! pages on {cfg['db']} failed (exit {code})")
                document["runs"].append({"scenario": "pages", "db": cfg["db"], "failed": code, "config": cfg})
                continue
            result["wall_s"] = round(time.monotonic() - started, 1)
            result["goals"] = goals(result)
            document["runs"].append(result)
            say(render(result))
    except KeyboardInterrupt:
        document["interrupted"] = True
        return 130
    finally:
        document["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        document["uptime_after"] = _uptime()
        if document["runs"]:
            say(f"\nresults: {write_json(document)}")
    rows = [[r["config"]["db"], g["goal"], g["target"], g["measured"], report.verdict(g["met"])]
            for r in document["runs"] if "goals" in r for g in r["goals"]]
    if rows:
        say("\n== goals")
        say(report.table(["db", "goal", "target", "measured", "met"], rows))
    return 0


def _free():
    try:
        return subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        return None
