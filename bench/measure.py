"""What the bench measures, from outside the engine: the raw results the engine packed
into the hourly rollups (`HourlyRollup.results`) matched to each monitor's slots, and
process CPU/memory sampled with psutil."""

import math
import os
import threading
import time

import psutil

from core.stats import percentile

# Slots -----------------------------------------------------------------

# After the engine re-anchors a late monitor (next = claim time + interval) the bench
# only knows the check's start, a little after the claim: a re-run that starts up to
# this much before the estimated due is not counted as a duplicate.
REANCHOR_TOLERANCE = 1.0
# A recorded status is the monitor's status after the check: these are failed checks.
FAILED = ("seems_down", "down")


def summary(values):
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


class SlotTracker:
    """Replays each monitor's schedule the way the engine keeps it, against its results.

    A monitor's slots are first_due + k*interval. Each result (its `checked_at`, the
    check's start) belongs to the monitor's current slot: lag = checked_at - due. The next
    slot is due + interval; if that has already passed when the check starts, the engine
    re-anchors at claim time + interval and never replays the slots in between: those
    are missed. A result that starts before its monitor's current slot is due is a
    second run of the previous slot: a duplicate.

    Results are fed in checked_at order, possibly in several batches (each batch must
    hold every result up to its cutoff), so a long run can be analysed step by step.
    """

    def __init__(self):
        self.state = {}  # pk -> [due, interval, label, reanchored]
        self.events = []  # (due, started, kind, label, value, status, response_ms)
        self.fed_until = None

    def add(self, plan):
        for pk, (first_due, interval, label) in plan.items():
            self.state[pk] = [first_due, interval, label, False]

    def feed(self, rows):
        """rows: (monitor_id, checked_at epoch, status after the check, response_time_ms), by checked_at."""
        for pk, started, status, response_ms in rows:
            state = self.state.get(pk)
            if state is None:
                continue  # not a slot-scheduled monitor (a heartbeat)
            due, interval, label, reanchored = state
            if started < due - (REANCHOR_TOLERANCE if reanchored else 0.0):
                self.events.append((due - interval, started, "duplicate", label, started - (due - interval), status, response_ms))
                continue
            self.events.append((due, started, "run", label, max(0.0, started - due), status, response_ms))
            following = due + interval
            state[3] = False
            if following <= started:
                skipped = math.floor((started - due) / interval)
                for j in range(1, skipped + 1):
                    self.events.append((due + j * interval, None, "missed", label, None, None, None))
                following = started + interval
                state[3] = True
            state[0] = following

    def window(self, start, end, cutoff, groups=None):
        """Figures for slots due in [start, end), with every result up to `cutoff` fed, per
        label and per group of labels (`groups`: {name: {label, ...}}).

        A slot due in the window whose check has not started by `cutoff` is "unfinished":
        its lag is at least cutoff - due and is counted so (a lower bound); the grid slots
        after it that have passed too will be skipped by the engine: missed.
        """
        by_label = {}
        groups = groups or {}

        def new():
            return {"lags": [], "runs_in_window": 0, "missed": 0, "duplicates": 0, "unfinished": 0, "down": 0,
                    "response_ms": []}

        class Fan:
            """Updates the label's bucket and those of the groups holding it."""

            def __init__(self, label):
                names = [label] + [name for name, labels in groups.items() if label in labels]
                self.buckets = [by_label.setdefault(name, new()) for name in names]

            def __getitem__(self, key):
                return self.buckets[0][key]

            def __setitem__(self, key, value):
                delta = value - self.buckets[0][key]
                for b in self.buckets:
                    b[key] += delta

            def append(self, key, value):
                for b in self.buckets:
                    b[key].append(value)

        fans = {}

        def bucket(label):
            if label not in fans:
                fans[label] = Fan(label)
            return fans[label]

        for due, started, kind, label, value, status, response_ms in self.events:
            b = bucket(label)
            if kind == "duplicate":
                if start <= started < end:
                    b["duplicates"] += 1
                continue
            if kind == "run" and start <= started < end:
                b["runs_in_window"] += 1
                if status in FAILED:
                    b["down"] += 1
                if response_ms is not None:
                    b.append("response_ms", response_ms)
            if not (start <= due < end):
                continue
            if kind == "run":
                b.append("lags", value)
            else:
                b["missed"] += 1
        for due, interval, label, _ in self.state.values():
            b = bucket(label)
            slot = due
            if start <= slot < end and slot <= cutoff:
                b["unfinished"] += 1
                b.append("lags", cutoff - slot)
                slot += interval
                while slot < end and slot <= cutoff:
                    b["missed"] += 1
                    slot += interval
        seconds = end - start
        result = {}
        for label, b in sorted(by_label.items()):
            result[label] = {
                "slots": len(b["lags"]) + b["missed"],
                "runs_in_window": b["runs_in_window"],
                "checks_per_s": b["runs_in_window"] / seconds,
                "lag_s": summary(b["lags"]),
                "missed": b["missed"],
                "duplicates": b["duplicates"],
                "unfinished_at_cutoff": b["unfinished"],
                "down_results": b["down"],
                "response_ms": summary(b["response_ms"]),
            }
        return result


