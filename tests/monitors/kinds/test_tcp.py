"""The tcp checker against real loopback ports."""

import socket
import time

import pytest

from monitors.kinds.tcp.checker import check
from monitors.models import Monitor
from tests.support.fixtures_targets import full_backlog_port, silent_port  # noqa: F401 (fixtures)
from tests.support.servers import free_port


def tcp_monitor(host, port, timeout=2):
    return Monitor(kind="tcp", host=host, port=port, timeout=timeout)


def test_an_open_port_is_up(silent_port):
    outcome = check(tcp_monitor("127.0.0.1", silent_port))
    assert (outcome.ok, outcome.detail) == (True, f"port {silent_port} open")
    assert 0 <= outcome.response_time_ms < 1000


def test_ipv6_loopback_is_up():
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:
        assert check(tcp_monitor("::1", server.getsockname()[1])).ok is True


def test_a_closed_port_is_refused():
    outcome = check(tcp_monitor("127.0.0.1", free_port()))
    assert (outcome.ok, outcome.detail) == (False, "connection refused")


def test_a_connect_that_never_completes_times_out(full_backlog_port):
    started = time.monotonic()
    outcome = check(tcp_monitor("127.0.0.1", full_backlog_port, timeout=1))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.0s")
    assert time.monotonic() - started < 1.5


def test_an_unresolvable_host():
    outcome = check(tcp_monitor("db.nowhere.invalid", 5432))
    assert (outcome.ok, outcome.detail) == (False, "could not resolve host 'db.nowhere.invalid'")


@pytest.mark.parametrize("host", ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254"])
def test_link_local_is_refused(host):
    outcome = check(tcp_monitor(host, 80))
    assert (outcome.ok, outcome.detail) == (False, f"refused address {host} (link-local)")


def test_no_host_or_port_is_down():
    assert check(tcp_monitor("", 80)).detail == "no host or port to check"
    assert check(tcp_monitor("127.0.0.1", None)).detail == "no host or port to check"
