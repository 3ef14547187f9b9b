"""Expected HTTP status codes written as "200-299, 301" (or a list of codes and ranges)."""

DEFAULT_RANGES = ((200, 399),)


def parse_status_spec(spec):
    """Return a tuple of inclusive (low, high) ranges; empty means any 2xx or 3xx.

    Raises ValueError with a readable message for anything that is not a code or range.
    """
    items = _items(spec)
    if not items:
        return DEFAULT_RANGES
    return tuple(_parse_item(item) for item in items)


def status_matches(code, ranges):
    return any(low <= code <= high for low, high in ranges)


def format_status_spec(spec):
    """The canonical text form stored on the monitor."""
    return ", ".join(_items(spec))


def _items(spec):
    if spec is None or spec == "":
        return []
    if isinstance(spec, int):
        return [str(spec)]
    if isinstance(spec, str):
        return [part.strip() for part in spec.split(",") if part.strip()]
    if isinstance(spec, (list, tuple)):
        return [str(part).strip() for part in spec]
    raise ValueError("Expected status must be a code, a range like 200-299, or a list of them.")


def _parse_item(item):
    low, sep, high = item.partition("-")
    try:
        low_code = int(low)
        high_code = int(high) if sep else low_code
    except ValueError:
        raise ValueError(f"{item!r} is not a status code or a range like 200-299.") from None
    if not (100 <= low_code <= high_code <= 599):
        raise ValueError(f"{item!r} is outside 100-599 or its range is reversed.")
    return low_code, high_code
