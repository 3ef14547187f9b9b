"""The history scenario's sizes and constants, and its millisecond time helpers."""

from datetime import UTC, datetime, timedelta


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
