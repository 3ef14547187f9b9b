"""A post-mortem as Markdown, in the seed's template."""

from django.utils import timezone

from core.durations import human_duration


def incident_facts(incident, now=None):
    """ID, severity, start, end and duration, as the post-mortem template shows them."""
    end = incident.resolved_at
    seconds = ((end or now or timezone.now()) - incident.opened_at).total_seconds()
    return {
        "id": incident.ref,
        "severity": incident.get_severity_display(),
        "start": _when(incident.opened_at),
        "end": _when(end) if end else "ongoing",
        "duration": human_duration(seconds) + ("" if end else " so far"),
    }


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _block(text):
    return (text or "").strip() or "_Not filled in._"


def postmortem_markdown(postmortem):
    incident = postmortem.incident
    facts = incident_facts(incident)
    lines = [
        f"# Post-mortem: {incident.ref} {incident.title}",
        "",
        f"_Status: {postmortem.get_status_display()}_",
        "",
        "## Incident",
        "",
        f"- **Incident ID:** {facts['id']}",
        f"- **Severity:** {facts['severity']}",
        f"- **Start:** {facts['start']}",
        f"- **End:** {facts['end']}",
        f"- **Duration:** {facts['duration']}",
        "",
        "## Impact",
        "",
        f"- **Users affected:** {postmortem.users_affected or '—'}",
        f"- **Features unavailable:** {postmortem.features_unavailable or '—'}",
        f"- **Revenue impact:** {postmortem.revenue_impact or '—'}",
        "",
        "## Root cause",
        "",
        _block(postmortem.root_cause),
        "",
        "## Resolution steps",
        "",
        _block(postmortem.resolution_steps),
        "",
        "## Prevention",
        "",
        _block(postmortem.prevention),
        "",
        "## Action items",
        "",
    ]
    items = list(postmortem.action_items.select_related("owner"))
    lines += [_item(item) for item in items] or ["_None._"]
    return "\n".join(lines) + "\n"


def _item(item):
    due = f", due {item.due_date:%Y-%m-%d}" if item.due_date else ""
    owner = f" ({item.owner_label}{due})" if item.owner_label or due else ""
    return f"- [{'x' if item.done else ' '}] {item.description}{owner}"
