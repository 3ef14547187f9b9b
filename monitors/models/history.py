"""What checks found, kept as rollups: one row per monitor and hour, one per monitor and day.

Rows are updated as results arrive (`monitors.rollups`), never recomputed from raw rows.
An hour's row also carries that hour's raw results, packed (`monitors.history`), until
RESULTS_RETENTION_DAYS have passed; both kinds of row live ROLLUP_RETENTION_DAYS.
"""

from django.db import models

from monitors import history
from monitors.models.monitor import Monitor


class Rollup(models.Model):
    """Sums over one period. Time is split by what the monitor was in between checks:
    up (degraded and seems down included), down, or maintenance; time with no check
    (paused, no cluster running) is in none of them."""

    # No index of its own: the unique (monitor, start) index serves every lookup by monitor.
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="+", db_index=False)
    start = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    ups = models.PositiveIntegerField(default=0, help_text="Checks that succeeded (slow ones too).")
    up_seconds = models.FloatField(default=0)
    down_seconds = models.FloatField(default=0)
    maintenance_seconds = models.FloatField(default=0)
    latency_count = models.PositiveIntegerField(default=0)
    latency_sum = models.FloatField(default=0)
    latency_max = models.FloatField(null=True)
    latency_p95 = models.FloatField(null=True)
    gauge_max = models.FloatField(null=True, help_text="The highest gauge reading (PostgreSQL: connections in use).")

    SUM_FIELDS = ("checks", "ups", "up_seconds", "down_seconds", "maintenance_seconds", "latency_count", "latency_sum")

    class Meta:
        abstract = True

    def add_span(self, category, seconds):
        field = f"{category}_seconds"
        setattr(self, field, getattr(self, field) + seconds)

    def add_check(self, entry, gauge=None):
        self.checks += 1
        if gauge is not None:
            self.gauge_max = max(self.gauge_max if self.gauge_max is not None else gauge, gauge)
        self.ups += history.is_ok(entry.status)
        if entry.latency_ms is not None:
            self.latency_count += 1
            self.latency_sum += entry.latency_ms
            self.latency_max = max(self.latency_max or 0, entry.latency_ms)

    @property
    def latency_avg(self):
        return self.latency_sum / self.latency_count if self.latency_count else None

    @property
    def uptime(self):
        return history.uptime_percent(self.up_seconds, self.down_seconds)


class HourlyRollup(Rollup):
    # Packed raw results of the hour (`history.pack`); emptied after RESULTS_RETENTION_DAYS.
    results = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["monitor", "start"], name="hourly_rollup_unique")]
        indexes = [models.Index(fields=["start"], name="hourly_rollup_start_idx")]

    def add_check(self, entry, gauge=None):
        super().add_check(entry, gauge)
        rows = history.packed_rows(self.results)
        self.results = history.append(rows, entry, self.start)
        if entry.latency_ms is not None:
            self.latency_p95 = history.percentile(history.latencies_of(rows), 95)

    def entries(self):
        return history.unpack(self.results, self.start)


class DailyRollup(Rollup):
    """A UTC day. Its p95 comes from a latency histogram (5 % wide buckets), since a day's
    raw results are not all at hand when one more arrives."""

    latency_hist = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["monitor", "start"], name="daily_rollup_unique")]
        indexes = [models.Index(fields=["start"], name="daily_rollup_start_idx")]

    def add_check(self, entry, gauge=None):
        super().add_check(entry, gauge)
        if entry.latency_ms is not None:
            hist = history.Histogram.loads(self.latency_hist)
            hist.add(entry.latency_ms)
            self.latency_hist = hist.dumps()
            self.latency_p95 = hist.percentile(95)
