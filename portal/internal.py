"""The internal status page for Staff, Engineers and super admins."""

from django.shortcuts import render

from core.permissions import role_required
from core.roles import Role


@role_required(Role.STAFF)
def internal_status(request):
    return render(request, "status/internal.html", {})
