"""Sources register here: monitors and backup sources keep a Source row under a stable key,
so rules name the row and follow renames without incidents importing those apps. The
team's apps, sources with routing keys of their own: routing_keys.py."""

import logging

from django.db import transaction

from incidents.lifecycle import incident_resolve
from incidents.models import AlertRule, Incident, Source

log = logging.getLogger(__name__)


def source_upsert(*, key, kind, name, tags):
    """Create or update the source with this key (its name and tags follow the thing it is)."""
    source, _ = Source.objects.update_or_create(
        key=key, defaults={"kind": kind, "name": name, "tags": sorted(set(tags))}
    )
    return source


@transaction.atomic
def source_forget(*, key):
    """Delete the source and resolve its open incidents. A rule that named only this source
    (and no tags) is disabled: with no sources left it would otherwise match every source."""
    source = Source.objects.filter(key=key).first()
    _resolve_open_incidents(key, f"{source.name} ({key})" if source else key)
    if source is None:
        return
    orphaned = [rule.pk for rule in source.rules.prefetch_related("sources") if _only_source(rule, source)]
    source.delete()
    if orphaned:
        AlertRule.objects.filter(pk__in=orphaned).update(enabled=False)
        log.warning("Disabled %d alert rule(s) whose only source %s was deleted", len(orphaned), key)


def _resolve_open_incidents(key, label):
    """Nothing will ever report the recovery of a deleted source, so its open incidents would
    escalate and remind for ever. They are resolved quietly: the deletion is not news."""
    note = f"{label} was deleted, so no recovery can come"
    for incident in Incident.objects.filter(source_key=key).exclude(status=Incident.Status.RESOLVED):
        incident_resolve(incident, via="source deleted", note=note)


def _only_source(rule, source):
    return not rule.tags and [s.pk for s in rule.sources.all()] == [source.pk]
