"""Line breaks in text that reaches a mail header: the mail is delivered, over real SMTP
(aiosmtpd on loopback), with the header on one line and no header injected."""

import email
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from incidents.delivery import send_batch
from incidents.models import Channel, DeliveryAttempt, Notification
from portal.dashboards.kpi_report import send_weekly_report
from tests.incidents.channels.common import payload, send, smtp  # noqa: F401 (fixture)

BREAKS = ["\r", "\n", "\r\n", "\n\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\r\n\r\n"]


def received(message):
    """The mail as the server got it: (headers parsed, Subject decoded)."""
    parsed = email.message_from_string(message["data"])
    return parsed, str(make_header(decode_header(parsed["Subject"])))


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(brk) for brk in BREAKS])
def test_a_title_with_a_line_break_is_mailed_with_a_one_line_subject(smtp, brk):
    title = f"api is down{brk}Bcc: victim@example.com{brk}X-Injected: yes"
    send(Channel(kind="email", recipients="ops@example.com"), payload(title))
    (mail,) = smtp.messages
    parsed, subject = received(mail)
    assert subject == "[Vigil] api is down Bcc: victim@example.com X-Injected: yes"
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert mail["to"] == ["ops@example.com"]


@pytest.mark.django_db
def test_the_delivery_of_such_a_title_is_recorded_as_delivered_first_time(smtp):
    channel = Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    row = Notification.objects.create(channel=channel, kind="problem", delivery="immediate",
                                      payload=payload("db is down\rBcc: victim@example.com"),
                                      created_at=timezone.now(), next_attempt_at=timezone.now())
    attempt = send_batch(channel, [row])
    row.refresh_from_db()
    assert attempt.outcome == DeliveryAttempt.Outcome.DELIVERED, attempt.error
    assert row.status == Notification.Status.DELIVERED and row.attempts == 1
    assert received(smtp.messages[0])[1] == "[Vigil] db is down Bcc: victim@example.com"


@pytest.mark.django_db
def test_the_weekly_report_is_built_the_same_way(smtp, settings):
    """Its headers are Vigil's own, but it goes through the same message class: a line break
    in DEFAULT_FROM_EMAIL is a space too."""
    settings.DEFAULT_FROM_EMAIL = "Vigil\r\nReports <vigil@example.com>"
    send_weekly_report(to=["root@example.com"])
    (mail,) = smtp.messages
    parsed = email.message_from_string(mail["data"])
    assert str(make_header(decode_header(parsed["From"]))) == "Vigil Reports <vigil@example.com>"
    assert received(mail)[1].startswith("Vigil weekly report: ")
