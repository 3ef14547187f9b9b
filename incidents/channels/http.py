"""POST through core.net with the channel policy: a total deadline, a cap on what is read,
no redirects followed, and errors that never carry the URL."""

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone

from core import net
from incidents.channels import DeliveryError

USER_AGENT = "Vigil/0.1 (+notifications)"
READ_CAP = 64 * 1024
RETRY_AFTER_CAP = 3600
# A response body is quoted in errors only when it is a short error code ("no_team"):
# anything longer could echo the request's URL, which is a secret.
ERROR_CODE = re.compile(r"^[a-z0-9_.\-]{1,60}$")


@dataclass(frozen=True)
class Reply:
    code: int
    headers: dict
    body: bytes

    def error_code(self):
        text = self.body.decode("utf-8", errors="replace").strip()
        return text if ERROR_CODE.match(text) else ""


def post(url, *, body, headers):
    """POST `body` to `url` within settings.NOTIFY_TIMEOUT; DeliveryError if it cannot be sent."""
    headers = {"User-Agent": USER_AGENT, "Connection": "close", **headers}
    policy = net.channel_blocked_reason
    with net.Deadline(settings.NOTIFY_TIMEOUT) as deadline, net.http_session(
        deadline, verify=True, policy=policy
    ) as session:
        try:
            left = deadline.left()
            response = session.post(url, data=body, headers=headers, timeout=(left, left), stream=True)
            with response:
                content = net.read_capped(response, READ_CAP)
        except (requests.RequestException, OSError, ValueError) as exc:
            raise _connection_error(exc, deadline) from None
        if deadline.fired:
            raise DeliveryError(deadline.detail, permanent=False)
    return Reply(response.status_code, dict(response.headers), content)


def _connection_error(exc, deadline):
    detail = net.describe_error(exc, deadline)
    permanent = detail == "invalid URL" or any(isinstance(cause, net.BlockedAddress) for cause in _chain(exc))
    return DeliveryError(detail, permanent=permanent)


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "reason", None)


def raise_for_status(reply, *, what="the server"):
    """Nothing for 2xx; else DeliveryError: 408, 425, 429 and 5xx may pass, others will not."""
    code = reply.code
    if 200 <= code < 300:
        return
    transient = code in (408, 425, 429) or code >= 500
    detail = f"{what} answered {code}"
    if 300 <= code < 400:
        detail += " (a redirect; redirects are not followed)"
    elif reply.error_code():
        detail += f" ({reply.error_code()})"
    raise DeliveryError(detail, permanent=not transient, code=code, retry_after=retry_after(reply.headers))


def retry_after(headers):
    """Seconds from a Retry-After header (seconds or an HTTP date), capped; None if absent or bad."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0), RETRY_AFTER_CAP)
