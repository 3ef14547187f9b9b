"""Reads for the pages, the API, the admin and the command: nothing here writes."""

from django.db.models import OuterRef, Subquery


def latest_per_source(runs):
    """One dict per source, in name order: its newest run, or `status` "not_checked" when it
    has none. Two queries however many sources and runs there are."""
    from backups.models import BackupSource

    newest = runs.filter(source=OuterRef("pk")).order_by("-verified_at", "-pk").values("pk")[:1]
    sources = list(BackupSource.objects.annotate(latest_run=Subquery(newest)).order_by("name"))
    latest = runs.model.objects.in_bulk([s.latest_run for s in sources if s.latest_run])
    return [run_summary(source, latest.get(source.latest_run)) for source in sources]


def run_summary(source, run):
    """`enabled` false: a source switched off, shown with its last run (it is not verified)."""
    if run is None:
        return {
            "source": source.name, "enabled": source.enabled, "status": "not_checked", "verified_at": None,
            "detail": "not verified yet", "next_run_at": source.next_run_at if source.enabled else None,
        }
    return {
        "source": source.name,
        "enabled": source.enabled,
        "status": run.status,
        "verified_at": run.verified_at,
        "detail": run_detail(run),
        "backup_id": run.backup_id,
        "backup_age_hours": _rounded(run.backup_age_hours),
        "backup_size_mb": _rounded(run.backup_size_mb),
        "checks_passed": run.checks_passed,
        "checks_failed": run.checks_failed,
        "duration_seconds": _rounded(run.duration_seconds),
        "next_run_at": source.next_run_at if source.enabled else None,
    }


def run_detail(run):
    """One line: what went wrong, else the figures that say it is good."""
    if run.error_details:
        return run.error_details.splitlines()[0]
    size = f"{run.backup_size_mb:,.1f} MB" if run.backup_size_mb is not None else "no file"
    age = f", {run.backup_age_hours:.1f} h old" if run.backup_age_hours is not None else ""
    return f"{run.checks_passed} checks passed; {size}{age}"


def _rounded(value):
    return None if value is None else round(value, 2)


def last_good_size_mb(source):
    """The size of the newest successfully verified backup of `source`, for the size-drop warning."""
    from backups.models import Status

    return source.runs.filter(status=Status.SUCCESS, backup_size_mb__isnull=False).values_list(
        "backup_size_mb", flat=True).first()
