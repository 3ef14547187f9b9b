"""The history generator: monitors' checks, outages and transient failures turned into
hourly, daily and state-change rows (see the package's docstring for how it keeps to the
engine)."""

import math
import random

from bench.history.config import (CONFIRMATIONS, DAY_MS, HOUR_MS, INTERVAL, JITTER_ARRAYS, OUTAGE_EVERY_DAYS,
                                   OUTAGE_KINDS, PROFILES, SLOT_MS, SLOTS, TEMPLATES_PER_PROFILE, TRANSIENT_EVERY,
                                   TRANSIENT_KINDS, dt_of, floor_ms, ms_of)


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
