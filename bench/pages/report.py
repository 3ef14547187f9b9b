"""The pages scenario's goals, its tables and its Markdown."""

from bench import report
from bench.pages.config import GOALS


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
