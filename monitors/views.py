"""Ping URLs for heartbeat monitors: fast, public, and never a 500."""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.permissions import by_link
from monitors.services import Ping, heartbeat_ping

log = logging.getLogger(__name__)


@by_link
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ping(request, ping_uuid, kind="success"):
    """Anyone holding the UUID may ping: the UUID is the credential, as in Healthchecks."""
    # PostgreSQL text columns cannot hold NUL, and a job's output may contain one.
    body = request.read(settings.PING_BODY_LIMIT).decode("utf-8", errors="replace").replace("\x00", "")
    try:
        found = heartbeat_ping(ping_uuid, Ping(kind=kind, body=body))
    except DatabaseError:
        log.exception("ping not recorded")
        return HttpResponse("not recorded, try again\n", status=503, content_type="text/plain")
    if not found:
        return HttpResponse("not found\n", status=404, content_type="text/plain")
    return HttpResponse("OK\n", content_type="text/plain")
