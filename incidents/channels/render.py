"""Words shared by every sender: the facts of a notification, its links, plain text."""

from core.durations import human_duration

MAX_LISTED = 20
TEXT_LIMIT = 2000


def facts(payload):
    """(label, value) pairs worth showing, empty ones left out."""
    duration = payload.get("duration_seconds")
    pairs = [
        ("Severity", payload.get("severity") or ""),
        ("Source", payload.get("source") or ""),
        ("Status", payload.get("status") or ""),
        ("Duration", human_duration(duration) if duration is not None else ""),
    ]
    return [(label, str(value)) for label, value in pairs if value]


def links(payload):
    pairs = [
        (f"Incident {payload.get('incident') or ''}".strip(), payload.get("incident_url")),
        ("Acknowledge", payload.get("ack_url")),
        ("Post-mortem", payload.get("postmortem_url")),
        ("Runbook", payload.get("runbook_url")),
    ]
    return [(label, url) for label, url in pairs if url]


def cut(text, limit):
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def listed(message):
    """The payloads written out in full, and how many more are only counted."""
    return message.payloads[:MAX_LISTED], max(0, len(message.payloads) - MAX_LISTED)


def plain_text(message):
    """The message as plain text (email body, Slack's notification fallback)."""
    shown, more = listed(message)
    blocks = [_payload_text(payload) for payload in shown]
    if more:
        blocks.append(f"and {more} more")
    heading = message.title if (message.summary or len(message.payloads) > 1) else None
    return "\n\n".join(([heading, "=" * len(heading)] if heading else []) + blocks) + "\n"


def _payload_text(payload):
    lines = [payload.get("title") or ""]
    lines += [f"{label}: {value}" for label, value in facts(payload)]
    if payload.get("text"):
        lines.append(cut(payload["text"], TEXT_LIMIT))
    lines += [f"{label}: {url}" for label, url in links(payload)]
    return "\n".join(lines)
