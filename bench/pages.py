"""The pages scenario (issue 5): the public status page and the super admins' dashboard,
served by gunicorn, measured with a load generator on loopback.

    python -m bench pages --db both                200 public monitors, then 1,000 monitors
    python -m bench pages --db sqlite --quick      a smoke run (small numbers, short runs)
    python -m bench pages --db postgres --web-workers 2,4 --connections 8,32,64 --duration 30

Each database runs in a child process of its own, on a fresh database (SQLite in a temp
dir; PostgreSQL `vigil_bench_<random>`, dropped at the end), like the other scenarios:

1.  200 public HTTP monitors under five tags (a tenth untagged: "Other"), never checked
    (no cluster runs), with 90 days of hourly and daily rollups written straight into the
    tables by `bench.history`'s generator (its outages give the bars their bad days; raw
    results kept for the last RESULTS_RETENTION_DAYS, 30, as the engine keeps them).
    Three resolved incidents in the last 14 days (source_key "monitor:<id>", public
    timeline updates) and one 40 days ago, and one maintenance window two days ahead
    covering a tag: the page has every section.
2.  In-process (Django's test Client, no network): the page 50 times with its three cache
    entries deleted before each request ("uncached"), its parts timed alone (the data
    build, the body's rendering, the gzip), its queries counted; then warm ("cached").
    The page's size, plain and gzipped.
3.  gunicorn serving the page on a free loopback port, with the flags of `make run`
    (`--threads 4 --timeout 90`), DEBUG=false, ALLOWED_HOSTS=127.0.0.1, static files
    collected into a temp STATIC_ROOT (VIGIL_VAR_DIR), the database's environment (SQLite:
    the per-process LocMemCache; PostgreSQL: the Redis cache, on Redis database 14 so no
    other Vigil's keys are met), for 2 and then 4 workers:
    - cached: `wrk` with `Accept-Encoding: gzip` at 8, 32 and 64 connections, and without
      it at 32, 30 s each after a 3 s warm-up, in two modes (`--expiry`): as shipped (the
      page expires every 15 s, so a run includes its rebuilds) and warm ("pinned": the
      WSGI factory below sets status_data.CACHE_SECONDS to an hour). Each worker logs
      every rebuild (data, body, gzip) with its time, so the figures say how many
      happened during the run.
    - uncached: the same gunicorn with Django's DummyCache (a WSGI factory in this file
      overrides CACHES before Django starts; portal/settings.py reads no variable for it),
      so every request builds the page: `wrk` at 1 connection and at one per worker.
4.  800 private monitors more (1,000 in all), 90 days of history each; a super admin
    (session cookie from Django's test Client, stored in the database): the dashboard and
    its panels 30 times each in-process and through gunicorn; the status page's uncached
    build again, now with 800 private monitors beside the public ones.

wrk is Debian's (`apt-get install -y wrk`, done here when it is missing and we are root);
without it a Python load client (threads, keep-alive connections) is used and the results
say so. CPU per process group is sampled (gunicorn, the load generator, PostgreSQL,
Redis, "others": whoever else uses the machine). Results go to
bench/results/<timestamp>.json; `python -m bench.pages --markdown FILE` prints one as
Markdown.
"""

import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench import cli, report
from core.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PAGES_REDIS_URL = os.environ.get("BENCH_PAGES_REDIS_URL", "redis://127.0.0.1:6379/14")
TAGS = ("api", "web", "payments", "infrastructure", "edge")
GOALS = {"cached_p50_ms": 10, "cached_p99_ms": 50, "cached_rps": 1000, "uncached_p99_ms": 300,
         "page_kb": 300, "dashboard_s": 1.0}
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


# gunicorn's application (imported by the gunicorn workers) -----------------------------------


