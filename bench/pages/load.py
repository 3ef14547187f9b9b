"""The load generator: wrk (its Lua reporter below), or a Python client when wrk is
missing, and sequential requests."""

import json
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.pages.config import summary
from core.stats import percentile


WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
"""


def load_generator():
    """("wrk", version) or ("python", why)."""
    path = shutil.which("wrk")
    if path:
        out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
        return "wrk", (out[0].split(" [")[0] if out else "wrk")
    return "python", "wrk not installed"


def ensure_wrk(say):
    """Install Debian's wrk when missing (as root with apt-get); say what will be used."""
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is missing: apt-get install -y wrk …")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        ok = subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True).returncode == 0
        if not ok:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    if not shutil.which("wrk"):
        say("!! wrk could not be installed: using the Python load client (slower; it shares the cores too)")


def run_load(stage, url, *, connections, duration, gzip, cookie=None, rate=None):
    """One load run: requests/s and latency percentiles, with the CPU used meanwhile. With
    `rate`, the connections are paced to about that many requests a second (wrk only)."""
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    if cookie:
        headers["Cookie"] = cookie
    started = time.time()
    kind, _ = load_generator()
    if kind == "wrk":
        figures = _wrk(stage, url, connections, duration, headers, pace_ms=rate and connections * 1000 / rate)
    else:
        figures = _python_load(url, connections, duration, headers)
    ended = time.time()
    figures["cpu"] = {group: values["cores"] for group, values in stage.sampler.window(started, ended).items()
                      if group != "machine"}
    machine = stage.sampler.window(started, ended)["machine"]
    figures["cpu"].update(machine=machine["cores"], others=machine.get("others_cores"),
                          loadavg_1m_max=machine["loadavg_1m_max"])
    figures.setdefault("load_generator_cores", figures["cpu"].get("bench"))  # the Python client runs in this process
    figures.update(connections=connections, gzip=gzip, window=[round(started, 3), round(ended, 3)])
    if rate and kind == "wrk":
        figures["paced_rps"] = rate
    return figures


def _wrk(stage, url, connections, duration, headers, pace_ms=None):
    """With `pace_ms`, each connection waits that long after every response before its next
    request (wrk's `delay()`): N connections then send about N × 1000 / (pace + latency)
    requests a second, instead of as many as the server can answer."""
    script = Path(stage.workdir) / "report.lua"
    script.write_text(WRK_LUA + (f"delay = function() return {pace_ms:.1f} end\n" if pace_ms else ""))
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
            "-s", str(script)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stage.helpers.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=duration + 60)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        stage.helpers.discard(proc.pid)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in out.splitlines() if line.startswith("WRKJSON ")), None)
    if proc.returncode or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out[-2000:]}\n{err[-2000:]}")
    raw = json.loads(line[len("WRKJSON "):])
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return {"tool": "wrk", "requests": raw["requests"], "seconds": round(seconds, 2),
            "rps": round(raw["requests"] / seconds, 1), "bytes_per_response": round(raw["bytes"] / max(1, raw["requests"])),
            "errors": raw["errors"], "p50_ms": lat["p50"] / 1000, "p75_ms": lat["p75"] / 1000,
            "p90_ms": lat["p90"] / 1000, "p99_ms": lat["p99"] / 1000, "p999_ms": lat["p999"] / 1000,
            "min_ms": lat["min"] / 1000,
            "max_ms": lat["max"] / 1000, "mean_ms": round(lat["mean"] / 1000, 3),
            "load_generator_cores": round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / seconds, 3)}


def _python_load(url, connections, duration, headers):
    """The fallback: a thread per connection, each on one keep-alive connection."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    stop_at = time.perf_counter() + duration
    latencies, errors, sizes_seen = [], {"status": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}, []
    lock = threading.Lock()

    def worker():
        conn, mine, bad, size = None, [], 0, 0
        while time.perf_counter() < stop_at:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                started = time.perf_counter()
                conn.request("GET", parts.path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                mine.append(time.perf_counter() - started)
                size = len(body)
                if response.status >= 400:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError:
                bad += 1
                conn = None
        with lock:
            latencies.extend(mine)
            errors["read"] += bad
            sizes_seen.append(size)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    s = summary(latencies)
    return {"tool": "python", "requests": len(latencies), "seconds": round(seconds, 2),
            "rps": round(len(latencies) / seconds, 1), "bytes_per_response": max(sizes_seen or [0]), "errors": errors,
            "p50_ms": s["p50_ms"], "p90_ms": s["p90_ms"], "p99_ms": s["p99_ms"],
            "p999_ms": round(percentile([x * 1000 for x in latencies], 99.9), 2), "max_ms": s["max_ms"],
            "mean_ms": s["mean_ms"]}


def sequential(url, requests, *, cookie=None, gzip=False, budget=None):
    """`requests` GETs one after another on fresh connections (fewer, 5 at least, once
    `budget` seconds have gone): latency and size."""
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    spent, size, began = [], 0, time.perf_counter()
    for _ in range(requests + 1):
        request = urllib.request.Request(url, headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            final = response.geturl()
        spent.append(time.perf_counter() - started)
        if final != url:
            raise RuntimeError(f"{url} redirected to {final}: the session cookie was not accepted")
        size = len(body)
        if budget and len(spent) > 5 and time.perf_counter() - began > budget:
            break
    return {**summary(spent[1:]), "bytes": size, "first_ms": round(spent[0] * 1000, 1)}


def check_gzip(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Encoding"), response.headers.get("Vary")
