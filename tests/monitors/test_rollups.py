"""Rollups are folded as results arrive; recomputing them from the raw results gives the same."""

import random
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.history import (
    DAY, HOUR, Entry, Histogram, append, day_of, hour_of, latencies_of, pack, packed_rows, percentile, spans_of, split, unpack,
)
from monitors.models import DailyRollup, HourlyRollup, Monitor
from monitors.services import monitor_save
from tests.support.results import all_results

pytestmark = pytest.mark.django_db


def run_story(monitor, start, checks, seed):
    """Checks every interval with jitter, failures in runs, and one gap with no cluster."""
    rng = random.Random(seed)
    at, failing = start, False
    for i in range(checks):
        at += timedelta(seconds=monitor.interval + rng.uniform(-2, 2))
        if i == checks // 2:
            at += timedelta(seconds=monitor.interval * 5)  # no data
        if rng.random() < 0.08:
            failing = not failing
        latency = rng.lognormvariate(4, 0.6)
        outcome = Outcome.down("HTTP 503", latency) if failing else Outcome.up(latency)
        record_outcomes([(monitor, outcome, at)])


def test_rollups_agree_with_the_raw_results():
    monitor = monitor_save(Monitor(name="web", kind="tcp", host="127.0.0.1", port=80, interval=60))
    start = day_of(timezone.now()) - timedelta(days=2) + timedelta(hours=22, minutes=30)  # crosses a UTC midnight
    run_story(monitor, start, checks=240, seed=7)

    entries = [entry for _, entry in all_results(monitor=monitor)]
    assert len(entries) == 240
    spans = spans_of(entries, interval=monitor.interval)
    for model, unit, floor in ((HourlyRollup, HOUR, hour_of), (DailyRollup, DAY, day_of)):
        expected = defaultdict(lambda: {"up": 0.0, "down": 0.0, "maintenance": 0.0})
        for span in spans:
            for bucket, seconds in split(span, unit):
                expected[bucket][span.category] += seconds
        by_bucket = defaultdict(list)
        for entry in entries:
            by_bucket[floor(entry.at)].append(entry)
        rows = {row.start: row for row in model.objects.filter(monitor=monitor)}
        assert set(rows) == set(by_bucket) | set(expected)
        for bucket, row in rows.items():
            found = by_bucket[bucket]
            latencies = [e.latency_ms for e in found]
            assert row.checks == len(found)
            assert row.ups == sum(e.status in ("up", "degraded") for e in found)
            # raw results keep milliseconds, the engine counted microseconds
            assert row.up_seconds == pytest.approx(expected[bucket]["up"], abs=0.01)
            assert row.down_seconds == pytest.approx(expected[bucket]["down"], abs=0.01)
            assert row.latency_sum == pytest.approx(sum(latencies), abs=0.1 * len(found))
            assert row.latency_max == pytest.approx(max(latencies), abs=0.05)
            exact_p95 = percentile(latencies, 95)
            if model is HourlyRollup:
                assert row.latency_p95 == pytest.approx(exact_p95, abs=0.05)
            else:
                assert exact_p95 <= row.latency_p95 <= exact_p95 * 1.05 + 0.1


def test_a_day_spanning_several_hours_sums_to_its_hours():
    monitor = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=80, interval=20))
    run_story(monitor, day_of(timezone.now()) - timedelta(days=1), checks=400, seed=3)
    for day in DailyRollup.objects.filter(monitor=monitor):
        hours = HourlyRollup.objects.filter(monitor=monitor, start__gte=day.start, start__lt=day.start + DAY)
        for field in ("checks", "ups", "up_seconds", "down_seconds", "latency_count"):
            assert getattr(day, field) == pytest.approx(sum(getattr(hour, field) for hour in hours), abs=1e-6), field


def an_hour_of_entries(hour):
    """One of each: statuses, a missing and a zero latency, details (brackets, quotes), maintenance."""
    return [
        Entry(hour + timedelta(seconds=1.5), "up", 12.3),
        Entry(hour + timedelta(seconds=61), "down", None, 'connect failed [Errno 111] "refused"'),
        Entry(hour + timedelta(seconds=121), "seems_down", 9.0, "HTTP 500", True),
        Entry(hour + timedelta(seconds=181), "degraded", 800.0, "", True),
        Entry(hour + timedelta(seconds=241), "up", 0.0),
    ]


def test_packing_keeps_every_field():
    hour = hour_of(timezone.now())
    entries = an_hour_of_entries(hour)
    assert unpack(pack(entries, hour), hour) == entries


def test_appending_writes_what_packing_the_whole_hour_writes():
    hour = hour_of(timezone.now())
    entries = an_hour_of_entries(hour)
    text = ""
    for entry in entries:
        text = append(packed_rows(text), entry, hour)
    assert text == pack(entries, hour)
    assert latencies_of(packed_rows(text)) == [12.3, 9.0, 800.0, 0.0]

    late = Entry(hour + timedelta(seconds=100), "up", 40.0)  # older than the newest
    assert unpack(append(packed_rows(text), late, hour), hour) == sorted([*entries, late], key=lambda e: e.at)


def test_histogram_percentile_is_within_five_percent_above_the_exact_one():
    rng = random.Random(1)
    values = [rng.lognormvariate(5, 1) for _ in range(5000)]
    hist = Histogram()
    for value in values:
        hist.add(value)
    hist = Histogram.loads(hist.dumps())
    for percent in (50, 95, 99):
        exact = percentile(values, percent)
        assert exact <= hist.percentile(percent) <= exact * 1.05 + 0.1


def test_rollups_are_found_by_monitor_through_the_unique_index_alone():
    """A second index on monitor_id costs space and misled SQLite into reading every row."""
    from django.db import connection

    for model in (HourlyRollup, DailyRollup):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
        assert ["monitor_id", "start"] in indexed
        assert ["monitor_id"] not in indexed
