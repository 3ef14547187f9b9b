"""Generating in worker processes and writing the rows into the tables (COPY on PostgreSQL,
executemany on SQLite), and verifying them against the engine's own rollups."""

import math
import multiprocessing
import queue as queues
import time
from itertools import chain
from operator import itemgetter

from bench.history.config import DAY_MS, FAILED, HOUR_MS, INTERVAL, PARKED, SLOTS, dt_of, floor_ms, ms_of
from bench.history.generator import Generator, MonitorSpec


def _worker(out, monitors, count, first_ms, end_ms, raw_from_ms, seed):
    """A generator process: its share of the monitors, one message per day."""
    import django

    django.setup()
    specs = [MonitorSpec(mid, index, count, first_ms, end_ms, seed) for mid, index in monitors]
    generator = Generator(specs, first_ms, end_ms, raw_from_ms=raw_from_ms, seed=seed)
    for day_ms in generator.days():
        out.put(generator.day(day_ms))
    out.put(("done", generator.final_states(), generator.counts))


def _get(out, proc):
    while True:
        try:
            return out.get(timeout=5)
        except queues.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"generator process {proc.pid} exited with {proc.exitcode}") from None


# Writing rows -----------------------------------------------------------------


HOURLY_FIELDS = ("monitor", "start", "checks", "ups", "up_seconds", "down_seconds", "maintenance_seconds",
                 "latency_count", "latency_sum", "latency_max", "latency_p95", "results")
DAILY_FIELDS = HOURLY_FIELDS[:-1] + ("latency_hist",)
CHANGE_FIELDS = ("monitor", "from_status", "to_status", "changed_at", "reason")


