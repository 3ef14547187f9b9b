"""The pages scenario's steps: the status page and the dashboard through gunicorn, and
the whole run on one database."""

import time

from bench.machine import commit
from bench.pages.config import sizes
from bench.pages.data import add_incidents_and_maintenance, add_monitors
from bench.pages.inprocess import dashboard_in_process, status_in_process, superadmin_client
from bench.pages.load import check_gzip, load_generator, run_load, sequential
from bench.pages.server import Stage, Web, read_builds


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
    commit_at_start = commit()
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
    result["commit_at_start"], result["commit"] = commit_at_start, commit()
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
