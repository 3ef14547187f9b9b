"""Every periodic job, declared once and installed idempotently after each migrate."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str
    minutes: int


PERIODIC_JOBS = [
    Periodic("monitors.ensure_runners", "monitors.tasks.ensure_runners", minutes=1),
    Periodic("incidents.deliver", "incidents.tasks.deliver_pending", minutes=1),
    Periodic("incidents.escalate", "incidents.tasks.escalate_and_remind", minutes=1),
    Periodic("monitors.objectives", "monitors.tasks.check_objectives", minutes=1),
    Periodic("monitors.prune", "monitors.tasks.prune", minutes=24 * 60),
    Periodic("portal.error_rates", "portal.sentry.error_rate.check_error_rates", minutes=1),
    Periodic("portal.sentry_issues", "portal.sentry.issues.poll_new_issues", minutes=1),
    Periodic("portal.postmortem_reminders", "incidents.postmortems.remind_postmortems_due", minutes=60),
    Periodic("backups.dispatch", "backups.tasks.dispatch_due", minutes=1),
    Periodic("backups.stale", "backups.tasks.check_stale", minutes=5),
    Periodic("portal.weekly_report", "portal.dashboards.kpi_report.send_weekly_report_if_due", minutes=60),
]


def install_schedules(**kwargs):
    """Create or update one django-q2 Schedule per job, by its unique name."""
    from django.utils import timezone
    from django_q.models import Schedule

    for job in PERIODIC_JOBS:
        Schedule.objects.update_or_create(
            name=job.name,
            defaults={
                "func": job.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": job.minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
    Schedule.objects.filter(name__regex=r"^(monitors|incidents|backups|portal)\.").exclude(
        name__in=[job.name for job in PERIODIC_JOBS]
    ).delete()
