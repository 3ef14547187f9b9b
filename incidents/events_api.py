"""POST /api/events: the team's apps report events in the shape of PagerDuty's Events API v2.

    {"routing_key": "…", "event_action": "trigger" | "acknowledge" | "resolve",
     "dedup_key": "…", "payload": {"summary": "…", "source": "…",
     "severity": "critical" | "error" | "warning" | "info", "timestamp": "…",
     "component": "…", "group": "…", "class": "…", "custom_details": {…}}}

The routing key is the credential (no session, so no CSRF). A valid event is handed to
`incidents.events.receive_events` as one "external" event, which routes it by the rules.
The event happens when the server receives it: an app's clock may be wrong, and an old
timestamp would escalate at once (a future one give negative durations), so the app's
`timestamp` is only kept in the details.
"""

from dataclasses import dataclass, field
import json
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsAnyone
from incidents.events import NewEvent, receive_events
from incidents.models import Severity, Source

MAX_BODY_BYTES = 512 * 1024  # PagerDuty's own limit
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = {"critical": Severity.P0, "error": Severity.P1, "warning": Severity.P2, "info": Severity.P3}
DONE = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
LIMITS = {"dedup_key": 255, "summary": 1024, "source": 255, "component": 255, "group": 255, "class": 255}


class Invalid(Exception):
    def __init__(self, errors, message="Event object is invalid", code=status.HTTP_400_BAD_REQUEST):
        self.errors = errors
        self.message = message
        self.code = code
        super().__init__(message)


@dataclass
class EventRequest:
    """A checked request body (the routing key apart)."""

    action: str
    dedup_key: str  # the app's own, "" when a trigger gave none
    payload: dict = field(default_factory=dict)


# The OpenAPI schema's description of the body and answers (`check_event` is what checks).
def _text_field(name, **kwargs):
    return serializers.CharField(max_length=LIMITS[name], **kwargs)


EVENT_PAYLOAD = inline_serializer("EventPayload", {
    "summary": _text_field("summary"),
    "source": _text_field("source"),
    "severity": serializers.ChoiceField(choices=list(SEVERITIES)),
    "timestamp": serializers.DateTimeField(required=False),
    **{name: _text_field(name, required=False) for name in ("component", "group", "class")},
    "custom_details": serializers.DictField(required=False),
}, required=False, help_text="Required to trigger.")
EVENT_BODY = inline_serializer("EventBody", {
    "routing_key": serializers.CharField(),
    "event_action": serializers.ChoiceField(choices=ACTIONS),
    "dedup_key": _text_field("dedup_key", required=False, help_text="Required to acknowledge or resolve."),
    "payload": EVENT_PAYLOAD,
})
EVENT_ACCEPTED = inline_serializer("EventAccepted", {
    "status": serializers.CharField(), "message": serializers.CharField(), "dedup_key": serializers.CharField(),
})
EVENT_INVALID = inline_serializer("EventInvalid", {
    "status": serializers.CharField(), "message": serializers.CharField(),
    "errors": serializers.ListField(child=serializers.CharField()),
})


class EventsView(APIView):
    authentication_classes = []
    # The routing key in the body is the credential (checked below), as in PagerDuty.
    permission_classes = [IsAnyone]

    @extend_schema(
        request=EVENT_BODY,
        responses={202: EVENT_ACCEPTED, **{code: EVENT_INVALID for code in (400, 403, 413, 415)}},
    )
    def post(self, request):
        try:
            body = read_body(request)
            source = source_for(body)
            event = check_event(body)
        except Invalid as exc:
            reply = {"status": "invalid event", "message": exc.message, "errors": exc.errors}
            return Response(reply, status=exc.code)
        dedup_key = event.dedup_key or uuid.uuid4().hex
        with transaction.atomic():
            receive_events([new_event(source, event, dedup_key)])
        reply = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        return Response(reply, status=status.HTTP_202_ACCEPTED)


