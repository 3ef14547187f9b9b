"""A pinger for the heartbeat monitors: real HTTP requests to /ping/<uuid> on the web server."""

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from bench.measure import summary


def ping_once(base_url, ping_uuid):
    """One ping on a fresh connection (gunicorn's sync workers close after each response)."""
    parts = urlsplit(base_url)
    started = time.monotonic()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", f"/ping/{ping_uuid}", body=b"bench", headers={"Content-Type": "text/plain"})
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError as exc:
        status = type(exc).__name__
    finally:
        conn.close()
    return status, time.monotonic() - started


class Pinger(threading.Thread):
    """Sends pings at planned wall-clock times: (when, uuid) pairs, by a small thread pool."""

    def __init__(self, base_url, plan, *, threads=8):
        super().__init__(name="bench-pinger", daemon=True)
        self.base_url = base_url
        self.plan = sorted(plan)
        self.threads = threads
        self.results = []  # (planned, sent, status, latency)
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def stop(self):
        self._halt.set()
        self.join(40)

    def run(self):
        with ThreadPoolExecutor(self.threads, thread_name_prefix="bench-ping") as pool:
            for when, ping_uuid in self.plan:
                if self._halt.wait(max(0.0, when - time.time())):
                    break
                pool.submit(self._send, when, ping_uuid)

    def _send(self, when, ping_uuid):
        sent = time.time()
        status, latency = ping_once(self.base_url, ping_uuid)
        with self._lock:
            self.results.append((when, sent, status, latency))

    def figures(self, start=None, end=None):
        rows = [r for r in self.results if (start is None or r[1] >= start) and (end is None or r[1] < end)]
        statuses = {}
        for _, _, status, _ in rows:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        span = (max(r[1] for r in rows) - min(r[1] for r in rows)) if len(rows) > 1 else 0
        return {
            "pings": len(rows),
            "per_s": round(len(rows) / span, 2) if span else None,
            "statuses": statuses,
            "latency_ms": {k: (round(v * 1000, 1) if isinstance(v, float) else v) for k, v in summary([r[3] for r in rows]).items()},
            "send_delay_ms_max": round(max((r[1] - r[0] for r in rows), default=0) * 1000, 1),
        }


def plan_pings(on_time, late, *, start, end, period, late_spread):
    """On-time heartbeats ping every `period`, their phases spread over one period; the late
    ones ping once (within `late_spread` of the start) and then never again."""
    plan = []
    for i, (_, ping_uuid) in enumerate(on_time):
        when = start + i * period / max(1, len(on_time))
        while when < end:
            plan.append((when, ping_uuid))
            when += period
    for i, (_, ping_uuid) in enumerate(late):
        plan.append((start + i * late_spread / max(1, len(late)), ping_uuid))
    return plan


def burst(base_url, uuids, *, total, concurrency):
    """As many pings as the web server takes: `total` pings from `concurrency` clients."""
    results = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            status, latency = ping_once(base_url, uuids[i % len(uuids)])
            with lock:
                results.append((status, latency))

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    statuses = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "pings": len(results),
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "per_s": round(len(results) / seconds, 1),
        "statuses": statuses,
        "latency_ms": {k: (round(v * 1000, 1) if isinstance(v, float) else v) for k, v in summary([r[1] for r in results]).items()},
    }
