"""The super admins' monitoring dashboard."""

from django.shortcuts import render

from core.permissions import role_required
from core.roles import Role


@role_required(Role.SUPER_ADMIN)
def dashboard(request):
    return render(request, "dashboard/monitoring.html", {})