class Writer:
    """Rows straight into the tables: COPY on PostgreSQL, executemany in one transaction on SQLite."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self._times = {}

    def when(self, ms):
        value = self._times.get(ms)
        if value is None:
            value = dt_of(ms)
            if self.vendor == "sqlite":
                value = self.connection.ops.adapt_datetimefield_value(value)
            self._times[ms] = value
        return value

    def write(self, model, fields, rows, time_index):
        from django.db import transaction

        if not rows:
            return
        when = self.when
        rows = [row[:time_index] + (when(row[time_index]),) + row[time_index + 1:] for row in rows]
        table = model._meta.db_table
        columns = [model._meta.get_field(name).column for name in fields]
        quote = self.connection.ops.quote_name
        column_list = ", ".join(quote(column) for column in columns)
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                with transaction.atomic():
                    cursor.executemany(f"INSERT INTO {quote(table)} ({column_list}) VALUES "
                                       f"({', '.join(['%s'] * len(columns))})", rows)


def generate(stage, monitors, first_ms, end_ms, raw_from_ms, *, workers, seed=1, progress=print):
    """Every monitor's history from first_ms to end_ms, inserted day by day in time order."""
    from django.db import connections

    from monitors.models import DailyRollup, HourlyRollup, StateChange

    writer = Writer()
    connections.close_all()  # nothing open while the workers start
    ctx = multiprocessing.get_context("spawn")
    shares = [monitors[i::workers] for i in range(workers)]
    outs = [ctx.Queue(maxsize=2) for _ in shares]
    procs = [ctx.Process(target=_worker, args=(out, share, len(monitors), first_ms, end_ms, raw_from_ms, seed),
                         daemon=True) for out, share in zip(outs, shares)]
    started = time.monotonic()
    figures = {"hourly_rows": 0, "daily_rows": 0, "state_changes": 0, "results": 0, "raw_bytes": 0,
               "insert_s": 0.0, "workers": workers}
    days = (end_ms - floor_ms(first_ms, DAY_MS) + DAY_MS - 1) // DAY_MS
    try:
        for proc in procs:
            proc.start()
            stage.helpers.add(proc.pid)
        done = 0
        while True:
            parts = [_get(out, proc) for out, proc in zip(outs, procs)]
            if parts[0][0] == "done":
                break
            hourly = sorted(chain.from_iterable(part[1] for part in parts), key=itemgetter(1, 0))
            daily = sorted(chain.from_iterable(part[2] for part in parts), key=itemgetter(0))
            changes = sorted(chain.from_iterable(part[3] for part in parts), key=itemgetter(3))
            t = time.monotonic()
            writer.write(HourlyRollup, HOURLY_FIELDS, hourly, 1)
            writer.write(DailyRollup, DAILY_FIELDS, daily, 1)
            writer.write(StateChange, CHANGE_FIELDS, changes, 3)
            figures["insert_s"] += time.monotonic() - t
            figures["hourly_rows"] += len(hourly)
            figures["daily_rows"] += len(daily)
            figures["state_changes"] += len(changes)
            figures["results"] += sum(row[2] for row in hourly)
            figures["raw_bytes"] += sum(len(row[11]) for row in hourly)
            done += 1
            if done % max(1, days // 10) == 0 or done == days:
                elapsed = time.monotonic() - started
                progress(f"  generated day {done}/{days}: {figures['hourly_rows']:,} hourly rows, "
                         f"{figures['results']:,} results, {elapsed:.0f} s (insert {figures['insert_s']:.0f} s), "
                         f"about {elapsed / done * (days - done):.0f} s left")
        finals, counts = {}, {"template_hours": 0, "computed_hours": 0}
        for part in parts:
            finals.update(part[1])
            for key in counts:
                counts[key] += part[2][key]
        for proc in procs:
            proc.join(30)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(10)
            stage.helpers.discard(proc.pid)
    figures.update(counts, seconds=round(time.monotonic() - started, 1), insert_s=round(figures["insert_s"], 1))
    return figures, finals


# Verification -----------------------------------------------------------------


def verify(end_ms, *, seed=1):
    """A probe monitor's two days, by the generator and by the engine's add_to_rollups: equal?"""
    from django.db import transaction

    from monitors.history import Entry
    from monitors.models import DailyRollup, HourlyRollup, Monitor
    from monitors.rollups import Recorded, add_to_rollups

    probe = Monitor.objects.create(name="history-probe", kind="http", interval=INTERVAL, url="http://127.0.0.1:9/",
                                   next_check_at=dt_of(end_ms) + PARKED)
    first_ms = floor_ms(end_ms, HOUR_MS) - 50 * HOUR_MS
    midnight = floor_ms(end_ms, DAY_MS) - (DAY_MS if end_ms % DAY_MS < 6 * HOUR_MS else 0)
    outages = [(first_ms + 5 * HOUR_MS + 40 * 60_000, first_ms + 6 * HOUR_MS + 25 * 60_000, "timed out after 10.0s"),
               (midnight - 12 * 60_000, midnight + 17 * 60_000, "connection refused")]
    transients = [SLOTS * 2 + 59, SLOTS * 9 + 30, SLOTS * 9 + 31, SLOTS * 30 + 5]  # last of an hour; two in a row
    spec = MonitorSpec(probe.pk, 7, 10, first_ms, end_ms, seed, outages=outages, transients=transients)
    generator = Generator([spec], first_ms, end_ms, raw_from_ms=first_ms + 10 * HOUR_MS, seed=seed)
    entries, hourly, daily = [], {}, {}
    for day_ms in generator.days():
        _, h_rows, d_rows, _ = generator.day(day_ms, entries_out=entries)
        hourly.update((row[1], row) for row in h_rows)
        daily.update((row[1], row) for row in d_rows)
    previous, batch = None, []
    for entry in entries:
        batch.append(Recorded(probe.pk, INTERVAL, previous, entry))
        previous = Entry(entry.at, entry.status, maintenance=entry.maintenance)  # Before.previous_entry()
        if len(batch) == 25:
            with transaction.atomic():
                add_to_rollups(batch)
            batch = []
    with transaction.atomic():
        add_to_rollups(batch)
    mismatches = []
    for model, generated, text in ((HourlyRollup, hourly, "results"), (DailyRollup, daily, "latency_hist")):
        stored = {ms_of(row.start): row for row in model.objects.filter(monitor=probe)}
        if set(stored) != set(generated):
            mismatches.append(f"{model.__name__}: hours {sorted(set(stored) ^ set(generated))[:5]} only on one side")
        for start in sorted(set(stored) & set(generated)):
            row, mine = stored[start], generated[start]
            for i, name in enumerate(HOURLY_FIELDS[2:11], 2):
                a, b = getattr(row, name), mine[i]
                if not (a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6))):
                    mismatches.append(f"{model.__name__} {dt_of(start):%Y-%m-%d %H:%M} {name}: engine {a!r}, "
                                      f"generator {b!r}")
            # The engine keeps raw results as they come; the generator left hours before raw_from empty.
            engine_text = getattr(row, text)
            if text == "results" and start < generator.raw_from_ms:
                engine_text = ""
            if engine_text != mine[11]:
                mismatches.append(f"{model.__name__} {dt_of(start):%Y-%m-%d %H:%M} {text} differs")
    figures = {"checks": len(entries), "hourly_rows": len(hourly), "daily_rows": len(daily),
               "failed_checks": sum(entry.status in FAILED for entry in entries),
               "down_seconds": round(sum(row[5] for row in hourly.values()), 1), **generator.counts,
               "mismatches": mismatches[:20]}
    probe.delete()
    if mismatches:
        raise RuntimeError("the generator does not write what the engine writes:\n" + "\n".join(mismatches[:20]))
    return figures