def iter_results(after, upto, *, monitor_ids=None):
    """(monitor_id, checked_at epoch, status, latency_ms, detail) of every check with
    after < checked_at <= upto (epoch seconds; after None: from the first), by checked_at.

    Raw results live packed in the hourly rollups (`monitors.history.pack`, times to the
    millisecond); only the hours that can hold the range are read and unpacked.
    """
    from monitors.history import hour_of, unpack
    from monitors.models import HourlyRollup

    from bench.setup import at

    query = HourlyRollup.objects.filter(start__lte=at(upto)).exclude(results="")
    if after is not None:
        query = query.filter(start__gte=hour_of(at(after)))
    if monitor_ids is not None:
        query = query.filter(monitor_id__in=list(monitor_ids))
    found = []
    for monitor_id, start, results in query.values_list("monitor_id", "start", "results").iterator(chunk_size=2000):
        for entry in unpack(results, start):
            checked_at = entry.at.timestamp()
            if (after is None or checked_at > after) and checked_at <= upto:
                found.append((monitor_id, checked_at, entry.status, entry.latency_ms, entry.detail))
    found.sort(key=lambda row: row[1])
    return found


def fetch_results(after, upto):
    """(monitor_id, checked_at epoch, status, response_time_ms) with after < checked_at <= upto, by checked_at."""
    return [row[:4] for row in iter_results(after, upto)]


# Heartbeats -----------------------------------------------------------------


def heartbeat_figures(on_time, late, *, until, stopped):
    """For the late heartbeats: deadline (last ping + period + grace) -> recorded StateChange
    to down; for the ones pinged on time: any change to down before the clusters stopped
    (`stopped`) is a false alarm."""
    from monitors.models import Monitor, StateChange

    late_ids = {pk for pk, _ in late}
    on_time_ids = {pk for pk, _ in on_time}
    monitors = Monitor.objects.in_bulk(late_ids | on_time_ids)
    downs = {}
    for pk, changed_at in StateChange.objects.filter(monitor_id__in=late_ids | on_time_ids, to_status="down").order_by(
        "changed_at"
    ).values_list("monitor_id", "changed_at"):
        downs.setdefault(pk, []).append(changed_at.timestamp())
    delays, undetected, not_due = [], 0, 0
    for pk in late_ids:
        monitor = monitors[pk]
        deadline = monitor.deadline().timestamp()
        if deadline > until:
            not_due += 1
            continue
        after = [t for t in downs.get(pk, []) if t >= deadline - 0.001]
        if after:
            delays.append(after[0] - deadline)
        else:
            undetected += 1
    false_alarms = sum(1 for pk in on_time_ids for t in downs.get(pk, []) if t <= stopped)
    still_up = sum(1 for pk in on_time_ids if monitors[pk].status == "up")
    return {
        "late": len(late_ids),
        "late_detected": len(delays),
        "late_undetected": undetected,
        "late_deadline_after_run": not_due,
        "detection_delay_s": summary(delays),
        "on_time": len(on_time_ids),
        "on_time_up_at_end": still_up,
        "on_time_false_downs": false_alarms,
    }


# Processes -----------------------------------------------------------------


