"""The `backup_sources:` section: one mapping per backup source, matched by name.

    backup_sources:
      - name: app-db
        path: ${BACKUP_DIR}/app-*.dump
        format: pg_dump
        max_age: 26h
        min_size_mb: 250.5
        critical_tables: [users, orders]
        expected_rows: {users: 1000, orders: 5000}
        schedule: "0 5 * * *"
      - name: old-files
        enabled: false        # not verified nor reported stale; its log is kept
        path: /backups/old/*.tar
        format: file

`${ENV}` is allowed in `path` and `source_database_url`; the latter may hold a password,
so it is never exported (absent in a file: the current value is kept).
"""

from decimal import Decimal, InvalidOperation

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from backups.models import BackupSource
from backups.services import backup_source_save


def _megabytes(value):
    """A size in MB such as 100 or 0.5 (decimals allowed)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number of MB such as 100 or 0.5")
    try:
        number = Decimal(str(value).strip().removesuffix("MB").strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number of MB (e.g. 100 or 0.5)") from None
    if not number.is_finite() or number < 0:
        raise ValueError("must be a number of MB, 0 or more")
    return number


def _dump_megabytes(value):
    return int(value) if value == value.to_integral_value() else float(value)


def _row_minimums(value):
    """{table: minimum rows}."""
    v.mapping(value)
    for table, minimum in value.items():
        if not isinstance(table, str) or not table:
            raise ValueError("table names must be strings")
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            raise ValueError(f"{table}: must be a whole number of rows, 0 or more")
    return dict(sorted(value.items()))


class BackupSourceSection(ModelSection):
    key = "backup_sources"
    noun = "backup source"
    model = BackupSource
    keys = (
        Key("name", v.text),
        Key("enabled", v.boolean),
        Key("path", v.from_env(v.text)),
        Key("format", v.text),
        Key("max_age", v.whole_duration, v.dump_duration),
        Key("min_size_mb", _megabytes, _dump_megabytes),
        Key("critical_tables", v.string_list),
        Key("expected_rows", _row_minimums),
        Key("restore_test", v.boolean),
        Key("schedule", v.text),
        Key("source_database_url", v.from_env(v.text), secret=True),
    )

    def current_value(self, instance, name):
        value = super().current_value(instance, name)
        if name == "critical_tables":
            return sorted(value)
        return value

    def save(self, instance, related):
        backup_source_save(instance)
