"""Email through Django's mail backend (settings from EMAIL_URL): one mail per delivery.

SMTP 5xx answers (recipients refused included) are permanent; 4xx answers and
connection failures pass. A send has a total deadline of NOTIFY_TIMEOUT, like the HTTP
senders: per-socket timeouts alone let a server that answers slowly hold a send past the
channel's lease, and then another cluster sends the same rows again.
"""

import smtplib
from contextlib import suppress
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.utils.module_loading import import_string

from core import net
from core.mail import EmailMessage
from incidents.channels import DeliveryError, Sent, render
from incidents.channels.email.settings import recipients_list

SUBJECT_LIMIT = 200


def send(channel, message):
    mail = EmailMessage(
        subject=render.cut(f"[Vigil] {message.title}", SUBJECT_LIMIT),
        body=render.plain_text(message),
        to=recipients_list(channel.settings["recipients"]),
    )
    with net.Deadline(settings.NOTIFY_TIMEOUT) as deadline:
        connection = _connection(deadline)
        try:
            connection.send_messages([mail])
        except (smtplib.SMTPException, OSError) as exc:
            raise _delivery_error(exc, deadline) from None
        finally:
            with suppress(smtplib.SMTPException, OSError):
                connection.close()  # the mail is accepted (or not) by now; QUIT changes nothing
    return Sent(250)


def _connection(deadline):
    """Django's SMTP backend with its socket watched by `deadline`; any other backend as is."""
    if import_string(settings.EMAIL_BACKEND) is SMTPBackend:
        return _DeadlineBackend(deadline=deadline)
    return get_connection()


class _DeadlineBackend(SMTPBackend):
    def __init__(self, *, deadline, **kwargs):
        self.deadline = deadline
        super().__init__(timeout=deadline.left(), **kwargs)

    @property
    def connection_class(self):
        return partial(_WatchedSMTPSSL if self.use_ssl else _WatchedSMTP, deadline=self.deadline)


class _WatchedSMTP(smtplib.SMTP):
    """The deadline watches the socket from the moment it connects: the greeting, STARTTLS
    and AUTH are bounded too, not only what follows Django's open()."""

    def __init__(self, *args, deadline, **kwargs):
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        self.deadline.watch(sock)
        return sock


class _WatchedSMTPSSL(smtplib.SMTP_SSL, _WatchedSMTP):
    """SMTP_SSL wraps the socket _WatchedSMTP watched, so the TLS handshake is bounded too."""


def _delivery_error(exc, deadline):
    """Answers the server gave count as such even at the last moment (smtplib raises them
    only for a reply it read); any other failure after the deadline is the timeout."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return DeliveryError(
            f"the mail server refused every recipient ({', '.join(map(str, codes))})",
            permanent=all(code >= 500 for code in codes),
            code=codes[0] if codes else None,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return DeliveryError(
            f"the mail server answered {exc.smtp_code}: {render.cut(text, 120)}",
            permanent=exc.smtp_code >= 500,
            code=exc.smtp_code,
        )
    if deadline.expired:
        return DeliveryError(deadline.detail, permanent=False)
    return DeliveryError(f"could not send mail: {_describe(exc)}", permanent=False)


def _describe(exc):
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return render.cut(str(exc) or type(exc).__name__, 120)
