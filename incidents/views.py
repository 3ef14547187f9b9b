"""Acknowledge from the signed link in a message. The link is the credential: no login.

Link unfurlers and mail scanners fetch links, so a GET only shows the incident and a
button; the POST (with its CSRF token) acknowledges.
"""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.permissions import by_link
from incidents.lifecycle import incident_acknowledge
from incidents.links import incident_pk_from_token
from incidents.models import Incident

BAD_LINK = (
    "This acknowledgement link is not valid: it may be mangled or expired (links last 7 days), "
    "or its incident was deleted."
)


@by_link
@require_http_methods(["GET", "POST"])
def acknowledge(request, token):
    pk = incident_pk_from_token(token)
    incident = Incident.objects.filter(pk=pk).first() if pk is not None else None
    if incident is None:
        return render(request, "incidents/acknowledge.html", {"problem": BAD_LINK}, status=400 if pk is None else 404)
    done = None
    if request.method == "POST":
        done = incident_acknowledge(incident, via="link")
    return render(request, "incidents/acknowledge.html", {"incident": incident, "done": done})
