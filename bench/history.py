"""The history scenario: 90 days of check history for 1,000 monitors at 60 s (about 130
million results), written straight into the rollups, then what it costs to keep and read.

    python -m bench history --db postgres          1,000 monitors × 90 days
    python -m bench history --db both --quick      50 monitors × 10 days (a smoke run)

In order, on one fresh database (like every scenario):

1.  1,000 HTTP monitors at 60 s (bulk_create), parked (due in a year) until step 8.
2.  Verification: a probe monitor's two days (with an outage across an hour, one across
    midnight, transient failures) are written twice — by the generator below and by the
    engine's own `monitors.rollups.add_to_rollups`, batch by batch. Every field of every
    hourly and daily row must agree (floats within 1e-9 relative), or the scenario stops.
3.  Generation: 90 days for every monitor, raw results packed into every hourly row (as
    if RESULTS_RETENTION_DAYS were 90), daily rows and StateChange rows, inserted in time
    order (an hour's rows together, as the engine writes them): COPY on PostgreSQL, one
    executemany per day on SQLite. Worker processes generate, this process inserts.
4.  Uptime (`monitors.uptime.summaries()` for all monitors) timed with 90 days raw.
5.  `prune_history()` to 30 days raw, then compaction (VACUUM FULL / VACUUM) and the
    database size: the goal's "30 days raw". Uptime timed again.
6.  The daily prune, timed: one more day of raw results (24 × 1,000 rows) and the oldest
    day of rollups (RESULTS_RETENTION_DAYS 29, ROLLUP_RETENTION_DAYS 89: the work of a
    steady-state day), three days in a row (then 28/88, 27/87), while a real qcluster
    checks all 1,000 monitors at 60 s against the loopback targets; check lag over the
    three prunes, and over a minute before them.
7.  `prune_history()` to 7 days raw; uptime timed again (the goal: flat); size again.

How the generator keeps to what the engine writes: each monitor checks every 60 s at a
phase of its own plus 3–110 ms of runner lag; statuses come from the engine's state
machine (`monitors.state.next_step`, confirmations 2) fed with outages (about one every
10 days per monitor, 2 min to 4 h) and transient failures (1 check in 5,000). An hour in
which anything but "up" happened is computed with the models' own methods
(`Rollup.add_check`, `add_span` with `history.span_between`/`split`, `history.pack`,
`history.percentile`); an hour of 60 "up" checks after an "up" one is always 3,600 up
seconds, so it is filled from a pool of latency templates (60 lognormal latencies, their
sum, max, p95 and histogram computed with the same functions) and packed directly in
`history.pack`'s format. Daily rows are the sums of their hours (the spans split at days
are the sums of the spans split at hours) with the merged `history.Histogram`. Step 2 is
what shows these shortcuts write the same rows as the engine.
"""

import math
import multiprocessing
import os
import queue as queues
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import itemgetter

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
INTERVAL = 60
SLOT_MS = INTERVAL * 1000
SLOTS = HOUR_MS // SLOT_MS
CONFIRMATIONS = 2  # the Monitor default
PROFILES = (12, 25, 40, 60, 90, 140, 220, 350)  # median latency (ms) of a monitor's site
TEMPLATES_PER_PROFILE = 512
JITTER_ARRAYS = 509
OUTAGE_EVERY_DAYS = 10
TRANSIENT_EVERY = 5000  # checks
OUTAGE_KINDS = (("timed out after 10.0s", 0.4), ("status 503 (expected 200-399)", 0.35), ("connection refused", 0.25))
TRANSIENT_KINDS = (("timed out after 10.0s", 0.6), ("connection reset by the server", 0.4))
PARKED = timedelta(days=365)
UPTIME_REPEATS = 10
FAILED = ("seems_down", "down")
# The daily prune is timed this many times in a row (one more day each: 29, 28, 27 days of
# raw results, 89, 88, 87 of rollups), so the lag measured while it runs has more slots.
DAILY_PRUNES = 3


