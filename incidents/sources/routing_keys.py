"""The team's apps as event sources: each owns a routing key for `POST /api/events`."""

import json
import secrets
import shlex

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from incidents.models import Source

# The key stays short, so "<key>:<the app's dedup_key (≤ 255)>" fits Event.dedup_key.
SLUG_LENGTH = 40


def new_routing_key():
    return secrets.token_hex(16)


def event_source_create(*, name, tags=()):
    """An app source "app:<slugified name>" with a new routing key.

    Raises ValidationError (one message) for a bad name or tag, or a name already taken.
    """
    name, key, tags = event_source_check(name=name, tags=tags)
    try:
        with transaction.atomic():
            return Source.objects.create(
                key=key, kind=Source.Kind.APP, name=name, tags=tags, routing_key=new_routing_key()
            )
    except IntegrityError:
        raise ValidationError(f'an event source named "{name}" already exists ({key})') from None


def event_source_check(*, name, tags=()):
    """The cleaned name, the key it gives and the tags, or ValidationError saying what is wrong."""
    name = (name or "").strip()
    slug = slugify(name)[:SLUG_LENGTH].strip("-")
    if not slug:
        raise ValidationError("the name needs at least one letter or digit")
    if len(name) > Source._meta.get_field("name").max_length:
        raise ValidationError("the name is too long (at most 200 characters)")
    key = f"app:{slug}"
    if Source.objects.filter(Q(kind=Source.Kind.APP, name=name) | Q(key=key)).exists():
        raise ValidationError(f'an event source named "{name}" already exists ({key})')
    return name, key, event_source_tags(tags)


def event_source_regenerate_key(source):
    """A new routing key; the old one stops working at once."""
    if source.kind != Source.Kind.APP:
        raise ValidationError("only app sources have routing keys")
    source.routing_key = new_routing_key()
    source.save(update_fields=["routing_key"])
    return source


def event_source_curl(source, *, event_action="trigger"):
    """A command line that sends a test event with the source's key (for people setting up)."""
    body = {
        "routing_key": source.routing_key,
        "event_action": event_action,
        "payload": {"summary": "Test event from curl", "source": source.name, "severity": "info"},
    }
    return (
        f"curl -X POST {settings.VIGIL_BASE_URL}/api/events -H 'Content-Type: application/json'"
        f" -d {shlex.quote(json.dumps(body))}"
    )


def event_source_tags(tags):
    """Tags are slugs, like monitors' tags, so one rule's `tags` can match either."""
    for tag in tags:
        try:
            validate_slug(tag)
        except ValidationError:
            raise ValidationError(f"tag {tag!r} must be letters, digits, hyphens or underscores") from None
    return sorted(set(tags))
