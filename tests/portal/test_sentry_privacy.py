"""What Vigil's own Sentry events carry: no secret, wherever sentry-sdk picked it up.

A child process starts as production does (SENTRY_DSN set, tracing on) and sends its
envelopes to a loopback Sentry; it makes real outgoing requests (a check, a Slack
delivery), serves real requests (a ping, an acknowledgement link) and captures errors, as
a long-lived worker does. Every byte received is searched for the secrets. Sentry is
never started in the test process, so no other test can send to a dead DSN.
"""

import json
import time
import uuid

import pytest

from portal.sentry.scrub import scrub_own_url, scrub_text
from tests.support.processes import child_env, manage
from tests.support.receivers import SlackWebhook
from tests.support.servers import HTTPTarget, SentryReceiver

SECRETS = {
    "check_token": "chk-token-5e8a41",
    "check_path": "chk-path-9b27c3",
    "slack_path": "slk-path-0c6f12",
    "slack_query": "slk-query-7d3e90",
    "ping_uuid": str(uuid.uuid4()),
    "ping_query": "png-query-41aa07",
    "ack_token": "ack-token-6f0b2d",
    "authorization": "auth-header-83c1e4",
    "cookie": "cookie-value-2a9d5f",
    "error_query": "err-query-d04b77",
}

SCENARIO = """
import json, os, threading
import requests, sentry_sdk
from wsgiref.simple_server import WSGIRequestHandler, make_server
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from incidents.channels import Message, sender_for
from incidents.models import Channel
from monitors.checks import run_check
from monitors.models import Monitor
from portal.sentry.sdk import TaskErrorReporter

s, seen = json.loads(os.environ["VIGIL_TEST_SCENARIO"]), {}

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()
seen["site"] = site = f"http://127.0.0.1:{server.server_port}"

# A task, as a django-q2 worker runs it: a check, a delivery, then an error.
with sentry_sdk.start_transaction(op="queue.task", name="deliver"):
    seen["check_ok"] = run_check(Monitor(kind="http", url=s["check_url"], timeout=5, interval=60)).ok
    channel = Channel(kind="slack", name="ops", url=s["slack_url"])
    payload = {"title": "api is down", "text": "refused", "severity": "P1", "kind": "monitor_down",
               "source": "api", "status": "down", "duration_seconds": None, "incident": "INC-1",
               "incident_url": site + "/incidents/INC-1/", "ack_url": site + "/incidents/ack/" + s["ack_token"] + "/",
               "runbook_url": None, "occurred_at": "2026-01-01T00:00:00+00:00"}
    seen["slack"] = sender_for(channel)(channel, Message(payloads=[payload], delivery="immediate")).code
    try:
        raise RuntimeError("the delivery task failed")
    except RuntimeError:
        TaskErrorReporter().report()

# Requests Vigil serves, with secrets in the path, the query, the headers and the cookies.
secret_headers = {"Authorization": "Bearer " + s["authorization"]}
secret_cookies = {"sessionid": s["cookie"], "csrftoken": s["cookie"]}
seen["ping"] = requests.get(site + "/ping/" + s["ping_uuid"] + "?k=" + s["ping_query"], headers=secret_headers,
                            cookies=secret_cookies).status_code
seen["ack"] = requests.get(site + "/incidents/ack/" + s["ack_token"] + "/?k=" + s["ping_query"],
                           headers=secret_headers, cookies=secret_cookies).status_code

# An error raised inside a request (the test-error button), signed in.
client = Client()
client.force_login(User.objects.get(username="root"))
seen["session"], seen["csrf"] = client.cookies["sessionid"].value, _get_new_csrf_string()
seen["error"] = requests.post(
    site + "/sentry/test-error?token=" + s["error_query"], allow_redirects=False,
    headers={**secret_headers, "X-CSRFToken": seen["csrf"], "Referer": s["check_url"]},
    cookies={"sessionid": seen["session"], "csrftoken": seen["csrf"]}).status_code
sentry_sdk.flush(timeout=10)
print(json.dumps(seen))
"""


@pytest.fixture
def sentry():
    receiver = SentryReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def check_target():
    target = HTTPTarget().start()
    target.route(f"/{SECRETS['check_path']}", body=b"OK")
    yield target
    target.stop()


@pytest.fixture
def slack():
    receiver = SlackWebhook().start()
    yield receiver
    receiver.stop()


def errors_in(sentry):
    """{exception type: event} of the error events received."""
    return {item["exception"]["values"][-1]["type"]: item for item in sentry.items if "exception" in item}


