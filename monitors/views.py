"""Ping URLs for heartbeat monitors: fast, public, never a 500, and limited per check and per
client address (PING_RATE_PER_CHECK, PING_RATE_PER_IP: 429 with Retry-After)."""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.client_ip import client_ip
from core.permissions import by_link
from core.rate_limits import wait_seconds
from monitors.services import Ping, heartbeat_ping

log = logging.getLogger(__name__)


@by_link
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ping(request, ping_uuid, kind="success"):
    """Anyone holding the UUID may ping: the UUID is the credential, as in Healthchecks."""
    wait = ping_wait(request, ping_uuid)
    if wait is not None:
        return HttpResponse(f"too many pings, retry in {wait} s\n", status=429, content_type="text/plain",
                            headers={"Retry-After": str(wait)})
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


def ping_wait(request, ping_uuid):
    """None while the check and the client address are within their limits, else the seconds
    to wait. Counted whether or not the UUID is a check's, so guessing costs the same."""
    by_address = wait_seconds("ping-ip", client_ip(request), settings.PING_RATE_PER_IP)
    by_check = wait_seconds("ping-check", ping_uuid, settings.PING_RATE_PER_CHECK)
    waits = [wait for wait in (by_address, by_check) if wait is not None]
    return max(waits) if waits else None