class Sampler(threading.Thread):
    """Every `every` seconds: cumulative CPU seconds and summed RSS of each process group.

    A group is a callable returning the pids in it now. CPU of a process that has gone is
    kept at its last sample, so the cumulative figure of a group never falls.
    """

    def __init__(self, groups, *, every=1.0, watchers=None):
        super().__init__(name="bench-sampler", daemon=True)
        self.groups = groups
        self.every = every
        self.watchers = watchers or {}
        self.samples = []  # (t, {group: (cpu_s, rss_bytes, nprocs, pss_bytes)}, system_busy_s, loadavg)
        self.watched = {name: [] for name in self.watchers}
        self._procs = {}  # (pid, create_time) -> psutil.Process
        self._cpu = {}  # group -> {(pid, ctime): cpu seconds}
        self._halt = threading.Event()
        self.errors = []

    def stop(self):
        self._halt.set()
        self.join(10)

    def run(self):
        next_watch = 0.0
        while not self._halt.is_set():
            started = time.time()
            try:
                self.sample()
                if self.watchers and started >= next_watch:
                    next_watch = started + 2.0
                    for name, watch in self.watchers.items():
                        self.watched[name].append((started, watch()))
            except Exception as exc:  # a sampling hiccup must not end the run
                self.errors.append(repr(exc))
            self._halt.wait(max(0.05, self.every - (time.time() - started)))
        self._close_db()

    def _close_db(self):
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass

    def _process(self, pid):
        try:
            proc = psutil.Process(pid)
            key = (pid, proc.create_time())
        except psutil.Error:
            return None, None
        return self._procs.setdefault(key, proc), key

    def sample(self):
        now = time.time()
        figures = {}
        for group, pids_of in self.groups.items():
            cpu = self._cpu.setdefault(group, {})
            rss = pss = nprocs = 0
            for pid in pids_of():
                proc, key = self._process(pid)
                if proc is None:
                    continue
                try:
                    with proc.oneshot():
                        times = proc.cpu_times()
                        cpu[key] = times.user + times.system
                        memory = proc.memory_full_info()  # smaps_rollup: PSS splits shared pages
                        rss += memory.rss
                        pss += getattr(memory, "pss", memory.rss)
                    nprocs += 1
                except psutil.Error:
                    continue
            figures[group] = (sum(cpu.values()), rss, nprocs, pss)
        system = psutil.cpu_times()
        busy = system.user + system.nice + system.system + system.irq + system.softirq + system.steal
        self.samples.append((now, figures, busy, os.getloadavg()))

    def _at(self, when, index):
        """A cumulative figure at time `when`, linearly interpolated between samples."""
        before = after = None
        for sample in self.samples:
            if sample[0] <= when:
                before = sample
            elif after is None:
                after = sample
                break
        before = before or after
        after = after or before
        if before is None:
            return None
        value_b, value_a = index(before), index(after)
        if after[0] == before[0]:
            return value_b
        return value_b + (value_a - value_b) * (when - before[0]) / (after[0] - before[0])

    def window(self, start, end):
        """Cores used by each group and by the whole machine over [start, end); peak RSS."""
        seconds = end - start
        result = {}
        groups = set().union(*(sample[1].keys() for sample in self.samples)) if self.samples else set()
        for group in sorted(groups):
            def cpu(sample, group=group):
                return sample[1].get(group, (0.0, 0, 0, 0))[0]

            a, b = self._at(start, cpu), self._at(end, cpu)
            inside = [s[1][group] for s in self.samples if start <= s[0] <= end and group in s[1]]
            result[group] = {
                "cores": None if a is None else round((b - a) / seconds, 3),
                "peak_rss_mb": round(max((f[1] for f in inside), default=0) / 2**20, 1),
                "peak_pss_mb": round(max((f[3] for f in inside), default=0) / 2**20, 1),
                "processes": max((f[2] for f in inside), default=0),
            }
        a, b = self._at(start, lambda s: s[2]), self._at(end, lambda s: s[2])
        loads = [s[3][0] for s in self.samples if start <= s[0] <= end]
        result["machine"] = {
            "cores": None if a is None else round((b - a) / seconds, 3),
            "loadavg_1m_max": round(max(loads), 2) if loads else None,
        }
        ours = sum(v["cores"] or 0 for k, v in result.items() if k != "machine")
        if result["machine"]["cores"] is not None:
            result["machine"]["others_cores"] = round(max(0.0, result["machine"]["cores"] - ours), 3)
        return result

    def peak_rss_mb(self, group):
        """Peak summed RSS over the whole scenario (and, second, peak summed PSS)."""
        figures = [s[1].get(group, (0, 0, 0, 0)) for s in self.samples]
        return {"rss": round(max((f[1] for f in figures), default=0) / 2**20, 1),
                "pss": round(max((f[3] for f in figures), default=0) / 2**20, 1)}


def find_redis_pids():
    return {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"}
