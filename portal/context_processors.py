"""What every page's frame needs: branding, the viewer's role, and the system banner."""

from django.conf import settings
from django.db.models import Count, Q

from core.roles import Role, role_of
from monitors.models import Monitor, Status


def vigil(request):
    return {
        "branding": settings.BRANDING,
        "role": role_of(request.user),
        # A mapping, not the enum: templates call what is callable, and an Enum class is.
        "roles": {role.name: role for role in Role},
        "system_banner": lambda: system_banner(),
    }


def system_banner():
    """A line while anything is down or in maintenance, else None. One query, read only when
    a page shows it (signed-in pages)."""
    counts = Monitor.objects.active().aggregate(
        down=Count("pk", filter=Q(status=Status.DOWN, in_maintenance=False)),
        maintenance=Count("pk", filter=Q(in_maintenance=True)),
    )
    if counts["down"]:
        noun = "monitor is" if counts["down"] == 1 else "monitors are"
        return {"kind": "down", "text": f"{counts['down']} {noun} down."}
    if counts["maintenance"]:
        noun = "monitor is" if counts["maintenance"] == 1 else "monitors are"
        return {"kind": "maintenance", "text": f"{counts['maintenance']} {noun} in maintenance."}
    return None
