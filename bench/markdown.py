"""The figures of one results file as Markdown (for docs/BENCHMARKS.md; `python -m bench.report FILE`)."""

from bench.report import _lag, alerts_table, history_tables, markdown_table, verdict


def _run_name(run):
    c = run["config"]
    extra = (f", {c['clusters']} clusters" if c.get("clusters", 1) > 1 else "") + \
        (f", CHECK_RUNNERS={c['CHECK_RUNNERS']}, Q_WORKERS={c['Q_WORKERS']}"
         if c.get("clusters", 1) > 1 or c["CHECK_RUNNERS"] != 2 else "")
    return f"{run['scenario']}, {c['db']} + {c['broker']}{extra}"


def markdown(document):
    """The figures of one results file as Markdown tables."""
    if document["runs"] and all(run.get("scenario") == "pages" for run in document["runs"]):
        from bench.pages.report import markdown as pages_markdown  # the pages scenario writes runs of its own shape

        return pages_markdown(document)
    out = []
    m = document["machine"]
    out.append(f"Run {document['started']} → {document.get('finished')}, commit {m['commit']}"
               f"{' (dirty)' if m.get('worktree_dirty') else ''}, load at start {m['loadavg_at_start']}.")
    goal_rows = []
    for run in document["runs"]:
        if "goals" not in run:
            continue
        for g in run["goals"]:
            goal_rows.append([_run_name(run), g["goal"], g["target"], g["measured"],
                              "**no**" if g["met"] is False else verdict(g["met"])])
    out.append("\n" + markdown_table(["run", "goal", "target", "measured", "met"], goal_rows))
    for run in document["runs"]:
        if "goals" not in run:
            continue
        out.append(f"\n#### {_run_name(run)}\n")
        out.append(f"Load at start {run['loadavg_at_start']}; wall time {run.get('wall_s')} s; "
                   f"commit {run.get('commit', m['commit'])}.\n")
        if run["scenario"] == "history":
            out.append(history_tables(run, md=True))
            continue
        if run["scenario"] == "alerts":
            out.append("```\n" + alerts_table(run) + "\n```")
            continue
        if run["scenario"] == "saturation":
            rows = []
            for w in run["windows"]:
                f, r = w["checks"]["all"], w["resources"]
                others = {k: r[k]["cores"] for k in ("targets", "postgres", "redis") if k in r}
                rows.append([w["target_checks_per_s"], w["monitors"], f"{f['checks_per_s']:.1f}", _lag(f["lag_s"]["p50"]),
                             _lag(f["lag_s"]["p99"]), _lag(f["lag_s"]["max"]), f["missed"], f["duplicates"],
                             f["unfinished_at_cutoff"], f"{r['cluster']['cores']:.2f}",
                             f"{r['cluster']['peak_rss_mb']:.0f} / {r['cluster']['peak_pss_mb']:.0f}",
                             ", ".join(f"{k} {v:.2f}" for k, v in others.items()),
                             f"{r['machine']['cores']:.2f} ({r['machine'].get('others_cores', 0):.2f})",
                             r["machine"]["loadavg_1m_max"]])
            out.append(markdown_table(["step (checks/s)", "monitors", "achieved checks/s", "lag p50", "lag p99", "lag max",
                            "missed", "dup", "unfinished", "cluster cores", "cluster RSS / PSS MiB",
                            "other groups (cores)", "machine cores (not ours)", "load1 max"], rows))
            continue
        for w in run["windows"]:
            labels = ["all", "http", "tcp"] if run["scenario"] == "steady" else ["healthy", "hangable", "http", "tcp",
                                                                                 "http-hangable", "tcp-hangable"]
            rows = []
            for label in labels:
                f = w["checks"].get(label)
                if not f:
                    continue
                rows.append([label, f["slots"], f["runs_in_window"], f"{f['checks_per_s']:.1f}", _lag(f["lag_s"]["p50"]),
                             _lag(f["lag_s"]["p99"]), _lag(f["lag_s"]["max"]), f["missed"], f["duplicates"],
                             f["down_results"], _lag((f["response_ms"]["p50"] or 0) / 1000)])
            out.append(f"{w['name']} ({w['seconds']:.0f} s measured):\n")
            out.append(markdown_table(["monitors", "slots due", "runs", "checks/s", "lag p50", "lag p99", "lag max", "missed",
                            "dup", "down results", "response p50"], rows))
            res = [[g, f"{f['cores']:.2f}", f"{f['peak_rss_mb']:.0f}", f"{f['peak_pss_mb']:.0f}", f["processes"]]
                   for g, f in w["resources"].items() if g != "machine" and f["processes"]]
            mach = w["resources"]["machine"]
            res.append(["whole machine (not ours)", f"{mach['cores']:.2f} ({mach.get('others_cores', 0):.2f})",
                        "", "", f"load1 max {mach['loadavg_1m_max']}"])
            out.append("\n" + markdown_table(["process group", "cores", "peak RSS MiB", "peak PSS MiB", "processes"], res) + "\n")
        if run["scenario"] == "steady":
            h, p, b = run["heartbeats"], run["pings"], run["ping_burst"]
            d = h["detection_delay_s"]
            out.append(markdown_table(["heartbeats", "figure"], [
                ["late (no ping after the first)", f"{h['late']}: {h['late_detected']} went down, {h['late_undetected']} not"],
                ["deadline → StateChange to down", f"p50 {_lag(d['p50'])}, p99 {_lag(d['p99'])}, max {_lag(d['max'])}"],
                ["pinged on time", f"{h['on_time']}: {h['on_time_false_downs']} false downs, {h['on_time_up_at_end']} up at the end"],
                ["pings on schedule", f"{p['pings']} at {p['per_s']}/s, {p['statuses']}, latency p50 {p['latency_ms']['p50']} ms, "
                                      f"p99 {p['latency_ms']['p99']} ms, max {p['latency_ms']['max']} ms"],
                [f"ping burst ({b['concurrency']} clients)", f"{b['pings']} in {b['seconds']} s = {b['per_s']}/s, {b['statuses']}, "
                                                             f"latency p50 {b['latency_ms']['p50']} ms, p99 {b['latency_ms']['p99']} ms"],
            ]))
        if run["config"].get("clusters", 1) > 1:
            out.append(f"\nRunner slots held per cluster (lease samples every 2 s): "
                       f"{run['runner_spread']['runner_samples_per_cluster']}")
        if run["scenario"] == "hanging":
            out.append(f"\nWhat the hanging checks recorded: {run.get('sample_hung_detail')}")
    return "\n".join(out)
