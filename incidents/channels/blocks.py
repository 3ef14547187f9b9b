"""Slack's Block Kit: one message per delivery, for the incoming-webhook and bot kinds."""

import json

from incidents.channels import render

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000


def encode(message, **extra):
    body = {"text": render.cut(render.plain_text(message), SECTION_LIMIT), "blocks": blocks(message), **extra}
    return json.dumps(body).encode()


def blocks(message):
    header = {"type": "header", "text": {"type": "plain_text", "text": render.cut(message.title, HEADER_LIMIT)}}
    if len(message.payloads) == 1 and not message.summary:
        return [header, *_one(message.payloads[0])]
    shown, more = render.listed(message)
    sections = [_section(_summary_line(payload)) for payload in shown]
    if more:
        sections.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {more} more"}]})
    return [header, *sections]


def _one(payload):
    out = []
    fields = [_mrkdwn(f"*{label}*\n{escape(value)}", FIELD_LIMIT) for label, value in render.facts(payload)]
    if fields:
        out.append({"type": "section", "fields": fields})
    if payload.get("text"):
        out.append(_section(escape(payload["text"])))
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
        for label, url in render.links(payload)
    ]
    if buttons:
        out.append({"type": "actions", "elements": buttons})
    return out


def _summary_line(payload):
    line = f"*{escape(payload.get('title') or '')}*"
    facts = " · ".join(escape(value) for _, value in render.facts(payload))
    links = " · ".join(f"<{url}|{escape(label)}>" for label, url in render.links(payload))
    return "\n".join(part for part in (line, facts, links) if part)


def _section(text):
    return {"type": "section", "text": _mrkdwn(text, SECTION_LIMIT)}


def _mrkdwn(text, limit):
    return {"type": "mrkdwn", "text": render.cut(text, limit)}


def escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
