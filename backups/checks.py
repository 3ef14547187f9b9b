"""One check's outcome, and the checks that need only the file (no server)."""

import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

PASSED, WARNING, FAILED, SKIPPED = "passed", "warning", "failed", "skipped"


@dataclass
class CheckResult:
    """`result`: passed, warning, failed, or skipped (not run: never counted as passed)."""

    name: str
    result: str = PASSED
    message: str = ""
    figures: dict = field(default_factory=dict)
    seconds: float = 0.0

    def fail(self, message, **figures):
        self.result, self.message = FAILED, message
        self.figures.update(figures)
        return self

    def warn(self, message, **figures):
        self.result, self.message = WARNING, message
        self.figures.update(figures)
        return self

    def skip(self, message):
        self.result, self.message = SKIPPED, message
        return self

    def as_dict(self):
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@contextmanager
def timed(check):
    started = time.monotonic()
    try:
        yield check
    finally:
        check.seconds = time.monotonic() - started


def check_recent(check, *, created_at, origin, now, max_age):
    age = now - created_at
    hours = age.total_seconds() / 3600
    check.figures.update(age_hours=round(hours, 2), created_at=created_at.isoformat(), age_from=origin,
                         max_age_hours=round(max_age / 3600, 2))
    if age.total_seconds() > max_age:
        return check.fail(f"the backup is {_hours(hours)} old (from its {origin}); the limit is {_hours(max_age / 3600)}")
    check.message = f"{_hours(hours)} old (from its {origin})"
    return check


def check_size(check, *, size_mb, min_size_mb, previous_mb):
    """Under the minimum fails; less than half of the last good run's size warns."""
    check.figures.update(size_mb=round(size_mb, 3), min_size_mb=float(min_size_mb), previous_good_mb=previous_mb)
    if size_mb < float(min_size_mb):
        return check.fail(f"{_mb(size_mb)} is under the minimum of {_mb(float(min_size_mb))}")
    if previous_mb and size_mb < previous_mb / 2:
        return check.warn(f"{_mb(size_mb)} is less than half of the last good backup ({_mb(previous_mb)})")
    check.message = _mb(size_mb)
    return check


def _hours(hours):
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _mb(size):
    return f"{size:,.2f} MB" if size < 10 else f"{size:,.1f} MB"
