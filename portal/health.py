"""/health: is Vigil itself working? For load balancers and outside monitors."""

from datetime import timedelta

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from monitors.models import RunnerLease

STARTED_AT = timezone.now()
DISPATCHER_SILENCE = timedelta(minutes=2)


def last_dispatch():
    """When a check runner last renewed its lease; raises DatabaseError if the database is down."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return RunnerLease.objects.order_by("-renewed_at").values_list("renewed_at", flat=True).first()


@never_cache
@require_GET
def health(request):
    """Public on purpose: it says whether parts work, never how they are configured."""
    now = timezone.now()
    try:
        last = last_dispatch()
    except DatabaseError:
        services = {"database": "down", "backgroundJobs": "unknown"}
    else:
        recent = last is not None and now - last <= DISPATCHER_SILENCE
        services = {"database": "ok", "backgroundJobs": "ok" if recent else "stalled"}
    healthy = all(state == "ok" for state in services.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "services": services,
        "timestamp": now.isoformat(),
        "uptime": round((now - STARTED_AT).total_seconds()),
    }
    return JsonResponse(body, status=200 if healthy else 503)
