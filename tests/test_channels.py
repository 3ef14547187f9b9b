"""Channels: the address policy, what a channel needs to be saved, and each sender against a
real loopback receiver (Slack webhook, Slack API, signed webhook, SMTP)."""

import hashlib
import hmac
import json
import socket
import threading
import time

import pytest
from django.core.exceptions import ValidationError

from core import net
from incidents.channels import DeliveryError, Message, sender_for
from incidents.channels.render import human_duration
from incidents.channels.webhook import signature
from incidents.models import Channel
from tests.receivers import SignedWebhook, SlackAPI, SlackWebhook, SMTPReceiver
from tests.servers import free_port

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
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", receiver.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield receiver
    receiver.stop()


def send(channel, *payloads, delivery="immediate"):
    return sender_for(channel)(channel, Message(payloads=list(payloads), delivery=delivery))


# The channel address policy ---------------------------------------------------------

CHANNEL_REFUSED = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("100.64.0.1", "private"),
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
]


@pytest.mark.parametrize("address, reason", CHANNEL_REFUSED)
def test_channels_refuse_everything_but_public_addresses(settings, address, reason):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_channels_allow_public_addresses(settings, address):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) is None


def test_the_setting_allows_private_addresses_but_never_metadata_multicast_or_unspecified(settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = True
    for address in ("127.0.0.1", "10.1.2.3", "fd12::1", "169.254.0.1"):
        assert net.channel_blocked_reason(address) is None
    for address in ("169.254.169.254", "224.0.0.1", "0.0.0.0"):
        assert net.channel_blocked_reason(address) is not None


def test_checks_keep_their_own_policy(settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.blocked_reason("127.0.0.1") is None
    assert net.blocked_reason("10.1.2.3") is None


def test_connect_with_the_channel_policy_refuses_loopback_before_connecting(settings, slack_webhook):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    with net.Deadline(2) as deadline, pytest.raises(net.BlockedAddress, match=r"\(loopback\)$"):
        net.connect("127.0.0.1", slack_webhook.port, deadline=deadline, policy=net.channel_blocked_reason)
    assert slack_webhook.requests == []


# What a channel needs ---------------------------------------------------------------


def errors_of(channel):
    with pytest.raises(ValidationError) as caught:
        channel.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, missing",
    [
        ("slack", {"url"}),
        ("slack_bot", {"token", "slack_channel"}),
        ("email", {"recipients"}),
        ("webhook", {"url", "signing_secret"}),
    ],
)
def test_each_kind_names_the_fields_it_needs(kind, missing):
    errors = errors_of(Channel(name="c", kind=kind))
    assert set(errors) == missing


@pytest.mark.django_db
def test_recipients_must_be_email_addresses():
    errors = errors_of(Channel(name="c", kind="email", recipients="ops@example.com\nnot-an-address"))
    assert errors == {"recipients": ["Not an email address: not-an-address."]}
    Channel(name="ok", kind="email", recipients="ops@example.com, lead@example.com").full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://hooks.example/x", "hooks.example/x", "javascript:alert(1)", "http:///x"])
def test_a_url_must_be_http_with_a_host(url):
    errors = errors_of(Channel(name="c", kind="slack", url=url))
    assert list(errors) == ["url"]
    assert url not in errors["url"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1:9", "[::1]", "10.0.0.8", "169.254.169.254", "localhost:8000"])
def test_private_targets_are_refused_at_save_time_without_quoting_the_url(settings, host):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    url = f"http://{host}/services/T000/B000/secret-part"
    errors = errors_of(Channel(name="c", kind="webhook", url=url, signing_secret="s"))
    assert list(errors) == ["url"]
    assert "refused address" in errors["url"][0]
    assert "secret-part" not in errors["url"][0] and host not in errors["url"][0]


def saved_after_full_clean(channel):
    """full_clean() then save(); the row as read back. A ValidationError fails the test."""
    channel.full_clean()
    channel.save()
    return Channel.objects.get(pk=channel.pk)


@pytest.mark.django_db
def test_loopback_is_accepted_when_the_setting_allows_it(settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert list(errors_of(Channel(name="c", kind="slack", url="http://127.0.0.1:9/hook"))) == ["url"]
    settings.CHANNELS_ALLOW_PRIVATE_IPS = True
    saved = saved_after_full_clean(Channel(name="c", kind="slack", url="http://127.0.0.1:9/hook"))
    assert saved.url == "http://127.0.0.1:9/hook"


def test_invalid_names_are_answered_without_asking_the_resolver():
    # With no time left, a name that needs the resolver (localhost: /etc/hosts, nothing
    # leaves the machine) raises DeadlineExceeded; RFC 6761 .invalid names are refused before.
    with net.Deadline(0) as deadline, pytest.raises(net.NameNotResolved, match="could not resolve host"):
        net.resolve("hooks.nothing.invalid", 443, deadline=deadline, policy=net.channel_blocked_reason)
    with net.Deadline(0) as deadline, pytest.raises(net.DeadlineExceeded):
        net.resolve("localhost", 443, deadline=deadline, policy=net.channel_blocked_reason)


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_now_is_accepted_and_judged_at_connect_time():
    saved = saved_after_full_clean(Channel(name="c", kind="slack", url="https://hooks.nothing.invalid/x"))
    assert saved.url == "https://hooks.nothing.invalid/x"
    with pytest.raises(DeliveryError) as caught:
        send(saved, payload())
    assert not caught.value.permanent
    assert "could not resolve host" in caught.value.detail


# Slack incoming webhook ----------------------------------------------------------------


def test_slack_gets_one_block_kit_message_with_the_facts_and_buttons(slack_webhook):
    channel = Channel(kind="slack", url=slack_webhook.url())
    result = send(channel, payload(status="up", duration_seconds=724, title="api is back up"))
    assert result.code == 200
    (body,) = slack_webhook.bodies()
    header, facts, text, actions = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "api is back up"}}
    shown = [field["text"] for field in facts["fields"]]
    assert shown == ["*Severity*\nP1", "*Source*\napi", "*Status*\nup", "*Duration*\n12 min 4 s"]
    assert text["text"]["text"] == "connection refused"
    assert [button["text"]["text"] for button in actions["elements"]] == ["Incident INC-2026-001", "Acknowledge", "Runbook"]
    assert actions["elements"][1]["url"] == "http://vigil.example/incidents/ack/abc/"
    assert "api is back up" in body["text"]


def test_many_notifications_become_one_slack_message_listing_twenty_and_counting_the_rest(slack_webhook):
    channel = Channel(kind="slack", url=slack_webhook.url())
    send(channel, *(payload(f"m{i} is down") for i in range(25)))
    (body,) = slack_webhook.bodies()
    assert body["blocks"][0]["text"]["text"] == "25 alerts"
    sections = [block for block in body["blocks"] if block["type"] == "section"]
    assert len(sections) == 20
    assert sections[0]["text"]["text"].startswith("*m0 is down*\nP1 · api · down")
    assert body["blocks"][-1]["elements"][0]["text"] == "and 5 more"


def test_a_digest_is_titled_as_a_summary(slack_webhook):
    send(Channel(kind="slack", url=slack_webhook.url()), payload(), payload("db is slow"), delivery="hourly")
    assert slack_webhook.bodies()[0]["blocks"][0]["text"]["text"] == "Hourly summary: 2 alerts"


@pytest.mark.parametrize("status, code", [(404, b"no_team"), (403, b"invalid_token"), (410, b"channel_is_archived"), (400, b"invalid_payload")])
def test_slack_refusals_are_permanent(slack_webhook, status, code):
    slack_webhook.script((status, code))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack", url=slack_webhook.url("/services/T0/B0/secret")), payload())
    error = caught.value
    assert error.permanent and error.code == status
    assert error.detail == f"Slack answered {status} ({code.decode()})"


def test_slack_rate_limits_and_server_errors_pass(slack_webhook):
    slack_webhook.script((429, b"rate_limited", {"Retry-After": "7"}), (503, b"<html>down</html>"))
    channel = Channel(kind="slack", url=slack_webhook.url())
    with pytest.raises(DeliveryError) as limited:
        send(channel, payload())
    assert not limited.value.permanent and limited.value.retry_after == 7
    with pytest.raises(DeliveryError) as down:
        send(channel, payload())
    assert not down.value.permanent and down.value.detail == "Slack answered 503"


def test_connection_errors_pass_and_do_not_quote_the_url():
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret-token"
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack", url=url), payload())
    assert not caught.value.permanent
    assert caught.value.detail == "connection refused"


def test_the_channel_policy_applies_at_connect_time(settings, slack_webhook):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack", url=slack_webhook.url()), payload())
    assert caught.value.permanent
    assert caught.value.detail == "refused address 127.0.0.1 (loopback)"
    assert slack_webhook.requests == []


# Slack bot ---------------------------------------------------------------------------


def test_slack_bot_posts_to_the_named_channel_with_its_token(slack_api):
    channel = Channel(kind="slack_bot", token=TOKEN, slack_channel="#production-alerts")
    send(channel, payload())
    (record,) = slack_api.requests
    assert record["path"] == "/api/chat.postMessage"
    assert record["headers"]["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(record["body"])
    assert body["channel"] == "#production-alerts"
    assert body["blocks"][0]["text"]["text"] == "api is down"


@pytest.mark.parametrize("error", ["invalid_auth", "channel_not_found", "not_in_channel", "is_archived", "token_revoked"])
def test_slack_api_errors_that_retrying_cannot_fix_are_permanent(slack_api, error):
    slack_api.script((200, {"ok": False, "error": error}))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack_bot", token=TOKEN, slack_channel="#x"), payload())
    assert caught.value.permanent
    assert caught.value.detail == f"Slack refused the message ({error})"


def test_a_wrong_token_is_permanent_and_never_quoted(slack_api):
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack_bot", token="xoxb-wrong", slack_channel="#x"), payload())
    assert caught.value.permanent and "xoxb" not in caught.value.detail


def test_slack_api_rate_limiting_honours_retry_after(slack_api):
    slack_api.script((200, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack_bot", token=TOKEN, slack_channel="#x"), payload())
    assert not caught.value.permanent and caught.value.retry_after == 30


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


# Email ------------------------------------------------------------------------------------


def test_email_reaches_the_smtp_server(smtp):
    channel = Channel(kind="email", recipients="ops@example.com\nlead@example.com")
    send(channel, payload())
    (mail,) = smtp.messages
    assert mail["to"] == ["ops@example.com", "lead@example.com"]
    assert "Subject: [Vigil] api is down" in mail["data"]
    assert "Severity: P1" in mail["data"] and "Acknowledge: http://vigil.example/incidents/ack/abc/" in mail["data"]


def test_several_notifications_are_one_mail(smtp):
    send(Channel(kind="email", recipients="ops@example.com"), payload("a is down"), payload("b is down"), delivery="daily")
    (mail,) = smtp.messages
    assert "Subject: [Vigil] Daily summary: 2 alerts" in mail["data"]
    assert "a is down" in mail["data"] and "b is down" in mail["data"]


def test_refused_recipients_are_permanent(smtp):
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="email", recipients="nobody@example.com"), payload())
    assert caught.value.permanent and caught.value.code == 550
    assert smtp.messages == []


def test_an_unreachable_mail_server_passes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="email", recipients="ops@example.com"), payload())
    assert not caught.value.permanent
    assert caught.value.detail == "could not send mail: connection refused"


