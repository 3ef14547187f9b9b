"""What the history costs: database size (with compaction), uptime timings, prunes and the
oldest raw lookup."""

import os
import statistics
import time
from datetime import timedelta


# Measuring -----------------------------------------------------------------


def database_size(db, *, compact):
    """Sizes in bytes: the whole database and the rollup tables (after compaction if asked),
    and the results the hourly rows count."""
    from django.db import connection
    from django.db.models import Sum

    from monitors.models import DailyRollup, HourlyRollup, StateChange

    tables = {"hourly": HourlyRollup._meta.db_table, "daily": DailyRollup._meta.db_table,
              "state_changes": StateChange._meta.db_table}
    started = time.monotonic()
    figures = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if compact:
                for table in tables.values():
                    cursor.execute(f'VACUUM FULL "{table}"')
                for table in tables.values():
                    cursor.execute(f'VACUUM ANALYZE "{table}"')  # visibility map and statistics again
            figures["compact_s"] = round(time.monotonic() - started, 1)
            cursor.execute("SELECT pg_database_size(current_database())")
            figures["database"] = cursor.fetchone()[0]
            for key, table in tables.items():
                cursor.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s)",
                               [table, table, table])
                total, heap, indexes = cursor.fetchone()
                figures[key] = {"total": total, "heap": heap, "indexes": indexes, "toast_etc": total - heap - indexes}
        else:
            if compact:
                cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            figures["compact_s"] = round(time.monotonic() - started, 1)
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            page_size = cursor.fetchone()[0]
            cursor.execute("PRAGMA freelist_count")
            free = cursor.fetchone()[0]
            figures.update(database=pages * page_size, free_pages=free, page_size=page_size,
                           file=os.path.getsize(db.path))
            try:
                cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
                by_name = dict(cursor.fetchall())
            except Exception:  # dbstat is not compiled into every SQLite
                by_name = None
            for key, table in tables.items():
                if by_name is None:
                    break
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
                indexes = sum(by_name.get(name, 0) for (name,) in cursor.fetchall())
                heap = by_name.get(table, 0)
                figures[key] = {"total": heap + indexes, "heap": heap, "indexes": indexes}
    figures["results"] = HourlyRollup.objects.aggregate(total=Sum("checks"))["total"] or 0
    return figures


def vacuum_analyze():
    from django.db import connection

    from monitors.models import DailyRollup, HourlyRollup, StateChange

    started = time.monotonic()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (HourlyRollup, DailyRollup, StateChange):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    return round(time.monotonic() - started, 1)


def time_uptime(repeats):
    """`summaries()` for all monitors: the first call, then `repeats` more; and its two
    queries alone (the last 24 hourly rows, the last 90 daily rows of every monitor)."""
    from django.db import connection
    from django.utils import timezone

    from monitors import uptime

    connection.close()  # the first call opens its own connection, as a web request would (CONN_MAX_AGE aside)
    times = []
    for i in range(repeats + 1):
        started = time.perf_counter()
        found = uptime.summaries()
        times.append(time.perf_counter() - started)
        if i == 0 and times[0] > 2:
            repeats = min(repeats, 3)  # slow: a few calls tell as much
    parts = {}
    for name, query in (("hourly_query", uptime._hourly), ("daily_query", uptime._daily)):
        spent = []
        for _ in range(repeats):
            started = time.perf_counter()
            list(query(None, timezone.now()))
            spent.append(time.perf_counter() - started)
        parts[f"{name}_min_s"] = round(min(spent), 4)
    if connection.vendor == "sqlite":
        parts.update(_sqlite_hourly_plans(uptime._hourly(None, timezone.now()), min(repeats, 3)))
    values = [s.windows["90d"].uptime for s in found.values() if s.windows["90d"].uptime is not None]
    return {"first_s": round(times[0], 4), "median_s": round(statistics.median(times[1:]), 4),
            "min_s": round(min(times[1:]), 4), "max_s": round(max(times[1:]), 4), "repeats": repeats, **parts,
            "monitors": len(found), "mean_uptime_90d": round(statistics.fmean(values), 4) if values else None}


def _sqlite_hourly_plans(queryset, repeats):
    """Diagnosis, SQLite: the 24 h query's plan, and the same query kept off the monitor_id
    indexes (`GROUP BY +monitor_id`) so that it reads by the start index."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    column = f'"{queryset.model._meta.db_table}"."monitor_id"'
    steered = sql.replace("GROUP BY 1", f"GROUP BY +{column}") if sql.endswith("GROUP BY 1") else None
    found = {}
    with connection.cursor() as cursor:
        for name, text in (("as_is", sql), ("by_start_index", steered)):
            if text is None:
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + text, params)
            found[f"hourly_plan_{name}"] = [str(row[-1]) for row in cursor.fetchall()]
            if name == "by_start_index":
                spent = []
                for _ in range(max(1, repeats)):
                    started = time.perf_counter()
                    cursor.execute(text, params)
                    cursor.fetchall()
                    spent.append(time.perf_counter() - started)
                found["hourly_query_by_start_index_min_s"] = round(min(spent), 4)
    return found


def prune(now, *, keep_raw, keep_rollups):
    from django.test import override_settings

    from monitors.retention import prune_history

    started = time.monotonic()
    with override_settings(RESULTS_RETENTION_DAYS=keep_raw, ROLLUP_RETENTION_DAYS=keep_rollups):
        pruned = prune_history(now)
    return {"seconds": round(time.monotonic() - started, 2), "RESULTS_RETENTION_DAYS": keep_raw,
            "ROLLUP_RETENTION_DAYS": keep_rollups, **pruned._asdict()}


def oldest_raw_lookup(now, keep_raw):
    """The prune's first query (the oldest hour still holding raw results), timed alone."""
    from django.db import connection

    from monitors.history import hour_of
    from monitors.models import HourlyRollup

    cutoff = hour_of(now - timedelta(days=keep_raw))
    rows = HourlyRollup.objects.filter(start__lt=cutoff).exclude(results="").order_by("start").values_list(
        "start", flat=True)
    started = time.monotonic()
    rows.first()
    figures = {"seconds": round(time.monotonic() - started, 3)}
    if connection.vendor == "postgresql":
        sql, params = rows[:1].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            figures["plan"] = [line for (line,) in cursor.fetchall()]
    else:
        sql, params = rows[:1].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            figures["plan"] = [str(row[-1]) for row in cursor.fetchall()]
    return figures