def web_application(cache=True, build_log="", pin=False):
    """portal.wsgi's application; without `cache`, on Django's DummyCache (every request
    builds the status page); with `pin`, the status page's cache entries last an hour
    instead of 15 s (a warm cache for the whole run: no rebuild). With `build_log`, each
    rebuild of the status page's data, body and gzip is appended to that file as
    "<what> <pid> <epoch> <seconds>"."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings

    if not cache:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    if pin:
        from portal.status import data as status_data

        status_data.CACHE_SECONDS = 3600  # read at call time by status_data and status_page
    if build_log:
        _log_builds(build_log)
    return application


def _log_builds(path):
    from portal.status import data as status_data
    from portal.status import views as status_page

    def logged(what, fn):
        def wrapper(*args, **kwargs):
            at, started = time.time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                line = f"{what} {os.getpid()} {at:.3f} {time.perf_counter() - started:.4f}\n"
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)
        return wrapper

    # Module globals the views look up at call time: each is called only on a cache miss.
    status_data.build_public_status = logged("data", status_data.build_public_status)
    status_page.render_to_string = logged("body", status_page.render_to_string)
    status_page.compress_string = logged("gzip", status_page.compress_string)


def read_builds(path, start, end):
    """{what: {"count", "p50_ms", "max_ms"}} of the rebuilds that started in [start, end)."""
    found = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        what, _, at, seconds = line.split()
        if start <= float(at) < end:
            found.setdefault(what, []).append(float(seconds))
    return {what: {"count": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                   "max_ms": round(max(v) * 1000, 1)} for what, v in found.items()}


# The stage: database, environment, Django, sampler --------------------------------------


class Stage:
    """A fresh database, Django in this process on it, and a CPU sampler; torn down on exit."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.workdir = tempfile.mkdtemp(prefix="vigil-bench-pages-")
        self.helpers = set()  # pids of our helpers (generators, the load generator)
        self.web = None
        self.failed = False
        self.info = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "uptime_before": _uptime()}

    def __enter__(self):
        from bench import setup

        self.stack = ExitStack()
        self.stack.__enter__()
        try:
            self.stack.callback(self._remove_workdir)
            self.db = setup.make_database(self.cfg["db"], self.workdir)
            self.db.create()
            self.stack.callback(self.db.drop)
            env = setup.child_env(db=self.db, workdir=self.workdir, cluster_name=f"vigil-bench-{secrets.token_hex(5)}",
                                  broker="orm", runners=2, concurrency=100, workers=4, lifetime=120)
            redis = PAGES_REDIS_URL if self.cfg["db"] == "postgres" else ""
            env.update(REDIS_URL=redis, ALLOWED_HOSTS=HOST, DEBUG="false", REQUIRE_2FA_FOR_SUPER_ADMINS="false",
                       SECURE_SSL_REDIRECT="false")
            self.env = env
            os.makedirs(env["VIGIL_VAR_DIR"], exist_ok=True)
            self.info["migrate_s"] = round(setup.migrate(env, self.workdir), 1)
            started = time.monotonic()
            result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            if result.returncode:
                raise RuntimeError(f"collectstatic failed:\n{result.stderr[-3000:]}")
            self.info["collectstatic_s"] = round(time.monotonic() - started, 1)
            for key in ("REDIS_URL", "ALLOWED_HOSTS", "REQUIRE_2FA_FOR_SUPER_ADMINS", "SECURE_SSL_REDIRECT"):
                os.environ[key] = env[key]
            setup.django_setup(env)
            self.stack.callback(self._close_django)
            if redis:
                self.stack.callback(self._forget_cache)
            self._start_sampler()
            self.info["versions"] = self._versions()
            self.info["cache"] = "redis (" + redis.rsplit("/", 1)[-1] + ")" if redis else "locmem (per process)"
        except BaseException:
            self.failed = True
            self.stack.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self.failed = True
        self.info["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.info["uptime_after"] = _uptime()
        return self.stack.__exit__(exc_type, exc, tb)

    def _start_sampler(self):
        from bench.measure import Sampler, find_redis_pids

        groups = {"web": lambda: self.web.pids() if self.web else set(), "bench": lambda: {os.getpid(), *self.helpers}}
        if self.cfg["db"] == "postgres":
            redis_pids = find_redis_pids()
            groups["postgres"] = self.db.backend_pids
            groups["redis"] = lambda: redis_pids
        self.sampler = Sampler(groups, every=1.0)
        self.sampler.start()
        self.stack.callback(self.sampler.stop)

    def _versions(self):
        from bench import setup

        if self.cfg["db"] == "postgres":
            return {"postgresql": self.db.version(), "redis": setup.redis_version()}
        import sqlite3

        return {"sqlite": sqlite3.sqlite_version}

    def _forget_cache(self):
        """Our cache keys on the bench's Redis database (nothing else: never FLUSHDB)."""
        import redis

        client = redis.Redis.from_url(PAGES_REDIS_URL)
        for key in client.scan_iter("vigil-cache:*"):
            client.delete(key)

    def _close_django(self):
        from django.db import connections

        connections.close_all()

    def _remove_workdir(self):
        if self.cfg.get("keep") or self.failed:
            print(f"  logs kept in {self.workdir}", flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


# The data -----------------------------------------------------------------


def monitor_name(i, public):
    kinds = ("API", "website", "checkout", "search", "login", "CDN edge", "webhooks", "reports")
    return f"{'Public' if public else 'Internal'} {kinds[i % len(kinds)]} {i:04d}"


def add_monitors(stage, n, *, public, count, offset, days, raw_days, seed, say):
    """`count` HTTP monitors with `days` of history; returns the generator's figures."""
    from django.utils.text import slugify

    from bench import history as hist
    from monitors.models import Monitor, Tag

    end_ms = hist.ms_of(datetime.now(UTC))
    first_ms = hist.floor_ms(end_ms, hist.HOUR_MS) - days * hist.DAY_MS
    parked = hist.dt_of(end_ms) + hist.PARKED
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
    if not tags:
        Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
        tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
    rows = []
    for i in range(offset, offset + count):
        name = monitor_name(i, public)
        rows.append(Monitor(name=name, kind="http", interval=hist.INTERVAL, url=f"http://{HOST}:9/{i}",
                            public=public, slug=slugify(name) if public else None, next_check_at=parked,
                            monitoring_since=hist.dt_of(first_ms), status_changed_at=hist.dt_of(first_ms)))
    Monitor.objects.bulk_create(rows, batch_size=500)
    names = [row.name for row in rows]
    ids = list(Monitor.objects.filter(name__in=names).order_by("name").values_list("pk", flat=True))
    # Five groups; every tenth monitor untagged ("Other"), every seventh in two groups.
    through = Monitor.tags.through
    links = []
    for k, pk in enumerate(ids):
        if k % 10 == 9:
            continue
        links.append(through(monitor_id=pk, tag_id=tags[TAGS[k % len(TAGS)]].pk))
        if k % 7 == 3:
            links.append(through(monitor_id=pk, tag_id=tags[TAGS[(k + 2) % len(TAGS)]].pk))
    through.objects.bulk_create(links, batch_size=1000)
    say(f"  {len(ids)} {'public' if public else 'private'} monitors; generating {days} days of rollups "
        f"(raw results for the last {raw_days}) with {n['gen_workers']} processes …")
    figures, finals = hist.generate(stage, [(pk, k) for k, pk in enumerate(ids)], first_ms, end_ms,
                                    end_ms - raw_days * hist.DAY_MS, workers=n["gen_workers"], seed=seed,
                                    progress=say)
    figures["vacuum_analyze_s"] = hist.vacuum_analyze()
    rng = random.Random(seed)
    monitors = Monitor.objects.in_bulk(ids)
    for pk, (status, failures, last_ms) in finals.items():
        m = monitors[pk]
        m.status, m.consecutive_failures = status, failures
        m.last_checked_at = hist.dt_of(last_ms) if last_ms else None
        m.response_time_ms = round(rng.lognormvariate(math.log(hist.PROFILES[m.pk % len(hist.PROFILES)]), 0.3), 1)
        m.last_detail = "status 200"
    Monitor.objects.bulk_update(monitors.values(), ["status", "consecutive_failures", "last_checked_at",
                                                    "response_time_ms", "last_detail"], batch_size=500)
    say(f"  generated in {figures['seconds']} s: {figures['hourly_rows']:,} hourly rows, {figures['daily_rows']:,} "
        f"daily rows, {figures['state_changes']:,} state changes")
    return {**figures, "monitors": len(ids), "public": public, "days": days, "raw_days": raw_days}


def add_incidents_and_maintenance():
    """Three incidents resolved in the last 14 days and one 40 days ago, each on a public
    monitor at one of its generated outages, with public updates; one maintenance window
    starting in two days, covering the "payments" tag."""
    from datetime import timedelta

    from django.utils import timezone

    from incidents.models import Incident, TimelineEntry
    from monitors.models import MaintenanceWindow, StateChange, Tag

    now = timezone.now()
    downs = StateChange.objects.filter(monitor__public=True, to_status="down").order_by("-changed_at")
    picked, seen = [], set()
    for since, until, wanted in ((13, 0, 3), (60, 35, 1)):
        found = 0
        for change in downs.filter(changed_at__gte=now - timedelta(days=since),
                                   changed_at__lte=now - timedelta(days=until, hours=2))[:500]:
            if change.monitor_id not in seen:
                seen.add(change.monitor_id)
                picked.append(change)
                found += 1
                if found == wanted:
                    break
    made = 0
    for n, change in enumerate(picked, 1):
        up = StateChange.objects.filter(monitor_id=change.monitor_id, changed_at__gt=change.changed_at,
                                        to_status="up").order_by("changed_at").first()
        resolved = up.changed_at if up else change.changed_at + timedelta(minutes=20)
        incident = Incident.objects.create(
            ref=f"INC-BENCH-{n:03d}", title=f"monitor {change.monitor_id} down: {change.reason}", severity="P2",
            status=Incident.Status.RESOLVED, dedup_key=f"monitor:{change.monitor_id}:down",
            source_key=f"monitor:{change.monitor_id}", opened_at=change.changed_at,
            acknowledged_at=change.changed_at + timedelta(minutes=3), resolved_at=resolved)
        TimelineEntry.objects.bulk_create([
            TimelineEntry(incident=incident, at=change.changed_at + timedelta(minutes=4), kind="update", public=True,
                          text="We are investigating errors on this service."),
            TimelineEntry(incident=incident, at=resolved, kind="update", public=True,
                          text="A fix has been deployed; we are monitoring the results."),
        ])
        made += 1
    window = MaintenanceWindow.objects.create(name="Payments database upgrade", note="Card payments may be slow.",
                                              starts=now + timedelta(days=2),
                                              ends=now + timedelta(days=2, hours=2))
    window.tags.add(Tag.objects.get(name="payments"))
    return {"incidents": made, "maintenance_windows": 1}


# In-process measurements -----------------------------------------------------------------


def count_queries(fn):
    """Queries run by `fn()` (a wrapper on the connection: survives the reconnects a
    request makes, unlike connection.queries, which request_started resets)."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    return count


def status_keys():
    from portal.status import data as status_data
    from portal.status import views as status_page

    return [status_data.CACHE_KEY, status_page.BODY_CACHE_KEY, status_page.PAGE_CACHE_KEY, status_page.GZIP_PAGE_CACHE_KEY]


def status_in_process(n, *, label, parts=True):
    """The status page through Django's test Client (no network, no server)."""
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.test import Client
    from django.utils.text import compress_string

    from portal.status import data as status_data

    from portal.status import views as status_page

    client = Client(HTTP_HOST=HOST)
    keys = status_keys()

    def uncached():
        cache.delete_many(keys)
        response = client.get("/status/", HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, response.status_code

    uncached()  # templates compiled, connection opened
    figures = {"label": label, "uncached": timed(uncached, n["inprocess_uncached"])}
    cache.delete_many(keys)
    figures["queries_uncached"] = count_queries(lambda: client.get("/status/", HTTP_ACCEPT_ENCODING="gzip"))
    figures["queries_cached"] = count_queries(lambda: client.get("/status/", HTTP_ACCEPT_ENCODING="gzip"))
    figures["cached"] = timed(lambda: client.get("/status/", HTTP_ACCEPT_ENCODING="gzip"), n["inprocess_cached"])
    if not parts:
        return figures
    repeats = max(5, n["inprocess_uncached"] // 2)
    status = status_data.build_public_status()
    figures["parts"] = {
        "data_build": timed(status_data.build_public_status, repeats),
        "body_render": timed(lambda: render_to_string("status/_body.html", status_page.page_context(status)), repeats),
    }
    cache.delete_many(keys)
    plain = client.get("/status/").content
    gzipped = client.get("/status/", HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip"
    assert zlib.decompress(gzipped.content, 16 + zlib.MAX_WBITS) == plain
    figures["parts"]["gzip"] = timed(lambda: compress_string(plain), repeats)
    html = plain.decode()
    figures["size"] = {"html_bytes": len(plain), "gzip_bytes": len(gzipped.content),
                       "body_bytes": len(render_to_string("status/_body.html", status_page.page_context(status)))}
    figures["sections"] = {
        "components": html.count('class="status-component"'),
        "groups": html.count("<h2>") - html.count("<h2>Maintenance</h2>") - html.count("incidents</h2>"),
        "maintenance": html.count('id="maintenance-'),
        "past_incidents": html.count('class="status-incident"'),
        "bars_with_incident_days": html.count("data-incidents="),
        "latency_charts": html.count('class="status-latency"'),
        "headline": re.search(r'id="status-overall">([^<]*)<', html).group(1),
    }
    return figures


def superadmin_client():
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.invalid", secrets.token_hex(12))
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


def dashboard_in_process(client, n):
    figures = {}
    for name, path in (("page", "/dashboard/monitoring/"), ("panels", "/dashboard/monitoring/panels")):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        queries = count_queries(lambda path=path: client.get(path))

        def get(path=path):
            assert client.get(path).status_code == 200

        figures[name] = {**timed(get, n["dashboard_requests"], budget=n["dashboard_budget_s"]),
                         "bytes": len(response.content),
                         "queries": queries,
                         "tiles": response.content.decode().count('class="dash-tile ')}
    return figures


# gunicorn and the load generator -----------------------------------------------------------------


class Web:
    """gunicorn on a free loopback port with `make run`'s flags."""

    def __init__(self, stage, *, workers, threads, cache, name, pin=False):
        from bench import setup

        self.port = setup.free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.workers, self.threads, self.cache = workers, threads, cache
        self.build_log = str(Path(stage.workdir) / f"builds-{name}.log")
        app = f"bench.pages:web_application(cache={cache}, build_log={self.build_log!r}, pin={pin})"
        self.proc = setup.Proc(f"web-{name}", [sys.executable, "-m", "gunicorn", app, "--bind", f"{HOST}:{self.port}",
                                               "--workers", str(workers), "--threads", str(threads), "--timeout", "90",
                                               "--graceful-timeout", "5", "--log-level", "warning"],
                               env=stage.env, log_dir=stage.workdir)

    def start(self, timeout=60):
        from django.core.cache import cache

        cache.delete_many(status_keys())  # nothing left on Redis by the previous server
        self.proc.start()
        stop_at = time.monotonic() + timeout
        while time.monotonic() < stop_at:
            if not self.proc.alive():
                raise RuntimeError(f"gunicorn exited:\n{self.proc.tail()}")
            try:
                urllib.request.urlopen(self.url + "/status/", timeout=30).read()
                if len(self.pids()) > self.workers:
                    return self
            except urllib.error.HTTPError as exc:
                raise RuntimeError(f"/status/ answered {exc.code}:\n{self.proc.tail()}") from None
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in time:\n{self.proc.tail()}")

    def pids(self):
        return self.proc.pids()

    def stop(self):
        self.proc.stop(grace=10)


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


def web_runs(stage, n, *, workers, say):
    """The status page through gunicorn: cached (gzip and not) with the shipped 15 s
    expiry and/or pinned warm, then uncached."""
    result = {"workers": workers, "threads": n["threads"], "cached": [], "uncached": []}
    for mode in ("shipped", "pinned"):
        if n["expiry"] not in (mode, "both"):
            continue
        web = Web(stage, workers=workers, threads=n["threads"], cache=True, name=f"{mode}-{workers}",
                  pin=mode == "pinned")
        stage.web = web
        try:
            web.start()
            url = web.url + "/status/"
            result["content_encoding"], result["vary"] = check_gzip(url)
            say(f"  gunicorn {workers} workers × {n['threads']} threads, cached page "
                f"({'15 s expiry as shipped' if mode == 'shipped' else 'warm, pinned for the run'}): warm-up "
                f"{n['warmup']} s …")
            run_load(stage, url, connections=max(8, 2 * workers), duration=n["warmup"], gzip=True)
            plan = [(True, connections, None) for connections in n["connections"]]
            plan += [(False, connections, None) for connections in n["plain_connections"]]
            plan += [(True, connections, n["rate"]) for connections in n["connections"] if n["rate"]]
            for gzip, connections, rate in plan:
                figures = run_load(stage, url, connections=connections, duration=n["duration"], gzip=gzip, rate=rate)
                figures["builds"] = read_builds(web.build_log, *figures["window"])
                figures["mode"] = mode
                result["cached"].append(figures)
                paced = f" paced to {rate:,}/s" if rate else ""
                say(f"    {mode} {'gzip' if gzip else 'plain'}{paced} c={connections}: {_load_line(figures)}")
        finally:
            web.stop()
            stage.web = None
    if n["skip_uncached"]:
        return result
    web = Web(stage, workers=workers, threads=n["threads"], cache=False, name=f"uncached-{workers}")
    stage.web = web
    try:
        web.start()
        url = web.url + "/status/"
        for connections in sorted({1, workers}):
            figures = run_load(stage, url, connections=connections, duration=n["uncached_duration"], gzip=True)
            figures["builds"] = read_builds(web.build_log, *figures["window"])
            result["uncached"].append(figures)
            say(f"    uncached (DummyCache) c={connections}: {_load_line(figures)}")
    finally:
        web.stop()
        stage.web = None
    return result


def _load_line(f):
    errors = sum(f["errors"].values())
    cpu = f["cpu"]
    return (f"{f['rps']:,.0f} req/s, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, max {f['max_ms']:.0f} ms, "
            f"{errors} errors; cores gunicorn {cpu.get('web') or 0:.2f}, load generator "
            f"{f.get('load_generator_cores', cpu.get('bench') or 0):.2f}, others {cpu.get('others') or 0:.2f}")


def dashboard_web(stage, n, cookie, *, workers):
    from django.conf import settings

    web = Web(stage, workers=workers, threads=n["threads"], cache=True, name=f"dashboard-{workers}")
    stage.web = web
    try:
        web.start()
        started = time.time()
        cookie_header = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        figures = {"workers": workers, "threads": n["threads"]}
        for name, path in (("page", "/dashboard/monitoring/"), ("panels", "/dashboard/monitoring/panels")):
            figures[name] = sequential(web.url + path, n["dashboard_requests"], cookie=cookie_header,
                                       budget=n["dashboard_budget_s"])
        ended = time.time()
        window = stage.sampler.window(started, ended)
        figures["cpu"] = {"web": window.get("web", {}).get("cores"), "others": window["machine"].get("others_cores")}
        return figures
    finally:
        web.stop()
        stage.web = None


# The scenario -----------------------------------------------------------------


def pages(cfg):
    n = sizes(cfg)
    say = lambda text: print(text, flush=True)  # noqa: E731
    commit_at_start = _commit()
    with Stage(cfg) as stage:
        from django.db import connections

        from monitors.models import DailyRollup, HourlyRollup, Monitor

        data = {"public": add_monitors(stage, n, public=True, count=n["public"], offset=0, days=n["days"],
                                       raw_days=n["raw_days"], seed=1, say=say)}
        data.update(add_incidents_and_maintenance())
        say("  the status page in-process (test Client, no network) …")
        status = status_in_process(n, label=f"{n['public']} public monitors")
        say(f"    uncached p50 {status['uncached']['p50_ms']:.0f} ms p99 {status['uncached']['p99_ms']:.0f} ms "
            f"({status['queries_uncached']} queries; data {status['parts']['data_build']['p50_ms']:.0f} ms, body "
            f"{status['parts']['body_render']['p50_ms']:.0f} ms, gzip {status['parts']['gzip']['p50_ms']:.1f} ms); "
            f"cached p50 {status['cached']['p50_ms']:.2f} ms; page {status['size']['html_bytes'] / 1024:.0f} KB, "
            f"gzipped {status['size']['gzip_bytes'] / 1024:.0f} KB; {status['sections']}")
        connections.close_all()
        web = [attempt(f"gunicorn with {workers} workers", lambda workers=workers: web_runs(
            stage, n, workers=workers, say=say), say, workers=workers) for workers in n["web_workers"]]

        skipped = {"error": "skipped (--skip-dashboard)"}
        status_all, dashboard = skipped, {"in_process": skipped, "gunicorn": skipped}
        private = n["monitors"] - n["public"]
        if not n["skip_dashboard"]:
            if private > 0:
                # Raw results for 2 days only: neither page reads them (the last 24 hours'
                # rows hold them either way); it saves most of the generation time.
                data["private"] = add_monitors(stage, n, public=False, count=private, offset=n["public"],
                                               days=n["days"], raw_days=min(2, n["raw_days"]), seed=2, say=say)
            dashboard, status_all = dashboard_phase(stage, n, data, say)
        data["counts"] = {"monitors": Monitor.objects.count(), "public": Monitor.objects.filter(public=True).count(),
                          "hourly_rows": HourlyRollup.objects.count(), "daily_rows": DailyRollup.objects.count()}
        result = {"scenario": "pages",
                  "config": {"db": cfg["db"], "quick": cfg["quick"], "cache": stage.info.get("cache"), **n},
                  "load_generator": "%s (%s)" % load_generator(), "data": data, "status_in_process": status,
                  "status_in_process_all": status_all, "web": web, "dashboard": dashboard}
    result.update(stage.info)
    result["commit_at_start"], result["commit"] = commit_at_start, _commit()
    return result


def dashboard_phase(stage, n, data, say):
    """The dashboard in-process and through gunicorn; the status page again, uncached."""
    from django.db import connections

    from monitors.models import Monitor

    count = Monitor.objects.count()
    say(f"  the dashboard with {count} monitors …")
    client, cookie = superadmin_client()
    dashboard = {"in_process": attempt("dashboard in-process", lambda: dashboard_in_process(client, n), say)}
    d = dashboard["in_process"]
    if "error" not in d:
        say(f"    in-process: page p50 {d['page']['p50_ms']:.0f} ms p99 {d['page']['p99_ms']:.0f} ms "
            f"({d['page']['n']} requests, {d['page']['queries']} queries, {d['page']['bytes'] / 1024:.0f} KB); "
            f"panels p50 {d['panels']['p50_ms']:.0f} ms p99 {d['panels']['p99_ms']:.0f} ms")
    status_all = attempt("status page with every monitor", lambda: status_in_process(
        n, label=f"{n['public']} public of {count} monitors", parts=False), say)
    if "error" not in status_all:
        say(f"    status page uncached with {count} monitors in the database: p50 "
            f"{status_all['uncached']['p50_ms']:.0f} ms p99 {status_all['uncached']['p99_ms']:.0f} ms")
    connections.close_all()
    dashboard["gunicorn"] = attempt("dashboard through gunicorn", lambda: dashboard_web(
        stage, n, cookie, workers=n["web_workers"][0]), say)
    d = dashboard["gunicorn"]
    if "error" not in d:
        say(f"    gunicorn {d['workers']}×{d['threads']}: page p50 {d['page']['p50_ms']:.0f} ms p99 "
            f"{d['page']['p99_ms']:.0f} ms ({d['page']['n']} requests), panels p50 {d['panels']['p50_ms']:.0f} ms "
            f"p99 {d['panels']['p99_ms']:.0f} ms")
    return dashboard, status_all


def attempt(label, fn, say, **fields):
    """A phase's figures, or what went wrong in it (the code may change under a long run:
    the other phases' figures are kept)."""
    try:
        return fn()
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        say(f"  !! {label} failed: {text[:3000]}")
        return {**fields, "error": text[-3000:]}


def _commit():
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return None
    return head + ("+dirty" if dirty else "")


# Goals and tables -----------------------------------------------------------------


def goals(run):
    """Each goal, judged on this run's figures."""
    out = []
    quick = run["config"].get("quick")
    failed = [w for w in run["web"] if "error" in w]
    for w in failed:
        out.append({"goal": f"status page through gunicorn, {w['workers']} workers", "target": "measured",
                    "measured": "failed: " + w["error"][:200], "met": False})
    for w in run["web"]:
        if "error" in w:
            continue
        for f in w["cached"]:
            if not f["gzip"]:
                continue
            ok = (f["p50_ms"] <= GOALS["cached_p50_ms"] and f["p99_ms"] <= GOALS["cached_p99_ms"]
                  and f["rps"] >= GOALS["cached_rps"] and not sum(f["errors"].values()))
            mode = "warm, pinned" if f.get("mode") == "pinned" else "15 s expiry as shipped"
            if f.get("paced_rps"):
                mode += f", paced to {f['paced_rps']:,} req/s"
            out.append({"goal": f"status page cached ({mode}), {w['workers']} workers, {f['connections']} "
                                f"connections (gzip)",
                        "target": f"p50 ≤ {GOALS['cached_p50_ms']} ms, p99 ≤ {GOALS['cached_p99_ms']} ms, "
                                  f"≥ {GOALS['cached_rps']:,} req/s",
                        "measured": f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, {f['rps']:,.0f} req/s"
                                    + (f", {sum(f['errors'].values())} errors" if sum(f['errors'].values()) else ""),
                        "met": None if quick else ok})
    inproc = run["status_in_process"]["uncached"]
    out.append({"goal": "status page uncached, in-process (no network)", "target": f"p99 ≤ {GOALS['uncached_p99_ms']} ms",
                "measured": f"p50 {inproc['p50_ms']:.0f} ms, p99 {inproc['p99_ms']:.0f} ms ({inproc['n']} requests)",
                "met": None if quick else inproc["p99_ms"] <= GOALS["uncached_p99_ms"]})
    for w in run["web"]:
        for f in w.get("uncached", []):
            out.append({"goal": f"status page uncached via gunicorn, {w['workers']} workers, {f['connections']} "
                                f"connection{'s' if f['connections'] > 1 else ''}",
                        "target": f"p99 ≤ {GOALS['uncached_p99_ms']} ms",
                        "measured": f"p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms, {f['rps']:.1f} req/s",
                        "met": None if quick else f["p99_ms"] <= GOALS["uncached_p99_ms"]})
    size = run["status_in_process"]["size"]
    out.append({"goal": f"status page size ({run['config']['public']} monitors, {run['config']['days']} days)",
                "target": f"≤ {GOALS['page_kb']} KB",
                "measured": f"{size['html_bytes'] / 1024:.0f} KB HTML, {size['gzip_bytes'] / 1024:.0f} KB gzipped",
                "met": None if quick else size["html_bytes"] <= GOALS["page_kb"] * 1024})
    count = run["data"]["counts"]["monitors"]
    for where in ("in_process", "gunicorn"):
        if run["dashboard"][where].get("error", "").startswith("skipped"):
            continue
        if "error" in run["dashboard"][where]:
            out.append({"goal": f"dashboard, {count:,} monitors, {where.replace('_', '-')}", "target": "measured",
                        "measured": "failed: " + run["dashboard"][where]["error"][:200], "met": False})
            continue
        for name in ("page", "panels"):
            f = run["dashboard"][where][name]
            out.append({"goal": f"dashboard {name}, {count:,} monitors, {where.replace('_', '-')}",
                        "target": f"≤ {GOALS['dashboard_s']:.0f} s",
                        "measured": f"p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms ({f['n']} requests)",
                        "met": None if quick else f["p99_ms"] <= GOALS["dashboard_s"] * 1000})
    return out


def render(run, md=False):
    fmt = report.markdown_table if md else report.table
    c = run["config"]
    out = []
    if not md:
        out.append(f"pages — {c['db']} (cache: {c['cache']}; load generator {run['load_generator']}; load "
                   f"{run['loadavg_at_start']} → {run['loadavg_at_end']})")
    s, parts = run["status_in_process"], run["status_in_process"]["parts"]
    rows = [[f"uncached ({s['uncached']['n']}×, cache entries deleted before each)", *_ms4(s["uncached"]),
             s["queries_uncached"]],
            [f"  of which the data build ({parts['data_build']['n']}×)", *_ms4(parts["data_build"]), ""],
            [f"  of which the body's rendering ({parts['body_render']['n']}×)", *_ms4(parts["body_render"]), ""],
            [f"  of which the gzip ({parts['gzip']['n']}×)", *_ms4(parts["gzip"]), ""],
            [f"cached ({s['cached']['n']}×)", *_ms4(s["cached"]), s["queries_cached"]]]
    a = run["status_in_process_all"]
    if "error" not in a:
        rows.append([f"uncached, {a['label']} ({a['uncached']['n']}×)", *_ms4(a["uncached"]), a["queries_uncached"]])
    out.append(fmt([f"status page in-process, {s['label']}", "min", "p50", "p90", "p99", "max", "queries"], rows))
    size = s["size"]
    out.append(("\n" if md else "") + f"Page: {size['html_bytes']:,} bytes HTML ({size['html_bytes'] / 1024:.0f} KB), "
               f"{size['gzip_bytes']:,} gzipped ({size['gzip_bytes'] / 1024:.0f} KB); sections: {s['sections']}")
    if md:
        out.append("")
    rows = []
    for w in run["web"]:
        if "error" in w:
            rows.append([f"{w['workers']} workers", "FAILED: " + w["error"][:120]] + [""] * 15)
            continue
        for kind in ("cached", "uncached"):
            for f in w[kind]:
                builds = f.get("builds", {})
                label = kind if kind == "uncached" else "warm" if f.get("mode") == "pinned" else "15 s expiry"
                label += f" (paced to {f['paced_rps']:,}/s)" if f.get("paced_rps") else ""
                rows.append([f"{w['workers']}×{w['threads']}", label + ("" if f["gzip"] else " (no gzip)"),
                             f["connections"], f"{f['rps']:,.0f}", ("-" if f.get("min_ms") is None else f"{f['min_ms']:.1f}"), f"{f['p50_ms']:.1f}",
                             f"{f['p90_ms']:.1f}",
                             f"{f['p99_ms']:.1f}", f"{f['max_ms']:.0f}", sum(f["errors"].values()),
                             f"{f['bytes_per_response']:,}", _builds(builds),
                             f"{f['cpu'].get('web') or 0:.2f}", f"{f.get('load_generator_cores', 0):.2f}",
                             f"{f['cpu'].get('postgres') or 0:.2f} / {f['cpu'].get('redis') or 0:.2f}"
                             if c["db"] == "postgres" else "-",
                             f"{f['cpu'].get('others') or 0:.2f}", f"{f['cpu'].get('machine') or 0:.2f}"])
    out.append(fmt(["gunicorn workers×threads", "status page", "conns", "req/s", "min ms", "p50 ms", "p90 ms", "p99 ms",
                    "max ms", "errors", "bytes/resp", "rebuilds (data/body/gzip, p50 ms)", "cores gunicorn",
                    "cores load gen", "cores postgres / redis", "cores others", "cores busy (machine)"], rows))
    if md:
        out.append("")
    d = run["dashboard"]
    if d["in_process"].get("error", "").startswith("skipped"):
        return "\n".join(out)
    rows = []
    for where in ("in_process", "gunicorn"):
        if "error" in d[where]:
            rows.append([f"{where}: FAILED: {d[where]['error'][:120]}"] + [""] * 8)
            continue
        for name in ("page", "panels"):
            f = d[where][name]
            label = "in-process" if where == "in_process" else f"gunicorn {d['gunicorn']['workers']}×{d['gunicorn']['threads']}"
            rows.append([f"{label}: {name}", f["n"], f"{f['min_ms']:.0f}", f"{f['p50_ms']:.0f}", f"{f['p90_ms']:.0f}",
                         f"{f['p99_ms']:.0f}", f"{f['max_ms']:.0f}", f"{f['bytes'] / 1024:.0f} KB",
                         f.get("queries", "-")])
    out.append(fmt([f"dashboard, {run['data']['counts']['monitors']:,} monitors", "requests", "min ms", "p50 ms",
                    "p90 ms", "p99 ms", "max ms", "size", "queries"], rows))
    return "\n".join(out)


def _builds(builds):
    if not builds:
        return "0"
    parts = []
    for what in ("data", "body", "gzip"):
        b = builds.get(what)
        parts.append(f"{b['count']}" if b else "0")
    data = builds.get("data")
    return "/".join(parts) + (f" ({data['p50_ms']:.0f} ms)" if data else "")


def _ms4(s):
    return [f"{s[key]:.0f} ms" if s[key] >= 10 else f"{s[key]:.2f} ms"
            for key in ("min_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms")]


def markdown(document):
    out = []
    m = document["machine"]
    out.append(f"Machine: {m['nproc']} cores ({m['cpu_model']}), {m['ram_gib']} GiB, {m['os']}, Python {m['python']}, "
               f"PostgreSQL {m.get('postgresql')}, Redis {m.get('redis')}, SQLite {m.get('sqlite')}; commit "
               f"{m.get('commit')}{' (dirty)' if m.get('worktree_dirty') else ''}.")
    out.append(f"Load: {document.get('uptime_before')} → {document.get('uptime_after')}")
    for run in document["runs"]:
        if "failed" in run:
            out.append(f"\n#### pages, {run['db']}: FAILED (exit {run['failed']})")
            continue
        c = run["config"]
        out.append(f"\n#### pages, {c['db']} (cache: {c['cache']})\n")
        out.append(f"Load at start {run['loadavg_at_start']}, at end {run['loadavg_at_end']}; wall time "
                   f"{run.get('wall_s')} s; commit {run.get('commit')}; load generator {run['load_generator']}.\n")
        out.append(render(run, md=True))
    out.append("\n#### Goals\n")
    out.append(report.markdown_table(["db", "goal", "target", "measured", "met"],
                   [[r["config"]["db"], g["goal"], g["target"], g["measured"], report.verdict(g["met"])]
                    for r in document["runs"] if "goals" in r for g in r["goals"]]))
    return "\n".join(out)


# Command line -----------------------------------------------------------------


def _ints(text):
    return [int(x) for x in text.split(",") if x]


def parse(argv):
    parser = cli.parser("python -m bench pages", __doc__, quick="small numbers, short runs: a smoke run",
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
                "machine": report.machine(), "free_h": _free(), "uptime_before": _uptime(), "runs": []}
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
            say(f"\nresults: {report.write_json(document)}")
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


if __name__ == "__main__":
    sys.exit(main())
