"""POST /api/events: the team's apps report events in the shape of PagerDuty's Events API v2.

    {"routing_key": "…", "event_action": "trigger" | "acknowledge" | "resolve",
     "dedup_key": "…", "payload": {"summary": "…", "source": "…",
     "severity": "critical" | "error" | "warning" | "info", "timestamp": "…",
     "component": "…", "group": "…", "class": "…", "custom_details": {…}}}

The same view answers `POST /v2/enqueue`, where PagerDuty's own clients post (their base
URL set to Vigil's). The routing key is the credential (no session, so no CSRF). Requests
are limited per client address before the body is read and per routing key after it
(EVENTS_RATE_PER_IP, EVENTS_RATE_PER_KEY: 429 with Retry-After). A valid event is handed to
`incidents.events.receive_events` as one "external" event, which routes it by the rules.
The event happens when the server receives it: an app's clock may be wrong, and an old
timestamp would escalate at once (a future one give negative durations), so the app's
`timestamp` is only kept in the details.
"""

from dataclasses import dataclass, field
import json
import re
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.client_ip import client_ip
from core.permissions import IsAnyone
from core.rate_limits import wait_seconds
from incidents.event_kinds import ACKNOWLEDGE, CHANGE, NOTICE, PROBLEM, RECOVERY, EventKind
from incidents.events import NewEvent, receive_events
from incidents.models import Severity, Source

MAX_BODY_BYTES = 512 * 1024  # PagerDuty's own limit
MAX_DEPTH = 64  # objects and arrays within each other; deeper is refused, not a RecursionError
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = {"critical": Severity.P0, "error": Severity.P1, "warning": Severity.P2, "info": Severity.P3}
DONE = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
TIERS = {Severity.P0: "critical", Severity.P1: "warning", Severity.P2: "warning", Severity.P3: "info"}
LIMITS = {"dedup_key": 255, "summary": 1024, "source": 255, "component": 255, "group": 255, "class": 255}


def app_event_role(event):
    """An app's trigger opens an incident (an info one only tells), its acknowledge and
    resolve act on it, its change (`/v2/change/enqueue`) is noted on its source's incidents."""
    action = (event.details or {}).get("action")
    if action == "trigger":
        return NOTICE if event.severity == Severity.P3 else PROBLEM
    return {"resolve": RECOVERY, "acknowledge": ACKNOWLEDGE, "change": CHANGE}.get(action, NOTICE)


# The apps' events: tiered by the severity they come with; a resolve for no open incident
# is ignored, as PagerDuty does.
EXTERNAL = EventKind(
    "external", role=app_event_role, tier=TIERS.get,
    recovers=("external",), recovery_needs_incident=True,
)


class Invalid(Exception):
    word = "invalid event"

    def __init__(self, errors, message="Event object is invalid", code=status.HTTP_400_BAD_REQUEST):
        self.errors = errors
        self.message = message
        self.code = code
        super().__init__(message)

    def response(self):
        reply = {"status": self.word, "message": self.message, "errors": self.errors}
        return Response(reply, status=self.code, headers=self.headers())

    def headers(self):
        return {}


class Throttled(Invalid):
    """Too many events from one routing key or client address: 429, and when to come back."""

    word = "throttled"

    def __init__(self, who, wait):
        errors = [f"{who}: too many events, retry in {wait} s"]
        super().__init__(errors, "Too many events", status.HTTP_429_TOO_MANY_REQUESTS)
        self.wait = wait

    def headers(self):
        return {"Retry-After": str(self.wait)}


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
            body, source = admitted(request)
            event = check_event(body)
        except Invalid as exc:
            return exc.response()
        dedup_key = event.dedup_key or uuid.uuid4().hex
        with transaction.atomic():
            receive_events([new_event(source, event, dedup_key)])
        reply = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        return Response(reply, status=status.HTTP_202_ACCEPTED)


def admitted(request):
    """The body of a request to an events endpoint and the source its routing key names,
    within the rate limits of the sender's address and of the key (Invalid if not)."""
    limit_address(request)
    body = read_body(request)
    source = source_for(body)
    limit_key(source)
    return body, source


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
        body = json.loads(request.body, parse_constant=_not_json)
    except RecursionError:
        raise Invalid([f"body: nested deeper than {MAX_DEPTH} levels"]) from None
    except ValueError:  # UnicodeDecodeError too: bytes in no JSON encoding
        raise Invalid(["body: not valid JSON"]) from None
    if not isinstance(body, dict):
        raise Invalid(["body: must be a JSON object"])
    if _too_deep(body):
        raise Invalid([f"body: nested deeper than {MAX_DEPTH} levels"])
    return _storable(body)


def _not_json(constant):
    """NaN and Infinity are Python's extensions; PostgreSQL's jsonb refuses them."""
    raise ValueError(f"{constant} is not JSON")


def _too_deep(body):
    """Walked with a list, so no depth makes it recurse."""
    pending = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return False


def _storable(value):
    """The body with what PostgreSQL cannot store in text (NUL, unpaired surrogates) turned
    into U+FFFD, as any valid JSON string is accepted. Recursion is bounded by MAX_DEPTH."""
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, str):
        return UNSTORABLE_CHARACTERS.sub("\ufffd", value)
    return value


def limit_address(request):
    """Counted before the body is read: one client may not flood the endpoint with any keys."""
    _limit("events-ip", client_ip(request), settings.EVENTS_RATE_PER_IP, "address")


def limit_key(source):
    _limit("events-key", source.key, settings.EVENTS_RATE_PER_KEY, "routing_key")


def _limit(scope, ident, rate, who):
    wait = wait_seconds(scope, ident, rate)
    if wait is not None:
        raise Throttled(who, wait)


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
    dedup_key = text_value(body, "dedup_key", "dedup_key", errors, required=action in ("acknowledge", "resolve"))
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
    payload = {
        name: text_value(raw, name, f"payload.{name}", errors, required=required) for name in ("summary", "source")
    }
    severity = raw.get("severity")
    if severity is None and required:
        errors.append("payload.severity: required")
    elif severity is not None and severity not in SEVERITIES:
        errors.append(f"payload.severity: must be one of {', '.join(SEVERITIES)}")
    payload["severity"] = severity
    for name in ("component", "group", "class"):
        payload[name] = text_value(raw, name, f"payload.{name}", errors, required=False)
    payload["custom_details"] = custom_details_value(raw.get("custom_details"), errors)
    payload["timestamp"] = timestamp_value(raw.get("timestamp"), errors)
    return payload


def text_value(raw, name, label, errors, *, required):
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


def custom_details_value(value, errors):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append("payload.custom_details: must be an object")
        return {}
    return value


def timestamp_value(value, errors):
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
        kind=EXTERNAL.name,
        source_key=source.key,
        severity=SEVERITIES.get(payload.get("severity"), ""),
        summary=payload.get("summary") or f"{source.name}: {DONE[event.action]}",
        dedup_key=f"{source.key}:{dedup_key}",
        occurred_at=timezone.now(),
        details=details,
    )
