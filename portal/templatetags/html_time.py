"""`{{ moment|html_datetime }}`: the value of a `<time datetime>` attribute.

Django's `date:"c"` keeps microseconds, which HTML's grammar for dates and times (at most
three digits of a second's fraction) refuses; the validator reports every such element."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def html_datetime(value):
    """An aware moment in the current time zone, to the second, with its offset; a date as
    YYYY-MM-DD; nothing as ""."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat(timespec="seconds")