def transactions_in(sentry):
    """The transaction events received (not their envelope item headers)."""
    return [item for item in sentry.items if item.get("type") == "transaction" and "spans" in item]


@pytest.mark.django_db(transaction=True)
def test_no_secret_reaches_sentry_from_requests_breadcrumbs_spans_or_errors(superadmin, sentry, check_target, slack):
    check_url = check_target.url(f"/{SECRETS['check_path']}?token={SECRETS['check_token']}")
    slack_url = slack.url(f"/services/T0/B0/{SECRETS['slack_path']}?q={SECRETS['slack_query']}")
    scenario = json.dumps({**SECRETS, "check_url": check_url, "slack_url": slack_url})

    result = manage("shell", "-c", SCENARIO, env=child_env(
        SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="test", SENTRY_TRACES_SAMPLE_RATE="1.0",
        ALLOWED_HOSTS="127.0.0.1", VIGIL_TEST_SCENARIO=scenario))
    deadline = time.monotonic() + 10
    while len(transactions_in(sentry)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)  # the child flushed; the last envelope may still be in the receiver

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert (seen["check_ok"], seen["slack"], seen["ping"], seen["error"]) == (True, 200, 404, 302)
    assert check_target.hits[f"/{SECRETS['check_path']}"] == 1 and len(slack.requests) == 1

    received = b"".join(sentry.bodies).decode()
    for name, secret in {**SECRETS, "session": seen["session"], "csrf": seen["csrf"]}.items():
        assert secret not in received, f"the {name} secret reached Sentry"
    served_requests = [item["request"] for item in sentry.items if "request" in item]  # 3 transactions, 1 error
    assert len(served_requests) == 4
    assert not any({"cookies", "query_string", "data"} & set(request) for request in served_requests)
    assert not any(name.lower() in {"authorization", "cookie", "x-csrftoken"}
                   for request in served_requests for name in request.get("headers", {}))

    errors = errors_in(sentry)
    assert set(errors) == {"RuntimeError", "SentryTestError"}
    crumbs = [crumb["data"]["url"] for crumb in errors["RuntimeError"]["breadcrumbs"]["values"]
              if crumb.get("category") == "httplib"]
    assert crumbs == [f"http://127.0.0.1:{check_target.port}", f"http://127.0.0.1:{slack.port}"]
    assert errors["SentryTestError"]["request"]["url"] == seen["site"] + "/sentry/test-error"
    assert errors["SentryTestError"]["request"]["headers"]["Referer"] == f"http://127.0.0.1:{check_target.port}"

    transactions = {event["transaction"]: event for event in transactions_in(sentry)}
    spans = [span["description"] for span in transactions["deliver"]["spans"] if span["op"] == "http.client"]
    assert spans == [f"GET http://127.0.0.1:{check_target.port}", f"POST http://127.0.0.1:{slack.port}"]
    served = sorted(event["request"]["url"].split("/", 3)[3] for event in transactions.values() if "request" in event)
    assert served == ["incidents/ack/[Filtered]/", "ping/[Filtered]", "sentry/test-error"]


@pytest.mark.parametrize("text, scrubbed", [
    ("POST https://hooks.slack.com/services/T0/B0/secret?x=1#y", "POST https://hooks.slack.com"),
    ("postgres://vigil:pw@db.internal:5432/vigil failed", "postgres://db.internal:5432 failed"),
    ("Max retries exceeded with url: /services/T0/B0/secret?token=x (Caused by …)",
     "Max retries exceeded with url: [Filtered] (Caused by …)"),
    ("GET /ping/0b6c3f52-8d5e-4a4e-9a6e-2f1d8c7b9a10/fail?rid=1", "GET /ping/[Filtered]/fail"),
    ("ping 0b6c3f52-8d5e-4a4e-9a6e-2f1d8c7b9a10 ignored", "ping [Filtered] ignored"),
    ("/incidents/ack/<str:token>/ and /ping/<uuid:ping_uuid>", "/incidents/ack/<str:token>/ and /ping/<uuid:ping_uuid>"),
    ("is the api down? yes", "is the api down? yes"),
])
def test_text_keeps_scheme_and_host_and_loses_paths_queries_and_tokens(text, scrubbed):
    assert scrub_text(text) == scrubbed


def test_a_served_url_keeps_its_path_without_secrets():
    url = "https://vigil.example.com/incidents/ack/abc.def:ghi/?next=/x#frag"
    assert scrub_own_url(url) == "https://vigil.example.com/incidents/ack/[Filtered]/"
