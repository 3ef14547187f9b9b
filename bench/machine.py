"""The machine a run ran on, the code it ran, and the results JSON file."""

import json
import os
import platform
import subprocess
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

def machine():
    info = {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gib": None,
        "os": _os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": _git("rev-parse", "--short", "HEAD"),
        "worktree_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
    try:
        import psutil

        info["ram_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    try:
        import psycopg

        from bench.setup import PG_ADMIN_URLS

        with psycopg.connect(PG_ADMIN_URLS[0], connect_timeout=3) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        info["postgresql"] = f"unavailable ({type(exc).__name__})"
    try:
        from bench.setup import redis_version

        info["redis"] = redis_version()
    except Exception as exc:
        info["redis"] = f"unavailable ({type(exc).__name__})"
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _os_name():
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=RESULTS_DIR.parent.parent,
                              timeout=10).stdout.strip()
    except OSError:
        return ""


def commit():
    """The code a scenario's processes run, as "<short hash>[+dirty]" (others may commit while
    a long run goes on)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS_DIR.parent.parent,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=RESULTS_DIR.parent.parent,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return None
    return head + ("+dirty" if dirty else "")


def write_json(document):
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(document, indent=2, default=str))
    return path
