"""Reads other apps (and the dashboard) may call."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import ActionItem, Incident, PostMortem, Source

POSTMORTEM_LOOKBACK = timedelta(days=90)


def open_action_items():
    """Post-mortem action items not done yet, soonest due first, with their incident."""
    return (
        ActionItem.objects.filter(done=False)
        .select_related("postmortem__incident", "owner")
        .order_by("due_date", "id")
    )


def postmortem_candidates(now=None):
    """Resolved incidents of the last 90 days without a published post-mortem (which of
    them need one is the caller's rule)."""
    since = (now or timezone.now()) - POSTMORTEM_LOOKBACK
    return (
        Incident.objects.filter(status=Incident.Status.RESOLVED, opened_at__gte=since)
        .exclude(postmortem__status=PostMortem.Status.PUBLISHED)
        .order_by("-opened_at")
    )


def source_names(keys):
    """{source key: name} for these keys."""
    return dict(Source.objects.filter(key__in=set(keys)).values_list("key", "name"))


def monitor_sources():
    return Source.objects.filter(kind=Source.Kind.MONITOR).order_by("name")
