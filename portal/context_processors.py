"""What every page's frame needs: branding, the viewer's role, and the system banner."""

from django.conf import settings
from django.db.models import Count, F, Q, Window

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


BANNER_NAMES = 3


def system_banner():
    """A line naming what is down (else what is in maintenance), or None. One query, read
    only when a page shows it (signed-in pages): the first names of the group that matters,
    each row carrying its group's total."""
    rows = list(
        Monitor.objects.active()
        .filter(Q(status=Status.DOWN, in_maintenance=False) | Q(in_maintenance=True))
        .annotate(total=Window(Count("pk"), partition_by=[F("in_maintenance")]))
        .order_by("in_maintenance", "name")
        .values_list("name", "in_maintenance", "total")[:BANNER_NAMES]
    )
    if not rows:
        return None
    held = rows[0][1]
    names = [name for name, in_maintenance, _ in rows if in_maintenance == held]
    if held:
        return {"kind": "maintenance", "text": affected_text(rows[0][2], names, "in maintenance")}
    return {"kind": "down", "text": affected_text(rows[0][2], names, "down")}


def affected_text(count, names, state):
    """'2 monitors are down: api, web.' or, past the names shown, '… api, db, web and 4 more.'"""
    noun = "monitor is" if count == 1 else "monitors are"
    listed = ", ".join(names)
    if count > len(names):
        listed += f" and {count - len(names)} more"
    return f"{count} {noun} {state}: {listed}."
