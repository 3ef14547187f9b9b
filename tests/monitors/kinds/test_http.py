"""The http checker against real loopback servers (plain and TLS)."""

import base64
import time

import psutil
import pytest

from monitors.kinds.http.checker import check
from monitors.models import Monitor
from tests.support.fixtures_targets import days_from_now, self_signed, silent_port, tls_server, trusted_ca  # noqa: F401
from tests.support.servers import EndlessBody, HTTPTarget, Recorder, drip_body, drip_headers, free_port


def http_monitor(url, **settings):
    settings.setdefault("timeout", 2)
    return Monitor(kind="http", url=url, **settings)


def timed_check(monitor):
    started = time.monotonic()
    outcome = check(monitor)
    return outcome, time.monotonic() - started


@pytest.fixture
def other_target():
    target = HTTPTarget().start()
    yield target
    target.stop()


def chain(target, hops):
    """A URL that redirects `hops` times before a 200 page saying "arrived"."""
    for hop in range(hops):
        following = f"/hop{hop + 1}" if hop + 1 < hops else "/final"
        target.route(f"/hop{hop}", status=302, headers={"Location": following})
    target.route("/final", body=b"arrived")
    return target.url("/hop0") if hops else target.url("/final")


# Status and keywords -----------------------------------------------------------------


def test_a_200_page_is_up_with_its_time_to_headers(http_target):
    outcome = check(http_monitor(http_target.route("/", body=b"all good")))
    assert outcome.ok is True
    assert outcome.detail == "status 200"
    assert outcome.facts == {"status_code": 200, "redirects": 0}
    assert 0 < outcome.response_time_ms < 2000


@pytest.mark.parametrize(
    "status, spec, up",
    [
        (200, "", True),
        (204, "", True),
        (304, "", True),
        (404, "", False),
        (500, "", False),
        (404, "404", True),
        (503, "200-299, 503", True),
        (200, "300-399", False),
        (201, "200-202", True),
    ],
)
def test_expected_status_ranges(http_target, status, spec, up):
    outcome = check(http_monitor(http_target.route("/s", status=status, body=b""), expected_status=spec))
    assert outcome.ok is up
    assert outcome.facts["status_code"] == status


def test_an_unexpected_status_says_what_was_expected(http_target):
    assert check(http_monitor(http_target.route("/e", status=500))).detail == "status 500 (expected 200-399)"
    outcome = check(http_monitor(http_target.route("/e2", status=200), expected_status="300-302,404"))
    assert outcome.detail == "status 200 (expected 300-302, 404)"


def test_keyword_present_is_up_and_missing_is_down(http_target):
    url = http_target.route("/k", body=b"<p>database: OK</p>")
    assert check(http_monitor(url, keyword="database: OK")).ok is True
    outcome = check(http_monitor(url, keyword="FAIL"))
    assert (outcome.ok, outcome.detail) == (False, "keyword 'FAIL' not found")


def test_keyword_absent(http_target):
    url = http_target.route("/k", body=b"status: ERROR")
    outcome = check(http_monitor(url, keyword_absent="ERROR"))
    assert (outcome.ok, outcome.detail) == (False, "keyword 'ERROR' found")
    assert check(http_monitor(url, keyword_absent="maintenance")).ok is True


@pytest.mark.parametrize(
    "body, content_type",
    [("café ouvert".encode(), "text/html"), ("café ouvert".encode("latin-1"), "text/html; charset=ISO-8859-1")],
)
def test_keywords_match_text_in_its_declared_charset_or_utf8(http_target, body, content_type):
    url = http_target.route("/c", body=body, headers={"Content-Type": content_type})
    assert check(http_monitor(url, keyword="café")).ok is True


# What is sent -----------------------------------------------------------------


def test_get_sends_the_user_agent_and_custom_headers(http_target):
    recorder = Recorder()
    url = http_target.route("/r", handler=recorder)
    assert check(http_monitor(url, headers={"X-Probe": "vigil"})).ok is True
    sent = recorder.requests[0]
    assert sent["method"] == "GET"
    assert sent["headers"]["User-Agent"] == "Vigil/0.1 (+monitoring)"
    assert sent["headers"]["X-Probe"] == "vigil"


def test_head_sends_no_body_and_reads_none(http_target):
    recorder = Recorder()
    assert check(http_monitor(http_target.route("/r", handler=recorder), method="HEAD")).ok is True
    assert recorder.requests[0]["method"] == "HEAD"


def test_post_sends_the_body(http_target):
    recorder = Recorder()
    outcome = check(http_monitor(http_target.route("/r", handler=recorder), method="POST", body='{"ping": 1}'))
    assert outcome.ok is True
    assert (recorder.requests[0]["method"], recorder.requests[0]["body"]) == ("POST", b'{"ping": 1}')


