"""What the channel tests share: a notification's payload, secrets, one send, and the
loopback receivers of the kinds (Slack webhook, Slack API, signed webhook, SMTP) as fixtures."""

import pytest

from incidents.channels import Message, sender_for
from tests.support.receivers import SignedWebhook, SlackAPI, SlackWebhook, SMTPReceiver, send_mail_to

SECRET = "whsec-test-123"
TOKEN = "xoxb-test-token-456"


def payload(title="api is down", **extra):
    return {
        "title": title,
        "text": "connection refused",
        "severity": "P1",
        "kind": "monitor_down",
        "source": "api",
        "status": "down",
        "duration_seconds": None,
        "incident": "INC-2026-001",
        "incident_url": "http://vigil.example/incidents/1/",
        "ack_url": "http://vigil.example/incidents/ack/abc/",
        "runbook_url": "https://wiki.example/runbooks/api",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        **extra,
    }



def send(channel, *payloads, delivery="immediate"):
    return sender_for(channel)(channel, Message(payloads=list(payloads), delivery=delivery))


@pytest.fixture
def slack_webhook():
    receiver = SlackWebhook().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def slack_api(settings):
    receiver = SlackAPI(TOKEN).start()
    settings.SLACK_API_URL = receiver.base_url()
    yield receiver
    receiver.stop()


@pytest.fixture
def signed_webhook():
    receiver = SignedWebhook(SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(settings):
    receiver = SMTPReceiver(refuse={"nobody@example.com"}).start()
    send_mail_to(receiver.port, settings)
    yield receiver
    receiver.stop()
