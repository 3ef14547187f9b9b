"""The super admins' "Send a test error to Sentry" button: proves that Vigil's own errors
reach Sentry (SENTRY_DSN) without waiting for a real one."""

import uuid

import sentry_sdk
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.permissions import role_required
from core.roles import Role

FLUSH_SECONDS = 5


class SentryTestError(Exception):
    """Raised on purpose by the test-error button."""


@role_required(Role.SUPER_ADMIN)
@require_POST
def send_test_error(request):
    if not sentry_sdk.get_client().is_active():
        messages.warning(request, "Sentry is off: set SENTRY_DSN to send Vigil's own errors to Sentry.")
    else:
        event_id = capture_test_error()
        messages.success(request, f"Test error sent to Sentry as event {event_id}.")
    return redirect(_back(request))


def capture_test_error():
    """Raise, capture and send one SentryTestError with a unique id; returns Sentry's event id."""
    marker = uuid.uuid4().hex
    try:
        raise SentryTestError(f"Vigil test error {marker}, sent on purpose from the dashboard")
    except SentryTestError as exc:
        event_id = sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=FLUSH_SECONDS)
    return event_id


def _back(request):
    """Where the button was pressed (a page of this site), else the dashboard."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "dashboard"
