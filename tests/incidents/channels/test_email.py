"""Email against a loopback SMTP server."""

import socket
import threading
import time

import pytest

from incidents.channels import DeliveryError
from incidents.models import Channel
from tests.incidents.channels.common import payload, send
from tests.support.receivers import send_mail_to
from tests.support.servers import free_port


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
    send_mail_to(smtp.port, settings)
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