class SlowSMTP:
    """A loopback server speaking just enough SMTP: greets after `greet_after` seconds (never
    if None) and answers each command after `answer_after` seconds (never if None)."""

    def __init__(self, *, greet_after=0.0, answer_after=0.0):
        self.greet_after, self.answer_after = greet_after, answer_after
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as lines:
            if not self._say(conn, self.greet_after, b"220 slow ESMTP"):
                return
            for line in lines:
                if line.upper().startswith(b"DATA"):
                    reply = b"354 go on"
                elif line == b".\r\n":
                    self.accepted.append(True)
                    reply = b"250 accepted"
                elif line.upper().startswith((b"EHLO", b"HELO", b"MAIL", b"RCPT", b"QUIT")):
                    reply = b"250 OK"
                else:
                    continue  # a line of the message
                if not self._say(conn, self.answer_after, reply):
                    return

    def _say(self, conn, after, reply):
        if after is None or self.stopped.wait(after):
            self.stopped.wait()
            return False
        conn.sendall(reply + b"\r\n")
        return True

    def stop(self):
        self.stopped.set()
        self.sock.close()


@pytest.mark.parametrize(
    "server",
    [
        pytest.param({"greet_after": None}, id="never-greets"),
        pytest.param({"answer_after": None}, id="greets-then-never-answers-ehlo"),
        pytest.param({"answer_after": 0.3}, id="answers-each-command-slowly"),
    ],
)
def test_a_slow_mail_server_cannot_hold_a_send_past_the_deadline(settings, server):
    settings.NOTIFY_TIMEOUT = 0.5
    smtp = SlowSMTP(**server)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryError) as caught:
            send(Channel(kind="email", recipients="ops@example.com"), payload())
    finally:
        smtp.stop()
    # Per-socket timeouts alone would let the slow one finish after six 0.3 s answers.
    assert time.monotonic() - started < 1.5
    assert (caught.value.detail, caught.value.permanent) == ("timed out after 0.5s", False)
    assert smtp.accepted == []


