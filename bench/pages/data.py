"""The pages scenario's data: monitors with their generated history, incidents and a
maintenance window."""

import math
import random
from datetime import UTC, datetime

from bench.pages.config import HOST, TAGS


# The data -----------------------------------------------------------------


def monitor_name(i, public):
    kinds = ("API", "website", "checkout", "search", "login", "CDN edge", "webhooks", "reports")
    return f"{'Public' if public else 'Internal'} {kinds[i % len(kinds)]} {i:04d}"


def add_monitors(stage, n, *, public, count, offset, days, raw_days, seed, say):
    """`count` HTTP monitors with `days` of history; returns the generator's figures."""
    from django.utils.text import slugify

    from bench.history.config import DAY_MS, HOUR_MS, INTERVAL, PARKED, PROFILES, dt_of, floor_ms, ms_of
    from bench.history.measure import vacuum_analyze
    from bench.history.rows import generate
    from monitors.models import Monitor, Tag

    end_ms = ms_of(datetime.now(UTC))
    first_ms = floor_ms(end_ms, HOUR_MS) - days * DAY_MS
    parked = dt_of(end_ms) + PARKED
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
    if not tags:
        Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
        tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
    rows = []
    for i in range(offset, offset + count):
        name = monitor_name(i, public)
        rows.append(Monitor(name=name, kind="http", interval=INTERVAL, url=f"http://{HOST}:9/{i}",
                            public=public, slug=slugify(name) if public else None, next_check_at=parked,
                            monitoring_since=dt_of(first_ms), status_changed_at=dt_of(first_ms)))
    Monitor.objects.bulk_create(rows, batch_size=500)
    names = [row.name for row in rows]
    ids = list(Monitor.objects.filter(name__in=names).order_by("name").values_list("pk", flat=True))
    # Five groups; every tenth monitor untagged ("Other"), every seventh in two groups.
    through = Monitor.tags.through
    links = []
    for k, pk in enumerate(ids):
        if k % 10 == 9:
            continue
        links.append(through(monitor_id=pk, tag_id=tags[TAGS[k % len(TAGS)]].pk))
        if k % 7 == 3:
            links.append(through(monitor_id=pk, tag_id=tags[TAGS[(k + 2) % len(TAGS)]].pk))
    through.objects.bulk_create(links, batch_size=1000)
    say(f"  {len(ids)} {'public' if public else 'private'} monitors; generating {days} days of rollups "
        f"(raw results for the last {raw_days}) with {n['gen_workers']} processes …")
    figures, finals = generate(stage, [(pk, k) for k, pk in enumerate(ids)], first_ms, end_ms,
                               end_ms - raw_days * DAY_MS, workers=n["gen_workers"], seed=seed, progress=say)
    figures["vacuum_analyze_s"] = vacuum_analyze()
    rng = random.Random(seed)
    monitors = Monitor.objects.in_bulk(ids)
    for pk, (status, failures, last_ms) in finals.items():
        m = monitors[pk]
        m.status, m.consecutive_failures = status, failures
        m.last_checked_at = dt_of(last_ms) if last_ms else None
        m.response_time_ms = round(rng.lognormvariate(math.log(PROFILES[m.pk % len(PROFILES)]), 0.3), 1)
        m.last_detail = "status 200"
    Monitor.objects.bulk_update(monitors.values(), ["status", "consecutive_failures", "last_checked_at",
                                                    "response_time_ms", "last_detail"], batch_size=500)
    say(f"  generated in {figures['seconds']} s: {figures['hourly_rows']:,} hourly rows, {figures['daily_rows']:,} "
        f"daily rows, {figures['state_changes']:,} state changes")
    return {**figures, "monitors": len(ids), "public": public, "days": days, "raw_days": raw_days}


def add_incidents_and_maintenance():
    """Three incidents resolved in the last 14 days and one 40 days ago, each on a public
    monitor at one of its generated outages, with public updates; one maintenance window
    starting in two days, covering the "payments" tag."""
    from datetime import timedelta

    from django.utils import timezone

    from incidents.models import Incident, TimelineEntry
    from monitors.models import MaintenanceWindow, StateChange, Tag

    now = timezone.now()
    downs = StateChange.objects.filter(monitor__public=True, to_status="down").order_by("-changed_at")
    picked, seen = [], set()
    for since, until, wanted in ((13, 0, 3), (60, 35, 1)):
        found = 0
        for change in downs.filter(changed_at__gte=now - timedelta(days=since),
                                   changed_at__lte=now - timedelta(days=until, hours=2))[:500]:
            if change.monitor_id not in seen:
                seen.add(change.monitor_id)
                picked.append(change)
                found += 1
                if found == wanted:
                    break
    made = 0
    for n, change in enumerate(picked, 1):
        up = StateChange.objects.filter(monitor_id=change.monitor_id, changed_at__gt=change.changed_at,
                                        to_status="up").order_by("changed_at").first()
        resolved = up.changed_at if up else change.changed_at + timedelta(minutes=20)
        incident = Incident.objects.create(
            ref=f"INC-BENCH-{n:03d}", title=f"monitor {change.monitor_id} down: {change.reason}", severity="P2",
            status=Incident.Status.RESOLVED, dedup_key=f"monitor:{change.monitor_id}:down",
            source_key=f"monitor:{change.monitor_id}", opened_at=change.changed_at,
            acknowledged_at=change.changed_at + timedelta(minutes=3), resolved_at=resolved)
        TimelineEntry.objects.bulk_create([
            TimelineEntry(incident=incident, at=change.changed_at + timedelta(minutes=4), kind="update", public=True,
                          text="We are investigating errors on this service."),
            TimelineEntry(incident=incident, at=resolved, kind="update", public=True,
                          text="A fix has been deployed; we are monitoring the results."),
        ])
        made += 1
    window = MaintenanceWindow.objects.create(name="Payments database upgrade", note="Card payments may be slow.",
                                              starts=now + timedelta(days=2),
                                              ends=now + timedelta(days=2, hours=2))
    window.tags.add(Tag.objects.get(name="payments"))
    return {"incidents": made, "maintenance_windows": 1}
