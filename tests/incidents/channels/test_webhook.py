"""Signed JSON webhooks against a loopback receiver."""

import hashlib
import hmac

import pytest

from incidents.channels import DeliveryError
from incidents.channels.webhook import signature
from incidents.models import Channel
from tests.incidents.channels.common import SECRET, payload, send


# Signed webhook ---------------------------------------------------------------------------


def test_a_webhook_body_is_a_list_signed_with_the_channel_secret(signed_webhook):
    send(Channel(kind="webhook", url=signed_webhook.url(), signing_secret=SECRET), payload())
    assert signed_webhook.verified == [True]
    (body,) = signed_webhook.bodies()
    assert body["notifications"] == [payload()]


def test_a_wrong_secret_fails_the_receivers_check(signed_webhook):
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="webhook", url=signed_webhook.url(), signing_secret="other"), payload())
    assert signed_webhook.verified == [False]
    assert caught.value.permanent and caught.value.code == 401


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    assert signature("k", "1", b"{}") == "sha256=" + hmac.new(b"k", b"1.{}", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("status, permanent", [(500, False), (502, False), (408, False), (429, False), (400, True), (404, True), (301, True)])
def test_webhook_status_codes(signed_webhook, status, permanent):
    signed_webhook.script(status)
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="webhook", url=signed_webhook.url(), signing_secret=SECRET), payload())
    assert caught.value.permanent is permanent and caught.value.code == status