def test_basic_auth_is_sent_when_a_user_is_set(http_target):
    recorder = Recorder()
    check(http_monitor(http_target.route("/r", handler=recorder), auth_user="probe", auth_password="pw:1"))
    assert recorder.requests[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"probe:pw:1").decode()


def test_every_check_opens_a_fresh_connection(http_target):
    recorder = Recorder()
    url = http_target.route("/r", handler=recorder)
    check(http_monitor(url))
    check(http_monitor(url))
    assert len({sent["client_port"] for sent in recorder.requests}) == 2


def test_proxies_from_the_environment_are_not_used(http_target, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    assert check(http_monitor(http_target.route("/", body=b"direct"), keyword="direct")).ok is True


# Redirects -----------------------------------------------------------------


def test_three_redirects_are_followed(http_target):
    outcome = check(http_monitor(chain(http_target, 3), keyword="arrived"))
    assert outcome.ok is True
    assert outcome.facts["redirects"] == 3


def test_a_fourth_redirect_is_too_many(http_target):
    outcome = check(http_monitor(chain(http_target, 4)))
    assert (outcome.ok, outcome.detail) == (False, "too many redirects (more than 3)")
    assert "/final" not in http_target.hits


def test_a_redirect_loop_stops(http_target):
    url = http_target.route("/loop", status=301, headers={"Location": "/loop"})
    outcome = check(http_monitor(url))
    assert (outcome.ok, outcome.detail) == (False, "too many redirects (more than 3)")
    assert http_target.hits["/loop"] == 4


def test_a_redirect_to_another_scheme_is_down(http_target):
    url = http_target.route("/ftp", status=302, headers={"Location": "ftp://127.0.0.1/file"})
    assert check(http_monitor(url)).detail == "redirect to unsupported scheme 'ftp'"


def test_a_redirect_body_is_never_read(http_target):
    endless = EndlessBody(total=1 << 30)
    http_target.route("/big-redirect", handler=lambda request: _redirect_with_endless_body(request, endless))
    http_target.route("/final", body=b"arrived")
    outcome, elapsed = timed_check(http_monitor(http_target.url("/big-redirect"), keyword="arrived"))
    assert outcome.ok is True
    assert elapsed < 1.5


def _redirect_with_endless_body(request, endless):
    request.close_connection = True
    request.send_response(302)
    request.send_header("Location", "/final")
    request.send_header("Content-Length", str(endless.total))
    request.end_headers()
    try:
        for _ in range(endless.total // 65536):
            request.wfile.write(b"r" * 65536)
    except OSError:
        pass


def test_post_becomes_get_after_a_303(http_target):
    recorder = Recorder()
    http_target.route("/after", handler=recorder)
    url = http_target.route("/form", status=303, headers={"Location": "/after"})
    assert check(http_monitor(url, method="POST", body="x=1")).ok is True
    assert (recorder.requests[0]["method"], recorder.requests[0]["body"]) == ("GET", b"")


def test_credentials_and_headers_stay_on_their_own_site(http_target, other_target):
    same, other = Recorder(), Recorder()
    http_target.route("/same", handler=same)
    other_target.route("/elsewhere", handler=other)
    http_target.route("/to-same", status=302, headers={"Location": "/same"})
    http_target.route("/to-other", status=302, headers={"Location": other_target.url("/elsewhere")})
    secrets = {"auth_user": "probe", "auth_password": "pw", "headers": {"X-Token": "t0k3n"}}
    assert check(http_monitor(http_target.url("/to-same"), **secrets)).ok is True
    assert check(http_monitor(http_target.url("/to-other"), **secrets)).ok is True
    assert "Authorization" in same.requests[0]["headers"] and "X-Token" in same.requests[0]["headers"]
    assert "Authorization" not in other.requests[0]["headers"]
    assert "X-Token" not in other.requests[0]["headers"]


# Deadlines and limits -----------------------------------------------------------------


def test_a_body_dripping_one_byte_a_second_is_cut_at_the_deadline(http_target):
    outcome, elapsed = timed_check(http_monitor(http_target.route("/drip", handler=drip_body()), timeout=1.5))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.5s")
    assert elapsed < 1.5 + 0.5


def test_headers_dripping_one_byte_a_second_are_cut_at_the_deadline(http_target):
    outcome, elapsed = timed_check(http_monitor(http_target.route("/drip", handler=drip_headers()), timeout=1.5))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.5s")
    assert elapsed < 1.5 + 0.5


def test_a_silent_server_times_out(silent_port):
    outcome, elapsed = timed_check(http_monitor(f"http://127.0.0.1:{silent_port}/", timeout=1))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.0s")
    assert elapsed < 1.5


def test_a_gigabyte_body_is_cut_at_the_limit_with_flat_memory(http_target):
    endless = EndlessBody(total=1 << 30)
    url = http_target.route("/huge", handler=endless)
    process = psutil.Process()
    before = process.memory_info().rss
    outcome, elapsed = timed_check(http_monitor(url, keyword="needle", timeout=10))
    growth = process.memory_info().rss - before
    time.sleep(0.2)  # let the server notice the hang-up before counting what it sent
    assert (outcome.ok, outcome.detail) == (False, "keyword 'needle' not found in the first 1024 KiB")
    assert elapsed < 2
    assert growth < 50 * 1024 * 1024
    assert endless.sent < 64 * 1024 * 1024  # the rest of the gigabyte was never asked for


def test_a_keyword_past_the_body_limit_is_not_seen(http_target):
    url = http_target.route("/long", body=b"." * (1024 * 1024) + b"needle")
    assert check(http_monitor(url, keyword="needle")).ok is False
    assert check(http_monitor(url, keyword_absent="needle")).ok is True


# Refusals and connection errors -----------------------------------------------------------------


def test_a_non_http_answer_is_down(http_target):
    def ssh_banner(request):
        request.close_connection = True
        request.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")

    outcome = check(http_monitor(http_target.route("/ssh", handler=ssh_banner)))
    assert (outcome.ok, outcome.detail) == (False, "invalid HTTP response")


def test_a_hang_up_without_a_response_is_down(http_target):
    def hang_up(request):
        request.close_connection = True

    outcome = check(http_monitor(http_target.route("/bye", handler=hang_up)))
    assert (outcome.ok, outcome.detail) == (False, "connection closed without a response")


@pytest.mark.parametrize(
    "location, detail", [("http://[::1/", "redirect to an invalid URL"), ("http://:8080/", "invalid URL")]
)
def test_a_redirect_to_a_broken_url_is_down(http_target, location, detail):
    url = http_target.route("/broken", status=302, headers={"Location": location})
    outcome = check(http_monitor(url))
    assert (outcome.ok, outcome.detail) == (False, detail)


def test_only_http_and_https_urls(http_target):
    assert check(http_monitor("ftp://127.0.0.1/")).detail == "only http:// and https:// URLs can be checked"


def test_an_unresolvable_host():
    outcome = check(http_monitor("http://no-such-host.invalid/health"))
    assert (outcome.ok, outcome.detail) == (False, "could not resolve host 'no-such-host.invalid'")


def test_connection_refused():
    outcome = check(http_monitor(f"http://127.0.0.1:{free_port()}/"))
    assert (outcome.ok, outcome.detail) == (False, "connection refused")


@pytest.mark.parametrize(
    "url, address",
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254"),
    ],
)
def test_metadata_addresses_are_refused(url, address):
    outcome, elapsed = timed_check(http_monitor(url))
    assert outcome.ok is False
    assert outcome.detail.startswith(f"refused address {address} (")
    assert elapsed < 0.5


def test_a_redirect_to_link_local_is_refused_at_connect_time(http_target):
    url = http_target.route("/meta", status=302, headers={"Location": "http://169.254.169.254/latest"})
    outcome, elapsed = timed_check(http_monitor(url))
    assert (outcome.ok, outcome.detail) == (False, "refused address 169.254.169.254 (link-local)")
    assert http_target.hits["/meta"] == 1
    assert elapsed < 0.5


# HTTPS -----------------------------------------------------------------


def test_https_with_a_trusted_certificate(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1"))
    server.route("/", body=b"secure OK")
    assert check(http_monitor(server.url("/"), keyword="secure OK")).ok is True
    assert server.server_names == [None]  # an IP address is never sent as SNI


def test_https_trusts_requests_ca_bundle_too(trusted_ca, tls_server, monkeypatch, tmp_path):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1"))
    server.route("/", body=b"OK")
    monkeypatch.delenv("SSL_CERT_FILE")
    assert check(http_monitor(server.url("/"))).ok is False
    bundle = tmp_path / "bundle.pem"
    trusted_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert check(http_monitor(server.url("/"))).ok is True


@pytest.mark.parametrize(
    "make_cert, reason",
    [
        (lambda ca: ca.issue_cert("other.example"), "mismatch"),
        (lambda ca: ca.issue_cert("127.0.0.1", not_before=days_from_now(-30), not_after=days_from_now(-1)), "expired"),
        (lambda ca: self_signed("127.0.0.1"), "self-signed"),
    ],
)
def test_https_with_a_bad_certificate_is_down_unless_verification_is_off(
    trusted_ca, tls_server, make_cert, reason
):
    server = tls_server(make_cert(trusted_ca))
    server.route("/", body=b"OK")
    outcome = check(http_monitor(server.url("/")))
    assert outcome.ok is False
    assert outcome.detail.startswith("certificate not trusted: ")
    assert reason in outcome.detail.replace("self signed", "self-signed")
    assert check(http_monitor(server.url("/"), tls_verify=False)).ok is True


def test_an_https_body_drip_is_cut_at_the_deadline(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1"))
    server.route("/drip", handler=drip_body())
    outcome, elapsed = timed_check(http_monitor(server.url("/drip"), timeout=1.5))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.5s")
    assert elapsed < 2.0