# Words ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (45, "45 s"), (724, "12 min 4 s"), (7500, "2 h 5 min"), (90061, "1 d 1 h")])
def test_durations_read_as_people_say_them(seconds, text):
    assert human_duration(seconds) == text


# The admin ---------------------------------------------------------------------------------

ADMIN = "/admin/incidents/channel/"


@pytest.fixture
def admin_client(client, superadmin):
    client.force_login(superadmin)
    return client


def add_form(**fields):
    return {"name": "alerts", "kind": "slack", "enabled": "on", "url": "", "token": "", "slack_channel": "",
            "recipients": "", "signing_secret": "", **fields}


@pytest.mark.django_db
def test_the_admin_stores_secrets_without_ever_showing_them(admin_client, slack_webhook):
    url = slack_webhook.url("/services/T0/B0/secret-part")
    response = admin_client.post(f"{ADMIN}add/", add_form(kind="webhook", url=url, signing_secret="whsec-very-secret"))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get()
    assert (channel.url, channel.signing_secret) == (url, "whsec-very-secret")
    for page in (f"{ADMIN}{channel.pk}/change/", ADMIN):
        html = admin_client.get(page).content.decode()
        assert "secret-part" not in html and "very-secret" not in html
    assert "A URL is set. Leave blank to keep it." in admin_client.get(f"{ADMIN}{channel.pk}/change/").content.decode()


