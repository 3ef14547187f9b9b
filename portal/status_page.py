"""The public status page (to be filled by the status-page work)."""

from django.shortcuts import render

from core.permissions import public


@public
def public_status(request):
    return render(request, "status/public.html", {})
