"""Durations as people write them in config files: parse and format, no database."""

import pytest

from core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20s", 20),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86400),
        ("90", 90),
        (" 45 s ", 45),
        ("1.5", 1.5),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("2000ms", 2),
        ("0.1h", 360),
        (".5s", 0.5),
        (30, 30),
        (2.5, 2.5),
        (0, 0),
    ],
)
def test_parse_accepts_units_and_plain_seconds(text, seconds):
    assert parse_duration(text) == seconds


def test_parse_gives_an_int_for_whole_seconds_and_a_float_otherwise():
    assert type(parse_duration("5m")) is int
    assert type(parse_duration("2000ms")) is int
    assert type(parse_duration(60.0)) is int
    assert type(parse_duration("1.5s")) is float


@pytest.mark.parametrize("text", ["5x", "m", "", "1.5.2s", "5 minutes", "-5s", "1e3", "5M", "inf"])
def test_parse_rejects_what_is_not_a_duration(text):
    with pytest.raises(ValueError, match=r"is not a duration \(use 20s, 5m, 1h, 1d, 500ms or a number of seconds\)"):
        parse_duration(text)


@pytest.mark.parametrize("value", [True, None, [5], {"s": 5}, float("inf"), float("nan")])
def test_parse_rejects_other_types(value):
    with pytest.raises(ValueError, match="must be a duration"):
        parse_duration(value)


def test_parse_rejects_negative_numbers():
    with pytest.raises(ValueError, match="must not be negative"):
        parse_duration(-5)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (20, "20s"),
        (60, "1m"),
        (300, "5m"),
        (90, "90s"),
        (3600, "1h"),
        (5400, "90m"),
        (86400, "1d"),
        (172800, "2d"),
        (90000, "25h"),
        (0, "0s"),
        (1.5, "1.5s"),
        (0.1, "0.1s"),
        (10.0, "10s"),
    ],
)
def test_format_uses_the_largest_exact_unit(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [20, 45, 60, 90, 300, 3600, 5400, 86400, 0.1, 1.5, 12.345, 59.9])
def test_format_then_parse_gives_the_same_number(seconds):
    assert parse_duration(format_duration(seconds)) == seconds