@pytest.mark.django_db
def test_a_blank_secret_keeps_the_stored_one_and_clear_removes_it(admin_client, slack_webhook):
    channel = Channel.objects.create(name="alerts", kind="slack", url=slack_webhook.url("/keep"))
    response = admin_client.post(f"{ADMIN}{channel.pk}/change/", add_form(name="renamed"))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.url) == ("renamed", slack_webhook.url("/keep"))
    response = admin_client.post(f"{ADMIN}{channel.pk}/change/", add_form(name="renamed", clear_url="on"))
    assert response.status_code == 200  # a Slack channel needs its URL
    assert "A Slack (incoming webhook) channel needs a URL." in response.content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_a_private_target_naming_the_field_not_the_url(settings, admin_client):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    response = admin_client.post(f"{ADMIN}add/", add_form(url="http://127.0.0.1:9/services/secret-part"))
    html = response.content.decode()
    assert response.status_code == 200 and Channel.objects.count() == 0
    assert "The URL points to a refused address (loopback; see CHANNELS_ALLOW_PRIVATE_IPS)." in html
    assert "secret-part" not in html


@pytest.mark.django_db(transaction=True)
def test_send_test_message_from_the_change_page_and_as_an_action(admin_client, slack_webhook):
    channel = Channel.objects.create(name="alerts", kind="slack", url=slack_webhook.url())
    page = admin_client.get(f"{ADMIN}{channel.pk}/change/").content.decode()
    assert f'formaction="{ADMIN}{channel.pk}/send-test/"' in page
    response = admin_client.post(f"{ADMIN}{channel.pk}/send-test/", follow=True)
    assert "Test message to alerts: delivered (200)." in response.content.decode()
    slack_webhook.script((404, b"no_team"))
    response = admin_client.post(ADMIN, {"action": "send_test_message", "_selected_action": [channel.pk]}, follow=True)
    assert "Test message to alerts: failed (404): Slack answered 404 (no_team)." in response.content.decode()
    assert len(slack_webhook.requests) == 2
    assert admin_client.get(f"{ADMIN}{channel.pk}/send-test/").status_code == 405


@pytest.mark.django_db
def test_only_super_admins_see_channels_and_the_outbox(client, staff_user):
    staff_user.is_staff = True
    staff_user.save()
    client.force_login(staff_user)
    channel = Channel.objects.create(name="alerts", kind="email", recipients="ops@example.com")
    for page in (ADMIN, f"{ADMIN}{channel.pk}/change/", "/admin/incidents/notification/", "/admin/incidents/deliveryattempt/"):
        assert client.get(page).status_code in (302, 403), page
    assert client.post(f"{ADMIN}{channel.pk}/send-test/").status_code in (302, 403)


@pytest.mark.django_db
def test_the_outbox_is_read_only_and_retry_now_makes_rows_due(admin_client):
    from django.utils import timezone

    from incidents.models import Notification

    channel = Channel.objects.create(name="alerts", kind="email", recipients="ops@example.com")
    later = timezone.now() + timezone.timedelta(hours=1)
    row = Notification.objects.create(channel=channel, kind="problem", payload={"title": "api is down"},
                                      status="failed", created_at=later, next_attempt_at=later, last_error="x")
    listing = admin_client.get("/admin/incidents/notification/").content.decode()
    assert "api is down" in listing
    assert admin_client.get(f"/admin/incidents/notification/{row.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/incidents/notification/", {"action": "retry_now", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 notification(s) will be delivered now." in response.content.decode()
    row.refresh_from_db()
    assert row.status == "pending" and row.next_attempt_at <= timezone.now() and row.last_error == ""
    assert admin_client.get("/admin/incidents/deliveryattempt/").status_code == 200
