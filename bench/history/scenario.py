"""The history scenario's run on one database, and its figures as text."""

import time
from datetime import timedelta

from bench.history.config import DAY_MS, HOUR_MS, INTERVAL, PARKED, dt_of, floor_ms, ms_of, sizes
from bench.history.measure import database_size, oldest_raw_lookup, prune, time_uptime, vacuum_analyze
from bench.history.rows import generate, verify


# The scenario -----------------------------------------------------------------


def history(cfg, Stage):
    from bench import setup
    from bench.measure import SlotTracker, fetch_results
    from bench.stage import LAG_ALLOWANCE, WRITE_ALLOWANCE, check_window, sleep_until

    n = sizes(cfg)
    say = lambda text: print(text, flush=True)  # noqa: E731
    with Stage(cfg) as stage:
        from django.utils import timezone  # Django is set up on the scenario's database from here on
        from django_q.models import Schedule

        from monitors.engine import update_rows
        from monitors.models import Monitor

        targets = stage.start_targets()
        t_ref = timezone.now()
        end_ms = ms_of(t_ref)
        first_ms = floor_ms(end_ms, HOUR_MS) - n["days"] * DAY_MS
        parked = t_ref + PARKED
        rows = [Monitor(name=f"hist-{i:05d}", kind="http", interval=INTERVAL, url=f"http://{setup.HOST}:{targets.port}/m/{i}",
                        next_check_at=parked, monitoring_since=dt_of(first_ms), status_changed_at=dt_of(first_ms))
                for i in range(n["monitors"])]
        Monitor.objects.bulk_create(rows, batch_size=500)
        ids = list(Monitor.objects.filter(name__startswith="hist-").order_by("name").values_list("pk", flat=True))
        say(f"  {len(ids)} monitors; verifying the generator against add_to_rollups …")
        verification = verify(end_ms)
        say(f"  verified: {verification['hourly_rows']} hourly + {verification['daily_rows']} daily rows, "
            f"{verification['checks']} checks ({verification['failed_checks']} failed) agree with the engine's")

        say(f"  generating {n['days']} days × {len(ids)} monitors with {n['gen_workers']} worker processes …")
        generation, finals = generate(stage, [(pk, i) for i, pk in enumerate(ids)], first_ms, end_ms, first_ms,
                                      workers=n["gen_workers"], progress=say)
        generation["vacuum_analyze_s"] = vacuum_analyze()
        say(f"  generated in {generation['seconds']} s (+ VACUUM ANALYZE {generation['vacuum_analyze_s']} s)")
        monitors = Monitor.objects.in_bulk(ids)
        for pk, (status, failures, last_ms) in finals.items():
            m = monitors[pk]
            m.status, m.consecutive_failures, m.last_checked_at = status, failures, dt_of(last_ms)
        Monitor.objects.bulk_update(monitors.values(), ["status", "consecutive_failures", "last_checked_at"],
                                    batch_size=500)

        sizes_found, uptime, prunes = {}, {}, {}
        sizes_found["raw_all"] = database_size(stage.db, compact=False)
        uptime["raw_all"] = time_uptime(n["uptime_repeats"])
        say(f"  {n['days']} days raw: {_mb(sizes_found['raw_all']['database'])}, uptime of all monitors "
            f"{uptime['raw_all']['median_s'] * 1000:.0f} ms (median)")

        now = dt_of(end_ms)
        prunes["to_keep_raw"] = prune(now, keep_raw=n["keep_raw"], keep_rollups=400)
        say(f"  pruned to {n['keep_raw']} days raw in {prunes['to_keep_raw']['seconds']} s; compacting …")
        sizes_found["raw_keep"] = database_size(stage.db, compact=True)
        uptime["raw_keep"] = time_uptime(n["uptime_repeats"])
        say(f"  {n['keep_raw']} days raw: {_mb(sizes_found['raw_keep']['database'])} "
            f"(compacted in {sizes_found['raw_keep']['compact_s']} s), uptime "
            f"{uptime['raw_keep']['median_s'] * 1000:.0f} ms")

        # Live: the same monitors checked by a real cluster while the daily prune runs.
        # The working tree is shared and this run is long: migrate again, so that the
        # cluster's models (imported now) match the tables (a no-op when nothing changed).
        stage.info["remigrate_s"] = round(setup.migrate(stage.env, stage.workdir), 1)
        Schedule.objects.filter(name="monitors.prune").update(next_run=timezone.now() + timedelta(days=30))
        stage.start_clusters()
        t0 = time.time() + 2
        plan = {}
        live = list(Monitor.objects.filter(pk__in=ids).order_by("name"))
        for i, m in enumerate(live):
            due = t0 + i * INTERVAL / len(live)
            m.next_check_at = setup.at(due)
            plan[m.pk] = (due, INTERVAL, "http")
        update_rows(live, ["next_check_at"])
        base_start = t0 + n["warmup"]
        sleep_until(base_start + n["baseline"])
        say(f"  the daily prune, {n['daily_prunes']} days in a row, with the cluster checking …")
        prune_start = time.time()
        prunes["daily"] = [prune(now, keep_raw=n["keep_raw"] - day, keep_rollups=n["days"] - day)
                           for day in range(1, n["daily_prunes"] + 1)]
        prune_end = time.time()
        cutoff = max(prune_end, prune_start + 1) + LAG_ALLOWANCE
        sleep_until(cutoff + WRITE_ALLOWANCE)
        stage.stop_clusters()
        tracker = SlotTracker()
        tracker.add(plan)
        live_results = fetch_results(t0 - 1, cutoff)
        checked_live = Monitor.objects.filter(pk__in=ids, last_checked_at__gte=setup.at(t0 - 1)).count()
        if checked_live < 0.9 * len(ids):
            # E.g. the code changed under a long run (a model field the database lacks).
            raise RuntimeError(f"only {checked_live} of {len(ids)} monitors were checked by the cluster; "
                               f"{len(live_results)} results recorded")
        tracker.feed(live_results)
        windows = [check_window(tracker, "before the prune", base_start, prune_start, cutoff, stage),
                   check_window(tracker, "during the daily prunes", prune_start, max(prune_end, prune_start + 1),
                                cutoff, stage)]
        prunes["oldest_raw_lookup"] = oldest_raw_lookup(now, n["keep_raw"] - n["daily_prunes"])
        say(f"  daily prunes: {', '.join(str(p['seconds']) for p in prunes['daily'])} s; lag p99 during them "
            f"{_lag_text(windows[1]['checks'].get('all'))}")

        prunes["to_small_raw"] = prune(now, keep_raw=n["small_raw"], keep_rollups=n["days"] - n["daily_prunes"])
        vacuum_analyze()
        uptime["raw_small"] = time_uptime(n["uptime_repeats"])
        sizes_found["raw_small"] = database_size(stage.db, compact=True)
        say(f"  {n['small_raw']} days raw: uptime {uptime['raw_small']['median_s'] * 1000:.0f} ms, "
            f"{_mb(sizes_found['raw_small']['database'])}")
        result = {
            "scenario": "history",
            "config": {**stage.describe(), **n},
            "time_reference": t_ref.isoformat(),
            "verification": verification,
            "generation": generation,
            "sizes": sizes_found,
            "uptime": uptime,
            "prunes": prunes,
            "windows": windows,
            "live_results": len(live_results),
            "monitors_checked_live": checked_live,
            "runner_spread": stage.runner_spread,
            "peak_rss_mb": {g: stage.sampler.peak_rss_mb(g) for g in ("cluster", "targets", "bench")},
        }
    result.update(stage.info)
    return result


def _mb(size):
    return f"{size / 1e6:,.0f} MB"


def _lag_text(figures):
    if not figures or figures["lag_s"]["p99"] is None:
        return "-"
    return f"{figures['lag_s']['p99'] * 1000:.0f} ms over {figures['slots']} slots"
