"""Statistics shared by the app and the bench, free of Django so either can import it."""

import math


def percentile(values, percent):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]