def sizes(cfg):
    if cfg.quick:
        n = dict(monitors=50, days=10, keep_raw=6, small_raw=2, warmup=65, baseline=30, uptime_repeats=3)
    else:
        n = dict(monitors=1000, days=90, keep_raw=30, small_raw=7, warmup=70, baseline=60,
                 uptime_repeats=UPTIME_REPEATS)
    if cfg.monitors:
        n["monitors"] = cfg.monitors
    if cfg.days:
        if cfg.days < 10:
            raise ValueError("history needs --days 10 or more")
        n["days"] = cfg.days
        n["keep_raw"] = min(n["keep_raw"], max(DAILY_PRUNES + 2, cfg.days // 3))
        n["small_raw"] = max(1, min(n["small_raw"], n["keep_raw"] - DAILY_PRUNES - 1))
    if cfg.duration:
        n["baseline"] = cfg.duration
    n["interval"] = INTERVAL
    n["daily_prunes"] = DAILY_PRUNES
    n["gen_workers"] = cfg.gen_workers or 2
    return n


def ms_of(when):
    return (when - EPOCH) // timedelta(milliseconds=1)


def dt_of(ms):
    return EPOCH + timedelta(milliseconds=ms)


def floor_ms(ms, unit):
    return ms - ms % unit


# Generation -----------------------------------------------------------------


class Template:
    """An hour of 60 successful checks' latencies and what the rollups make of them."""

    __slots__ = ("lat", "text", "total", "max", "p95", "hist")

    def __init__(self, latencies):
        from monitors.history import Histogram, percentile

        self.lat = latencies
        self.text = [repr(value) for value in latencies]  # json.dumps of a float is its repr
        total = 0
        for value in latencies:  # summed in order, as Rollup.add_check does
            total += value
        self.total = total
        self.max = max(latencies)
        self.p95 = percentile(latencies, 95)
        hist = Histogram()
        for value in latencies:
            hist.add(value)
        self.hist = hist.counts


def latency(rng, median):
    """A successful check's latency: lognormal around the site's median, 1.5 % spikes."""
    value = rng.lognormvariate(math.log(median), 0.3)
    if rng.random() < 0.015:
        value *= rng.uniform(2, 6)
    return round(value, 1)


def weighted(rng, kinds):
    pick = rng.random()
    for kind, weight in kinds:
        pick -= weight
        if pick < 0:
            return kind
    return kinds[-1][0]


def failure_latency(rng, detail, median):
    if detail.startswith("timed out"):
        return round(10_000 + rng.uniform(0.3, 3.0), 1)
    if detail == "connection refused":
        return round(rng.uniform(0.2, 2.0), 1)
    return latency(rng, median * 0.6)


class MonitorSpec:
    """One monitor's schedule and its bad moments, drawn from its own seed."""

    __slots__ = ("mid", "index", "phase", "median", "profile", "base", "outages", "op", "transients", "tp",
                 "transient_set", "rng", "status", "failures", "prev_at", "prev_status")

    def __init__(self, mid, index, count, first_ms, end_ms, seed, outages=None, transients=None):
        self.mid, self.index = mid, index
        self.phase = 1000 + index * 58_000 // max(1, count)  # spread over the interval like the engine's slots
        self.profile = index % len(PROFILES)
        self.median = PROFILES[self.profile]
        self.base = [self.phase + k * SLOT_MS for k in range(SLOTS)]
        self.rng = random.Random(seed * 1_000_003 + index)
        self.outages = outages if outages is not None else self._outages(first_ms, end_ms)
        self.op = 0
        self.transients = sorted(transients) if transients is not None else self._transients(first_ms, end_ms)
        self.tp = 0
        self.transient_set = set(self.transients)
        self.status, self.failures, self.prev_at, self.prev_status = "not_checked", 0, None, None

    def _outages(self, first_ms, end_ms):
        rng, found = self.rng, []
        t = first_ms + HOUR_MS
        while True:
            t += int(rng.expovariate(1 / (OUTAGE_EVERY_DAYS * DAY_MS)))
            roll = rng.random()
            minutes = rng.uniform(2, 10) if roll < 0.7 else rng.uniform(10, 60) if roll < 0.95 else rng.uniform(60, 240)
            end = t + int(minutes * 60_000)
            if end >= end_ms - 2 * HOUR_MS:
                return found
            found.append((t, end, weighted(rng, OUTAGE_KINDS)))
            t = end + 10 * 60_000

    def _transients(self, first_ms, end_ms):
        rng, found, n = self.rng, [], 0
        total = (end_ms - first_ms) // SLOT_MS - 2 * SLOTS
        while True:
            n += 1 + int(rng.expovariate(1 / TRANSIENT_EVERY))
            if n >= total:
                return found
            found.append(n)


class Generator:
    """Rows for the hourly and daily rollups and the state changes, day by day.

    Hours are numbered from `first_ms` (an hour start); a monitor's k-th check of hour h is
    due at first_ms + h·3600 s + phase + k·60 s and starts 3–110 ms later. Checks start
    before `end_ms`; hours from `raw_from_ms` on keep their raw results.
    """

    def __init__(self, specs, first_ms, end_ms, *, raw_from_ms, seed=1):
        from monitors import history
        from monitors.models import HourlyRollup
        from monitors.models.history import Rollup
        from monitors.models.monitor import STATUS_CODES
        from monitors.state import next_step

        self.h, self.HourlyRollup, self.Rollup, self.next_step = history, HourlyRollup, Rollup, next_step
        self.up_code = STATUS_CODES["up"]
        self.specs, self.first_ms, self.end_ms, self.raw_from_ms = specs, first_ms, end_ms, raw_from_ms
        rng = random.Random(seed)
        self.templates = [[Template([latency(rng, median) for _ in range(SLOTS)]) for _ in range(TEMPLATES_PER_PROFILE)]
                          for median in PROFILES]
        self.jitter = [[rng.randint(3, 110) for _ in range(SLOTS)] for _ in range(JITTER_ARRAYS)]
        self.counts = {"template_hours": 0, "computed_hours": 0}

    def jitter_of(self, spec, h):
        return self.jitter[(spec.index * 7919 + h * 104_729) % JITTER_ARRAYS]

    def days(self):
        day = floor_ms(self.first_ms, DAY_MS)
        while day < self.end_ms:
            yield day
            day += DAY_MS

    def day(self, day_ms, entries_out=None):
        """(day_ms, hourly rows, daily rows, state changes) of one UTC day, all monitors.

        Hourly/daily row: (monitor_id, start ms, checks, ups, up_seconds, down_seconds,
        maintenance_seconds, latency_count, latency_sum, latency_max, latency_p95, text);
        state change: (monitor_id, from, to, changed_at ms, reason)."""
        Histogram = self.h.Histogram
        hourly, daily, changes = [], [], []
        lo = max(0, (day_ms - self.first_ms) // HOUR_MS)
        hi = min((day_ms + DAY_MS - self.first_ms) // HOUR_MS, (self.end_ms - 1 - self.first_ms) // HOUR_MS + 1)
        for spec in self.specs:
            acc = [0, 0, 0.0, 0.0, 0.0, 0, 0.0, None, {}]
            for h in range(lo, hi):
                row = self.hour(spec, h, acc, changes, entries_out)
                if row is not None:
                    hourly.append(row)
            if acc[0]:
                hist = Histogram(acc[8])
                daily.append((spec.mid, day_ms, acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7],
                              hist.percentile(95), hist.dumps() if acc[8] else ""))
        return day_ms, hourly, daily, changes

    def hour(self, spec, h, acc, changes, entries_out):
        H = self.first_ms + h * HOUR_MS
        jit = self.jitter_of(spec, h)
        if H + spec.base[0] + jit[0] >= self.end_ms:
            return None
        next_at = H + HOUR_MS + spec.base[0] + self.jitter_of(spec, h + 1)[0]
        if next_at >= self.end_ms:
            next_at = None
        lo_slot, hi_slot = H + spec.base[0], H + spec.base[-1]
        outages, op = spec.outages, spec.op
        while op < len(outages) and outages[op][1] <= lo_slot:
            op += 1
        spec.op = op
        transients, tp, n0 = spec.transients, spec.tp, h * SLOTS
        while tp < len(transients) and transients[tp] < n0:
            tp += 1
        spec.tp = tp
        quiet = not (op < len(outages) and outages[op][0] <= hi_slot) and not (
            tp < len(transients) and transients[tp] < n0 + SLOTS)
        raw = H >= self.raw_from_ms
        if quiet and next_at is not None and spec.prev_status == "up":
            return self.template_hour(spec, h, H, jit, raw, acc, entries_out)
        return self.computed_hour(spec, h, H, jit, next_at, raw, acc, changes, entries_out)

    def template_hour(self, spec, h, H, jit, raw, acc, entries_out):
        """60 "up" checks after an "up" one: the hour is all up (3,600 s), latencies from a template."""
        self.counts["template_hours"] += 1
        tpl = self.templates[spec.profile][spec.rng.randrange(TEMPLATES_PER_PROFILE)]
        code = self.up_code
        if raw:
            results = "[" + ",".join([f"[{b + j},{code},{t}]" for b, j, t in zip(spec.base, jit, tpl.text)]) + "]"
        else:
            results = ""
        if entries_out is not None:
            Entry = self.h.Entry
            entries_out.extend(Entry(dt_of(H + b + j), "up", value) for b, j, value in zip(spec.base, jit, tpl.lat))
        spec.prev_at = H + spec.base[-1] + jit[-1]
        acc[0] += SLOTS
        acc[1] += SLOTS
        acc[2] += 3600.0
        acc[5] += SLOTS
        acc[6] += tpl.total
        acc[7] = tpl.max if acc[7] is None else max(acc[7], tpl.max)
        hist = acc[8]
        for key, count in tpl.hist.items():
            hist[key] = hist.get(key, 0) + count
        return (spec.mid, H, SLOTS, SLOTS, 3600.0, 0.0, 0.0, SLOTS, tpl.total, tpl.max, tpl.p95, results)

    def computed_hour(self, spec, h, H, jit, next_at, raw, acc, changes, entries_out):
        """Any other hour: the engine's state machine and the rollup models' own methods."""
        self.counts["computed_hours"] += 1
        history, Entry = self.h, self.h.Entry
        hour = dt_of(H)
        entries = []
        previous = None if spec.prev_at is None else Entry(dt_of(spec.prev_at), spec.prev_status)
        outages, op = spec.outages, spec.op
        for k in range(SLOTS):
            at = H + spec.base[k] + jit[k]
            if at >= self.end_ms:
                break
            nominal = H + spec.base[k]
            while op < len(outages) and outages[op][1] <= nominal:
                op += 1
            if op < len(outages) and outages[op][0] <= nominal:
                detail = outages[op][2]
            elif h * SLOTS + k in spec.transient_set:
                detail = weighted(spec.rng, TRANSIENT_KINDS)
            else:
                detail = None
            ok = detail is None
            value = latency(spec.rng, spec.median) if ok else failure_latency(spec.rng, detail, spec.median)
            step = self.next_step(status=spec.status, failures=spec.failures, ok=ok, response_time_ms=value,
                                  slow_ms=None, confirmations=CONFIRMATIONS)
            if step.status != spec.status:
                changes.append((spec.mid, spec.status, str(step.status), at, "status 200" if ok else detail))
            spec.status, spec.failures = str(step.status), step.consecutive_failures
            entries.append(Entry(dt_of(at), spec.status, value, "" if ok else detail))
        row = self.HourlyRollup(monitor_id=spec.mid, start=hour)
        chained = ([previous] if previous else []) + entries
        spans = [history.span_between(a, b.at, interval=INTERVAL) for a, b in zip(chained, chained[1:])]
        if next_at is not None:
            spans.append(history.span_between(entries[-1], dt_of(next_at), interval=INTERVAL))
        for span in spans:
            for start, seconds in history.split(span, history.HOUR) if span else ():
                if start == hour:
                    row.add_span(span.category, seconds)
        for entry in entries:
            self.Rollup.add_check(row, entry)  # the sums; the packing below once, not per check
        latencies = [entry.latency_ms for entry in entries if entry.latency_ms is not None]
        row.latency_p95 = history.percentile(latencies, 95)
        row.results = history.pack(entries, hour) if raw else ""
        if entries_out is not None:
            entries_out.extend(entries)
        spec.prev_at, spec.prev_status = ms_of(entries[-1].at), entries[-1].status
        acc[0] += row.checks
        acc[1] += row.ups
        acc[2] += row.up_seconds
        acc[3] += row.down_seconds
        acc[4] += row.maintenance_seconds
        acc[5] += row.latency_count
        acc[6] += row.latency_sum
        if row.latency_max is not None:
            acc[7] = row.latency_max if acc[7] is None else max(acc[7], row.latency_max)
        hist, bucket = acc[8], history.Histogram.bucket
        for value in latencies:
            key = bucket(value)
            hist[key] = hist.get(key, 0) + 1
        return (spec.mid, H, row.checks, row.ups, row.up_seconds, row.down_seconds, row.maintenance_seconds,
                row.latency_count, row.latency_sum, row.latency_max, row.latency_p95, row.results)

    def final_states(self):
        return {spec.mid: (spec.status, spec.failures, spec.prev_at) for spec in self.specs}


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


# The scenario -----------------------------------------------------------------


def history(cfg, Stage):
    from bench import setup
    from bench.measure import SlotTracker, fetch_results
    from bench.scenarios import LAG_ALLOWANCE, WRITE_ALLOWANCE, check_window, sleep_until

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
