"""Email through Django's mail backend (settings from EMAIL_URL): one mail per delivery.

SMTP 5xx answers (recipients refused included) are permanent; 4xx answers and
connection failures pass.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from incidents.channels import DeliveryError, Sent, render
from incidents.channels.targets import recipients_list

SUBJECT_LIMIT = 200


def send(channel, message):
    mail = EmailMessage(
        subject=render.cut(f"[Vigil] {message.title}", SUBJECT_LIMIT).replace("\n", " "),
        body=render.plain_text(message),
        to=recipients_list(channel.recipients),
    )
    try:
        with get_connection(timeout=settings.NOTIFY_TIMEOUT) as connection:
            connection.send_messages([mail])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise DeliveryError(
            f"the mail server refused every recipient ({', '.join(map(str, codes))})",
            permanent=all(code >= 500 for code in codes),
            code=codes[0] if codes else None,
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise DeliveryError(
            f"the mail server answered {exc.smtp_code}: {render.cut(text, 120)}",
            permanent=exc.smtp_code >= 500,
            code=exc.smtp_code,
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"could not send mail: {_describe(exc)}", permanent=False) from None
    return Sent(250)


def _describe(exc):
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return render.cut(str(exc) or type(exc).__name__, 120)
