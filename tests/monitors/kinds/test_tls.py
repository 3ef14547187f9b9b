"""The tls checker against real loopback TLS servers with certificates made by trustme."""

import ssl
import time
from datetime import datetime, timedelta, timezone

import pytest
import trustme

from monitors.kinds.tls.checker import certificate_facts, check
from monitors.models import Monitor
from tests.support.fixtures_targets import days_from_now, self_signed, silent_port, tls_server, trusted_ca  # noqa: F401
from tests.support.servers import free_port


def tls_monitor(port, host="127.0.0.1", **settings):
    settings.setdefault("timeout", 2)
    return Monitor(kind="tls", host=host, port=port, **settings)


def test_a_trusted_certificate_is_up_with_its_facts(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1", not_after=days_from_now(200)))
    outcome = check(tls_monitor(server.port))
    assert outcome.ok is True
    facts = outcome.facts
    assert facts["days_left"] in (199, 200)
    assert datetime.fromisoformat(facts["expires_at"]) - days_from_now(200) < timedelta(seconds=5)
    assert "trustme" in facts["issuer"]
    assert facts["subject"]
    assert (facts["chain_verified"], facts["verify_error"], facts["expiring"]) == (True, "", False)
    assert outcome.detail == f"certificate expires in {facts['days_left']} days"
    assert outcome.response_time_ms > 0


def test_server_name_is_sent_as_sni_and_verified(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("status.vigil.test"))
    outcome = check(tls_monitor(server.port, server_name="status.vigil.test"))
    assert outcome.ok is True
    assert server.server_names == ["status.vigil.test"]


def test_expiring_within_the_warning_is_still_up(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1", not_after=days_from_now(10)))
    outcome = check(tls_monitor(server.port, expiry_warning_days=14))
    assert outcome.ok is True
    assert outcome.facts["expiring"] is True
    assert outcome.facts["days_left"] == 9  # 10 days less the seconds already gone, floored
    assert outcome.detail == "certificate expires in 9 days"


def test_an_expired_certificate_is_down_even_without_verification(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1", not_before=days_from_now(-90), not_after=days_from_now(-3)))
    for verify in (True, False):
        outcome = check(tls_monitor(server.port, tls_verify=verify))
        assert outcome.ok is False
        assert outcome.detail == f"certificate expired on {days_from_now(-3):%Y-%m-%d}"
        assert outcome.facts["days_left"] in (-3, -4)
        assert outcome.facts["expiring"] is False
        assert outcome.facts["verify_error"] == "certificate has expired"


def test_a_self_signed_certificate_is_down_when_verifying_and_up_when_not(trusted_ca, tls_server):
    server = tls_server(self_signed("127.0.0.1"))
    outcome = check(tls_monitor(server.port))
    assert outcome.ok is False
    assert outcome.detail.startswith("certificate not trusted: self")  # "self-signed certificate"
    unverified = check(tls_monitor(server.port, tls_verify=False))
    assert unverified.ok is True
    assert unverified.facts["chain_verified"] is False
    assert "self" in unverified.facts["verify_error"]
    assert unverified.facts["issuer"] == "CN=self-signed test"


def test_a_certificate_from_an_unknown_ca_is_untrusted(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1"))
    server_of_stranger = tls_server(trustme.CA().issue_cert("127.0.0.1"))
    assert check(tls_monitor(server.port)).ok is True
    outcome = check(tls_monitor(server_of_stranger.port))
    assert outcome.detail == "certificate not trusted: unable to get local issuer certificate"


def test_the_wrong_hostname_is_down(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("other.example"))
    outcome = check(tls_monitor(server.port, server_name="status.vigil.test"))
    assert outcome.ok is False
    assert "mismatch" in outcome.facts["verify_error"]
    assert outcome.facts["subject"]
    assert check(tls_monitor(server.port, server_name="status.vigil.test", tls_verify=False)).ok is True


def test_a_server_without_tls_is_down(http_target):
    outcome = check(tls_monitor(http_target.port))
    assert outcome.ok is False
    assert outcome.detail.startswith("TLS error: ")


def test_a_silent_server_times_out(silent_port):
    started = time.monotonic()
    outcome = check(tls_monitor(silent_port, timeout=1))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.0s")
    assert time.monotonic() - started < 1.5


def test_refused_and_link_local():
    assert check(tls_monitor(free_port())).detail == "connection refused"
    assert check(tls_monitor(443, host="169.254.169.254")).detail == "refused address 169.254.169.254 (link-local)"


@pytest.mark.parametrize(
    "left, warning_days, days_left, expiring",
    [
        (timedelta(days=10, seconds=-1), 10, 9, True),
        (timedelta(days=10, seconds=1), 10, 10, False),
        (timedelta(hours=1), 30, 0, True),
        (timedelta(seconds=-1), 30, -1, False),
    ],
)
def test_certificate_facts_floor_days_and_judge_expiring(left, warning_days, days_left, expiring):
    now = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
    ca = trustme.CA()
    der = ssl.PEM_cert_to_DER_cert(ca.issue_cert("x.test", not_after=now + left).cert_chain_pems[0].bytes().decode())
    facts, expired = certificate_facts(der, "", warning_days, now=now)
    assert (facts["days_left"], facts["expiring"], expired) == (days_left, expiring, left.total_seconds() < 0)
