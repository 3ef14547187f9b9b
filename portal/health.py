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


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def dispatcher_ran_recently(now):
    last = RunnerLease.objects.order_by("-renewed_at").values_list("renewed_at", flat=True).first()
    return last is not None and now - last <= DISPATCHER_SILENCE


@never_cache
@require_GET
def health(request):
    """Public on purpose: it says whether parts work, never how they are configured."""
    now = timezone.now()
    services = {"database": "ok" if database_ok() else "down"}
    if services["database"] == "ok":
        services["backgroundJobs"] = "ok" if dispatcher_ran_recently(now) else "stalled"
    else:
        services["backgroundJobs"] = "unknown"
    healthy = all(state == "ok" for state in services.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "services": services,
        "timestamp": now.isoformat(),
        "uptime": round((now - STARTED_AT).total_seconds()),
    }
    return JsonResponse(body, status=200 if healthy else 503)
