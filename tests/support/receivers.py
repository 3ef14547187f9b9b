"""Real loopback receivers for channel tests: Slack-shaped HTTP servers, a signed-webhook
receiver and an SMTP server. Each records what it received; answers can be scripted."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST and answers from a script.

    `script(*answers)` queues answers (a status, or (status, body[, headers])) used one per
    request; when the script is empty, `default` answers. `before_answer(record)` runs after
    the request is read and before anything is written (a test may kill the sender there).
    """

    default = (200, b"ok")

    def __init__(self, delay=0.0):
        self.requests = []
        self.delay = delay
        self.before_answer = None
        self._answers = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                record = {
                    "path": self.path, "headers": dict(self.headers), "body": body, "client_port": self.client_address[1]
                }
                receiver._answer(self, record)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *answers):
        with self._lock:
            self._answers.extend(answers)
        return self

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self):
        return [json.loads(record["body"]) for record in self.requests]

    def judge(self, record):
        """A status that overrides the script (e.g. a bad signature), or None."""
        return None

    def _answer(self, handler, record):
        if self.before_answer:
            self.before_answer(record)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests.append(record)
            answer = self.judge(record) or (self._answers.pop(0) if self._answers else self.default)
        status, body, headers = _parts(answer)
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _parts(answer):
    if isinstance(answer, int):
        answer = (answer, b"")
    status, body, headers = (*answer, {})[:3]
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return status, body, headers


class SlackWebhook(Receiver):
    """Answers like hooks.slack.com: 200 "ok", or e.g. (404, b"no_team")."""


class SlackAPI(Receiver):
    """Answers chat.postMessage like slack.com/api: 200 {"ok": true}, or {"ok": false, "error": …}.

    Requests without `Bearer <token>` get {"ok": false, "error": "invalid_auth"}.
    """

    default = (200, {"ok": True, "channel": "C123", "ts": "1.2"})

    def __init__(self, token, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def base_url(self):
        return f"http://127.0.0.1:{self.port}/api"

    def judge(self, record):
        if record["headers"].get("Authorization") != f"Bearer {self.token}":
            return (200, {"ok": False, "error": "invalid_auth"})
        return None


class SignedWebhook(Receiver):
    """Checks X-Vigil-Signature with the shared secret; a bad or missing one gets 401."""

    def __init__(self, secret, **kwargs):
        super().__init__(**kwargs)
        self.secret = secret.encode()
        self.verified = []

    def judge(self, record):
        headers = record["headers"]
        signed = headers.get("X-Vigil-Timestamp", "").encode() + b"." + record["body"]
        expected = "sha256=" + hmac.new(self.secret, signed, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, headers.get("X-Vigil-Signature", ""))
        self.verified.append(ok)
        return None if ok else (401, b"bad signature")

    def titles(self):
        """Every notification title received, in order (a notification may come once only)."""
        return [item["title"] for body in self.bodies() for item in body["notifications"]]


def send_mail_to(port, settings):
    """Point Django's mail at a plain SMTP server on this machine's `port`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


class SMTPReceiver:
    """An SMTP server (aiosmtpd) on 127.0.0.1; refuses recipients listed in `refuse` with 550."""

    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)
        self.port = free_port()
        self.controller = Controller(_SMTPHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def email_url(self):
        return f"smtp://127.0.0.1:{self.port}"


class _SMTPHandler:
    def __init__(self, receiver):
        self.receiver = receiver

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.receiver.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.receiver.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content.decode()}
        )
        return "250 Message accepted"
