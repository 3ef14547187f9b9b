"""POST /v2/change/enqueue: the team's apps report changes (a deploy, a flag flipped) in the
shape of PagerDuty's Change Events API.

    {"routing_key": "…", "payload": {"summary": "…", "source": "…", "timestamp": "…",
     "custom_details": {…}}, "links": [{"href": "…", "text": "…"}]}

A change opens nothing. It is one info ("P3") "external" event of the app source with the
action "change": the rules route it like an info trigger, and `incidents.events` notes it on
the timeline of the source's open incidents. Reading, checking the routing key and the
limits are the events API's (`incidents.events_api`).
"""

from dataclasses import dataclass
import uuid

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsAnyone
from incidents.events import NewEvent, receive_events
from incidents.events_api import (
    EVENT_INVALID,
    LIMITS,
    Invalid,
    admitted,
    custom_details_value,
    text_value,
    timestamp_value,
)
from incidents.models import Severity

INVALID = "Change event object is invalid"
MAX_LINKS = 20
LINK_LIMITS = {"href": 2048, "text": 1024}

CHANGE_BODY = inline_serializer("ChangeEventBody", {
    "routing_key": serializers.CharField(),
    "payload": inline_serializer("ChangeEventPayload", {
        "summary": serializers.CharField(max_length=LIMITS["summary"]),
        "source": serializers.CharField(max_length=LIMITS["source"], required=False),
        "timestamp": serializers.DateTimeField(required=False),
        "custom_details": serializers.DictField(required=False),
    }),
    "links": serializers.ListField(child=inline_serializer("ChangeEventLink", {
        "href": serializers.CharField(max_length=LINK_LIMITS["href"]),
        "text": serializers.CharField(max_length=LINK_LIMITS["text"], required=False),
    }), required=False, max_length=MAX_LINKS),
})
CHANGE_ACCEPTED = inline_serializer("ChangeEventAccepted", {
    "status": serializers.CharField(), "message": serializers.CharField(),
})


@dataclass
class ChangeRequest:
    summary: str
    source: str | None
    timestamp: str | None
    custom_details: dict
    links: list


class ChangeEventsView(APIView):
    authentication_classes = []
    # The routing key in the body is the credential, as for `/api/events`.
    permission_classes = [IsAnyone]

    @extend_schema(
        request=CHANGE_BODY,
        responses={202: CHANGE_ACCEPTED, **{code: EVENT_INVALID for code in (400, 403, 413, 415, 429)}},
    )
    def post(self, request):
        try:
            body, source = admitted(request)
            change = check_change(body)
        except Invalid as exc:
            return exc.response()
        with transaction.atomic():
            receive_events([change_event(source, change)])
        reply = {"status": "success", "message": "Change event processed"}
        return Response(reply, status=status.HTTP_202_ACCEPTED)


def check_change(body):
    """Every problem of the body, one "field: why" each, or the change it reports."""
    raw = body.get("payload")
    if not isinstance(raw, dict):
        raise Invalid(["payload: required" if raw is None else "payload: must be an object"], INVALID)
    errors = []
    change = ChangeRequest(
        summary=text_value(raw, "summary", "payload.summary", errors, required=True),
        source=text_value(raw, "source", "payload.source", errors, required=False),
        timestamp=timestamp_value(raw.get("timestamp"), errors),
        custom_details=custom_details_value(raw.get("custom_details"), errors),
        links=_links(body.get("links"), errors),
    )
    if errors:
        raise Invalid(errors, INVALID)
    return change


def _links(value, errors):
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LINKS:
        errors.append(f"links: must be a list of at most {MAX_LINKS} objects")
        return []
    links = []
    for number, link in enumerate(value):
        if not isinstance(link, dict):
            errors.append(f"links[{number}]: must be an object")
            continue
        checked = {name: _link_text(link, name, f"links[{number}].{name}", errors) for name in LINK_LIMITS}
        if checked["href"]:
            links.append({name: text for name, text in checked.items() if text})
    return links


def _link_text(link, name, label, errors):
    value = link.get(name)
    if value in (None, ""):
        if name == "href":
            errors.append(f"{label}: required")
        return None
    if not isinstance(value, str) or len(value) > LINK_LIMITS[name]:
        errors.append(f"{label}: must be a string of at most {LINK_LIMITS[name]} characters")
        return None
    return value


def change_event(source, change):
    """The one external info event; its own dedup key, so it never joins an incident."""
    details = {
        "action": "change",
        "source": change.source or source.name,
        "custom_details": change.custom_details,
        "links": change.links,
    }
    if change.timestamp:
        details["timestamp"] = change.timestamp
    return NewEvent(
        kind="external",
        source_key=source.key,
        severity=Severity.P3,
        summary=change.summary,
        dedup_key=f"{source.key}:change:{uuid.uuid4().hex}",
        occurred_at=timezone.now(),
        details=details,
    )
