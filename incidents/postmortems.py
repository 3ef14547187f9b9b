"""When a post-mortem is expected: every P0 and P1, and any incident that used more than
20% of its source's 30-day error budget. Incidents never imports monitors: an app whose
sources have error budgets registers a lookup here (monitors does, in its AppConfig.ready)."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Severity
from incidents.selectors import postmortem_candidates
from incidents.updates import postmortem_remind

ALWAYS = (Severity.P0, Severity.P1)
BUDGET_SHARE = 0.2
BUDGET_WINDOW = timedelta(days=30)


_error_budget_lookups = []


def register_error_budgets(lookup):
    """`lookup(source_keys)` answers {source key: its 30-day error budget as a duration} for
    the sources it knows that have an objective."""
    if lookup not in _error_budget_lookups:
        _error_budget_lookups.append(lookup)


def error_budgets(source_keys):
    """{source key: its 30-day error budget as a duration}, from every registered lookup."""
    budgets = {}
    for lookup in _error_budget_lookups:
        budgets.update(lookup(source_keys))
    return budgets


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
