"""`python -m bench.add_check`: CPU time the rollups take per recorded check.

    python -m bench.add_check              500 monitor-hours of 60 checks (default)
    python -m bench.add_check --hours 50   a quick run

The engine's recording transaction calls `HourlyRollup.add_check` and
`DailyRollup.add_check` once per check, on the runner's one dispatcher thread, so their
cost comes straight off the engine's ceiling. This times the two methods alone (unsaved
rows, no database) over hours of 60 checks with realistic latencies, and prints the mean
per check and the cost of the 60th check of an hour (the fullest row).
"""

import argparse
import os
import random
import statistics
import time
from datetime import timedelta


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=int, default=500)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.utils import timezone

    from monitors.history import Entry, day_of, hour_of
    from monitors.models import DailyRollup, HourlyRollup

    rng = random.Random(1)
    hour = hour_of(timezone.now())
    per_check = {HourlyRollup: [], DailyRollup: []}
    sixtieth = {HourlyRollup: [], DailyRollup: []}
    day = DailyRollup(monitor_id=1, start=day_of(hour))
    for _ in range(args.hours):
        row = HourlyRollup(monitor_id=1, start=hour)
        for second in range(60):
            entry = Entry(hour + timedelta(seconds=second * 60 + rng.uniform(0, 0.5)), "up", rng.lognormvariate(4.5, 0.5))
            for target in (row, day):
                began = time.process_time_ns()
                target.add_check(entry)
                spent = (time.process_time_ns() - began) / 1000
                per_check[type(target)].append(spent)
                if second == 59:
                    sixtieth[type(target)].append(spent)

    print(f"{args.hours} monitor-hours of 60 checks; CPU µs per check (process_time)")
    for model in (HourlyRollup, DailyRollup):
        print(f"{model.__name__:13} mean {statistics.fmean(per_check[model]):7.1f}  "
              f"median {statistics.median(per_check[model]):7.1f}  "
              f"60th check of an hour, median {statistics.median(sixtieth[model]):7.1f}")


if __name__ == "__main__":
    main()