def read_body(request):
    """The JSON object sent, read only when it is small enough."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        too_large = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        raise Invalid([], f"the body is larger than {MAX_BODY_BYTES // 1024} KB", too_large)
    if request.content_type != "application/json":
        raise Invalid([], "send JSON (Content-Type: application/json)", status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Invalid(["body: not valid JSON"]) from None
    if not isinstance(body, dict):
        raise Invalid(["body: must be a JSON object"])
    return body


def source_for(body):
    """The app source owning the routing key: a missing key is a bad request, a wrong one forbidden."""
    key = body.get("routing_key")
    if key in (None, ""):
        raise Invalid(["routing_key: required"])
    if not isinstance(key, str):
        raise Invalid(["routing_key: must be a string"])
    source = Source.objects.filter(kind=Source.Kind.APP, routing_key=key).first()
    if source is None:
        raise Invalid(["routing_key: unknown"], "Unknown routing key", status.HTTP_403_FORBIDDEN)
    return source


def check_event(body):
    """Every problem of the body, one "field: why" each, or the event it asks for."""
    errors = []
    action = body.get("event_action")
    if action in (None, ""):
        errors.append("event_action: required")
    elif action not in ACTIONS:
        errors.append(f"event_action: must be one of {', '.join(ACTIONS)}")
    dedup_key = _text(body, "dedup_key", "dedup_key", errors, required=action in ("acknowledge", "resolve"))
    payload = _payload(body, errors, required=action == "trigger" or action not in ACTIONS)
    if errors:
        raise Invalid(errors)
    return EventRequest(action, dedup_key or "", payload)


def _payload(body, errors, *, required):
    raw = body.get("payload")
    if raw is None:
        if required:
            errors.append("payload: required")
        return {}
    if not isinstance(raw, dict):
        errors.append("payload: must be an object")
        return {}
    payload = {name: _text(raw, name, f"payload.{name}", errors, required=required) for name in ("summary", "source")}
    severity = raw.get("severity")
    if severity is None and required:
        errors.append("payload.severity: required")
    elif severity is not None and severity not in SEVERITIES:
        errors.append(f"payload.severity: must be one of {', '.join(SEVERITIES)}")
    payload["severity"] = severity
    for name in ("component", "group", "class"):
        payload[name] = _text(raw, name, f"payload.{name}", errors, required=False)
    payload["custom_details"] = _custom_details(raw.get("custom_details"), errors)
    payload["timestamp"] = _timestamp(raw.get("timestamp"), errors)
    return payload


def _text(raw, name, label, errors, *, required):
    value = raw.get(name)
    if value in (None, ""):
        if required:
            errors.append(f"{label}: required")
        return None
    if not isinstance(value, str):
        errors.append(f"{label}: must be a string")
        return None
    if len(value) > LIMITS[name]:
        errors.append(f"{label}: must be at most {LIMITS[name]} characters")
        return None
    return value


def _custom_details(value, errors):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append("payload.custom_details: must be an object")
        return {}
    return value


def _timestamp(value, errors):
    """The app's timestamp, as given, once it parses."""
    if value is None:
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        errors.append("payload.timestamp: must be an ISO 8601 date and time")
        return None
    return value


def new_event(source, event, dedup_key):
    """The one external event; acknowledge and resolve may come without a payload."""
    payload = event.payload
    details = {
        "action": event.action,
        "source": payload.get("source") or source.name,
        "custom_details": payload.get("custom_details", {}),
        "dedup_key": dedup_key,
    }
    details.update({name: payload[name] for name in ("component", "group", "class", "timestamp") if payload.get(name)})
    return NewEvent(
        kind="external",
        source_key=source.key,
        severity=SEVERITIES.get(payload.get("severity"), ""),
        summary=payload.get("summary") or f"{source.name}: {DONE[event.action]}",
        dedup_key=f"{source.key}:{dedup_key}",
        occurred_at=timezone.now(),
        details=details,
    )
