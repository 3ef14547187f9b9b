"""When a post-mortem is expected: every P0 and P1, and any incident that used more than
20% of its monitor's 30-day error budget. Here because it reads monitors and incidents
(incidents never imports monitors); the incident pages receive it from portal.urls."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Severity
from incidents.selectors import postmortem_candidates
from incidents.updates import postmortem_remind

ALWAYS = (Severity.P0, Severity.P1)
BUDGET_SHARE = 0.2
BUDGET_WINDOW = timedelta(days=30)


def error_budgets(source_keys):
    """{monitor source key: its 30-day error budget as a duration}, for monitors with an objective."""
    from monitors.models import Monitor

    ids = [int(key.split(":", 1)[1]) for key in source_keys if key.startswith("monitor:") and key[8:].isdigit()]
    rows = Monitor.objects.filter(pk__in=ids, slo_target__isnull=False).values_list("pk", "slo_target")
    return {f"monitor:{pk}": BUDGET_WINDOW * (1 - float(target) / 100) for pk, target in rows}


def postmortem_expected(incidents, now=None):
    """The incidents among these that need a post-mortem."""
    now = now or timezone.now()
    incidents = list(incidents)
    budgets = error_budgets({incident.source_key for incident in incidents})
    return [incident for incident in incidents if incident.severity in ALWAYS or _used(incident, budgets, now)]


def _used(incident, budgets, now):
    budget = budgets.get(incident.source_key)
    return budget is not None and (incident.resolved_at or now) - incident.opened_at > BUDGET_SHARE * budget


def postmortems_due(now=None):
    """Resolved incidents expected to have a post-mortem that lack a published one."""
    return postmortem_expected(postmortem_candidates(now), now)


def remind_postmortems_due():
    """django-q2 entry point: a daily reminder per incident until its post-mortem is published."""
    return postmortem_remind(postmortems_due())
