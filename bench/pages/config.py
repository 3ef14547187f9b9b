"""The pages scenario's sizes, goals and time estimate, and its timing statistics."""

import os
import statistics
import time
from pathlib import Path

from core.stats import percentile


ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
PAGES_REDIS_URL = os.environ.get("BENCH_PAGES_REDIS_URL", "redis://127.0.0.1:6379/14")
TAGS = ("api", "web", "payments", "infrastructure", "edge")
GOALS = {"cached_p50_ms": 10, "cached_p99_ms": 50, "cached_rps": 1000, "uncached_p99_ms": 300,
         "page_kb": 300, "dashboard_s": 1.0}

def sizes(cfg):
    if cfg["quick"]:
        n = dict(public=50, monitors=150, days=10, raw_days=3, duration=5, warmup=2, uncached_duration=5,
                 connections=[8, 32], plain_connections=[32], web_workers=[2], inprocess_uncached=10,
                 inprocess_cached=50, dashboard_requests=10, dashboard_budget_s=30)
    else:
        n = dict(public=200, monitors=1000, days=90, raw_days=30, duration=30, warmup=3, uncached_duration=20,
                 connections=[8, 32, 64], plain_connections=[32], web_workers=[2, 4], inprocess_uncached=50,
                 inprocess_cached=300, dashboard_requests=30, dashboard_budget_s=150)
    for key in ("public", "monitors", "days", "duration", "connections", "web_workers"):
        if cfg.get(key):
            n[key] = cfg[key]
    n["threads"] = cfg.get("threads") or 4
    n["expiry"] = cfg.get("expiry") or "shipped"
    n["rate"] = cfg.get("rate")
    n["skip_uncached"] = bool(cfg.get("skip_uncached"))
    n["skip_dashboard"] = bool(cfg.get("skip_dashboard"))
    n["gen_workers"] = cfg.get("gen_workers") or 2
    n["raw_days"] = min(n["raw_days"], n["days"])
    return n


def estimate(cfg):
    n = sizes(cfg)
    per_result = 4.0e-6 if cfg["db"] == "sqlite" else 4.5e-6
    generation = n["public"] * n["days"] * 1440 * per_result
    modes = 2 if n["expiry"] == "both" else 1
    runs = len(n["connections"]) * (2 if n["rate"] else 1) + len(n["plain_connections"])
    web = len(n["web_workers"]) * (modes * (runs * (n["duration"] + 2) + n["warmup"] + 5)
                                   + (0 if n["skip_uncached"] else 2 * (n["uncached_duration"] + 2) + 5))
    dashboard = 0
    if not n["skip_dashboard"]:
        dashboard = (n["monitors"] - n["public"]) * n["days"] * 1440 * per_result * 0.7 + 4 * n["dashboard_budget_s"]
    return 40 + generation + web + dashboard


# Statistics -----------------------------------------------------------------


def summary(seconds):
    """Figures in ms of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p90_ms": round(percentile(ms, 90), 2),
            "p99_ms": round(percentile(ms, 99), 2), "min_ms": round(min(ms), 2), "max_ms": round(max(ms), 2),
            "mean_ms": round(statistics.fmean(ms), 2)}


def timed(fn, repeats, budget=None):
    """`repeats` calls timed, or fewer (5 at least) once `budget` seconds have gone."""
    spent, began = [], time.perf_counter()
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        spent.append(time.perf_counter() - started)
        if budget and len(spent) >= 5 and time.perf_counter() - began > budget:
            break
    return summary(spent)
