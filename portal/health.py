"""/health: is Vigil itself working? For load balancers and outside monitors.

Only the parts every instance needs (the database, the background jobs) decide the
HTTP code; notifications can only make the body "degraded". A failing Slack webhook is
not a reason for a load balancer to take every instance out.
"""

from datetime import timedelta

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.permissions import public
from incidents.models import Channel, Notification
from monitors.models import RunnerLease

STARTED_AT = timezone.now()
DISPATCHER_SILENCE = timedelta(minutes=2)
NOTIFICATION_OVERDUE = timedelta(minutes=5)


def last_dispatch():
    """When a check runner last renewed its lease; raises DatabaseError if the database is down."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return RunnerLease.objects.order_by("-renewed_at").values_list("renewed_at", flat=True).first()


def notifications_state(now):
    """"failing" if an enabled channel is failing, "backlog" if a due notification waits
    more than five minutes (nobody delivers), else "ok". Two indexed queries."""
    if Channel.objects.filter(enabled=True, failing=True).exists():
        return "failing"
    overdue = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lt=now - NOTIFICATION_OVERDUE
    )
    return "backlog" if overdue.exists() else "ok"


@public
@never_cache
@require_GET
def health(request):
    """Public on purpose: it says whether parts work, never how they are configured."""
    now = timezone.now()
    try:
        last = last_dispatch()
    except DatabaseError:
        services = {"database": "down", "backgroundJobs": "unknown", "notifications": "unknown"}
    else:
        recent = last is not None and now - last <= DISPATCHER_SILENCE
        services = {
            "database": "ok",
            "backgroundJobs": "ok" if recent else "stalled",
            "notifications": notifications_state(now),
        }
    serving = services["database"] == "ok" and services["backgroundJobs"] == "ok"
    healthy = serving and services["notifications"] == "ok"
    body = {
        "status": "ok" if healthy else "degraded",
        "services": services,
        "timestamp": now.isoformat(),
        "uptime": round((now - STARTED_AT).total_seconds()),
    }
    return JsonResponse(body, status=200 if serving else 503)
