"""Demo monitors for `make run`: Vigil watching itself, one of each kind, nothing outside this machine."""

import os
from decimal import Decimal

from django.conf import settings

from monitors.models import MaintenanceWindow, Monitor, Tag
from monitors.models.maintenance import weekly_cron
from monitors.services import monitor_save


def demo_monitors():
    base = settings.VIGIL_BASE_URL
    postgres_dsn = os.environ.get("DEMO_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    return [
        (Monitor(name="Vigil health", kind="http", url=f"{base}/health", expected_status="200",
                 interval=30, timeout=5, severity="P1", public=True, slow_ms=500, slo_target=Decimal("99.9")),
         ["vigil"]),
        (Monitor(name="Vigil admin login page", kind="http", url=f"{base}/admin/login/",
                 keyword="Vigil administration", interval=60, timeout=5, severity="P2"), ["vigil"]),
        (Monitor(name="Vigil web port", kind="tcp", host="127.0.0.1", port=settings.PORT,
                 interval=60, timeout=3, public=True), ["vigil"]),
        (Monitor(name="Local PostgreSQL", kind="postgres", dsn=postgres_dsn, interval=60, timeout=5,
                 severity="P0"), ["database"]),
        (Monitor(name="Nightly backup job", kind="heartbeat", period=24 * 3600, grace=3600,
                 severity="P1"), ["backups"]),
        # Paused: the demo never reaches outside this machine. Resume it to try a TLS check.
        (Monitor(name="example.com certificate", kind="tls", host="example.com", port=443,
                 interval=3600, timeout=10, paused=True), ["tls"]),
    ]


DEMO_WINDOW = "Sunday night maintenance (demo)"


def load_demo():
    """Create the demo monitors that do not exist yet; never touch ones the user changed."""
    created = []
    existing = set(Monitor.objects.values_list("name", flat=True))
    for monitor, tags in demo_monitors():
        if monitor.name not in existing:
            monitor_save(monitor, tags=tags)
            created.append(monitor.name)
    if not MaintenanceWindow.objects.filter(name=DEMO_WINDOW).exists():
        window = MaintenanceWindow(name=DEMO_WINDOW, cron=weekly_cron(["sun"], "23:00"), duration=3600,
                                   timezone=settings.TIME_ZONE, note="A recurring window: edit or delete it.")
        window.full_clean()
        window.save()
        window.tags.set(Tag.objects.filter(name="backups"))
        created.append(DEMO_WINDOW)
    return created
