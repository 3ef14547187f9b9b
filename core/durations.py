"""Durations written for people: "20s", "5m", "1h", "1d", "500ms" or a number of seconds."""

import re
from decimal import Decimal, InvalidOperation

UNITS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600), "d": Decimal(86400)}
# Largest first: the form written is the largest unit that divides the duration exactly.
WHOLE_UNITS = (("d", 86400), ("h", 3600), ("m", 60))
HINT = "use 20s, 5m, 1h, 1d, 500ms or a number of seconds"

_PATTERN = re.compile(r"^(?P<number>\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>ms|s|m|h|d)?$")


def parse_duration(value):
    """Seconds as an int when whole, else a float. Raises ValueError with a readable message."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be a duration ({HINT})")
    if isinstance(value, str):
        seconds = _parse_text(value)
    else:
        seconds = _decimal(value)
    if seconds < 0:
        raise ValueError("must not be negative")
    return _number(seconds)


def format_duration(seconds):
    """The shortest exact text: 86400 → "1d", 300 → "5m", 90 → "90s", 1.5 → "1.5s"."""
    value = _decimal(seconds)
    if value != value.to_integral_value():
        return f"{_plain(value)}s"
    whole = int(value)
    for unit, size in WHOLE_UNITS:
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def _parse_text(text):
    match = _PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration ({HINT})")
    return Decimal(match["number"]) * UNITS[match["unit"] or "s"]


def _decimal(number):
    try:
        value = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    except InvalidOperation:
        raise ValueError(f"must be a duration ({HINT})") from None
    if not value.is_finite():
        raise ValueError(f"must be a duration ({HINT})")
    return value


def _number(value):
    return int(value) if value == value.to_integral_value() else float(value)


def _plain(value):
    return format(value.normalize(), "f")


def human_duration(seconds):
    """For messages: "12 min 4 s", "2 h 5 min", "3 d 4 h" (the two largest units that are not zero)."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")) if n]
    return " ".join(parts[:2]) or "0 s"
