"""Absolute links put in messages: the incident's page, its post-mortem form and a signed
acknowledgement link. Every one lands on a page its reader can act on (signing in first if
needed), never on the admin.

The acknowledgement link is its own credential (no login), so it is signed, salted and
expires; it names only the incident.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

ACK_SALT = "incidents.acknowledge"
ACK_MAX_AGE = timedelta(days=7)


def incident_url(incident):
    return settings.VIGIL_BASE_URL + incident.get_absolute_url()


def postmortem_url(incident):
    return settings.VIGIL_BASE_URL + reverse("incidents-postmortem", args=[incident.ref])


def ack_token(incident):
    return signing.dumps({"incident": incident.pk}, salt=ACK_SALT)


def ack_url(incident):
    return settings.VIGIL_BASE_URL + reverse("incident-ack-link", args=[ack_token(incident)])


def incident_pk_from_token(token):
    """The incident's pk, or None for a token that is forged, mangled or expired."""
    try:
        return signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)["incident"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
