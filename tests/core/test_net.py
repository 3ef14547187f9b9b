"""core.net: the address policy, connect(), the deadline reaper, error descriptions.

Only loopback is ever connected to; refused addresses are refused before any socket exists.
"""

import socket
import threading
import time

import pytest
import requests

from core import net
from tests.support.fixtures_targets import silent_port, tls_server, trusted_ca  # noqa: F401 (fixtures)
from tests.support.servers import free_port

REFUSED = [
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local"),
    ("::ffff:169.254.169.254", "link-local"),
    ("fd00:ec2::254", "cloud metadata"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
]
ALLOWED = ["127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd12:3456::1", "93.184.216.34"]


@pytest.mark.parametrize("address, reason", REFUSED)
def test_policy_refuses_link_local_metadata_multicast_and_unspecified(address, reason):
    assert net.blocked_reason(address) == reason


@pytest.mark.parametrize("address", ALLOWED)
def test_policy_allows_loopback_private_and_public(address):
    assert net.blocked_reason(address) is None


def test_the_setting_allows_link_local_but_never_multicast_or_unspecified(settings):
    settings.CHECKS_ALLOW_LINK_LOCAL = True
    assert net.blocked_reason("169.254.169.254") is None
    assert net.blocked_reason("::ffff:169.254.169.254") is None
    assert net.blocked_reason("fd00:ec2::254") is None
    assert net.blocked_reason("224.0.0.1") == "multicast"
    assert net.blocked_reason("0.0.0.0") == "unspecified"


@pytest.mark.parametrize("host", ["169.254.169.254", "::ffff:169.254.169.254", "[fe80::1]", "0.0.0.0"])
def test_connect_refuses_by_policy_before_connecting(host):
    with net.Deadline(5) as deadline:
        with pytest.raises(net.BlockedAddress, match=r"^refused address .+ \((link-local|unspecified)\)$"):
            net.connect(host, 80, deadline=deadline)
    assert not deadline._scheduled  # no socket was ever made, so none was watched


@pytest.mark.parametrize("host", ["nothing.invalid", "Deeper.Nothing.INVALID.", "invalid"])
def test_reserved_invalid_names_fail_without_asking_dns(host):
    with net.Deadline(1) as deadline, pytest.raises(net.NameNotResolved) as caught:
        net.resolve(host, 80, deadline=deadline)
    assert caught.value.strerror == f"could not resolve host '{host}'"


def test_connect_reaches_a_loopback_port(silent_port):
    with net.Deadline(2) as deadline:
        with net.connect("127.0.0.1", silent_port, deadline=deadline) as sock:
            assert sock.getpeername() == ("127.0.0.1", silent_port)
            assert 0 < sock.gettimeout() <= 2


def test_connect_reports_refusal():
    with net.Deadline(2) as deadline, pytest.raises(ConnectionRefusedError):
        net.connect("127.0.0.1", free_port(), deadline=deadline)


def test_the_reaper_ends_a_blocked_read_at_the_deadline(silent_port):
    with net.Deadline(0.5) as deadline:
        sock = net.connect("127.0.0.1", silent_port, deadline=deadline)
        sock.settimeout(5)  # a per-read timeout far away: only the reaper can end this read early
        started = time.monotonic()
        with sock:
            data = sock.recv(1)
    assert data == b""
    assert deadline.fired
    assert time.monotonic() - started < 1.0


def test_the_reaper_ends_a_blocked_read_on_a_tls_socket(trusted_ca, tls_server):
    server = tls_server(trusted_ca.issue_cert("127.0.0.1"))
    with net.Deadline(0.8) as deadline:
        sock = net.connect("127.0.0.1", server.port, deadline=deadline)
        with net.tls_context(verify=True).wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            tls.settimeout(5)
            started = time.monotonic()
            data = tls.recv(1)  # the server waits for a request that never comes
    assert data == b""
    assert time.monotonic() - started < 1.0


def test_a_later_deadline_does_not_delay_an_earlier_one(silent_port):
    with net.Deadline(5) as slow, net.Deadline(0.3) as fast:
        first = net.connect("127.0.0.1", silent_port, deadline=slow)
        second = net.connect("127.0.0.1", silent_port, deadline=fast)
        second.settimeout(3)
        started = time.monotonic()
        with first, second:
            assert second.recv(1) == b""
            assert time.monotonic() - started < 0.8
            assert not slow.fired


def test_a_finished_deadline_leaves_its_socket_alone(silent_port):
    with net.Deadline(0.2) as deadline:
        sock = net.connect("127.0.0.1", silent_port, deadline=deadline)
    time.sleep(0.4)
    with sock:
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):  # still connected (a shut-down socket would read b"")
            sock.recv(1)
    assert not deadline.fired


def test_one_reaper_thread_serves_many_deadlines(silent_port):
    deadlines = [net.Deadline(0.2 + i / 100) for i in range(20)]
    sockets = [net.connect("127.0.0.1", silent_port, deadline=d) for d in deadlines]
    time.sleep(0.6)
    try:
        assert all(d.fired for d in deadlines)
        reapers = [t for t in threading.enumerate() if t.name == "vigil-deadline-reaper"]
        assert len(reapers) == 1
    finally:
        for sock, deadline in zip(sockets, deadlines):
            sock.close()
            deadline.close()


def test_left_raises_once_the_time_is_up():
    deadline = net.Deadline(0.1)
    assert 0 < deadline.left() <= 0.1
    time.sleep(0.15)
    assert deadline.expired
    with pytest.raises(net.DeadlineExceeded, match=r"^timed out after 0\.1s$"):
        deadline.left()


@pytest.mark.parametrize(
    "error, detail",
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (socket.gaierror(-2, "Name or service not known"), "could not resolve host"),
        (net.BlockedAddress("169.254.169.254", "link-local"), "refused address 169.254.169.254 (link-local)"),
        (OSError(113, "No route to host"), "no route to host"),
        (requests.ConnectionError("HTTPConnectionPool(host='h'): Max retries exceeded with url: /?token=s3cret"),
         "connection closed by the server"),
    ],
)
def test_errors_are_described_shortly_and_without_urls(error, detail):
    with net.Deadline(5) as deadline:
        assert net.describe_error(error, deadline) == detail


def test_a_wrapped_cause_is_found():
    try:
        try:
            raise net.BlockedAddress("fe80::1", "link-local")
        except OSError as inner:
            raise requests.ConnectionError("wrapper") from inner
    except requests.ConnectionError as outer:
        with net.Deadline(5) as deadline:
            assert net.describe_error(outer, deadline) == "refused address fe80::1 (link-local)"


def test_any_error_after_the_deadline_is_a_timeout():
    deadline = net.Deadline(0.1)
    time.sleep(0.15)
    assert net.describe_error(ConnectionResetError(), deadline) == "timed out after 0.1s"


def test_deadlines_that_end_early_do_not_pile_up_in_the_reaper():
    left, right = socket.socketpair()
    with left, right:
        for _ in range(3000):
            with net.Deadline(60) as deadline:
                deadline.watch(left)
    assert len(net.deadline._reaper._heap) <= 1001  # the reaper lives in monitors/net/deadline.py


# IPv4 addresses carried inside IPv6 ones are judged as the IPv4 address itself.
TEREDO_TO_LINK_LOCAL = "2001:0:4136:e378:8000:63bf:5601:5601"  # client 169.254.169.254 (XOR 0xffffffff)
WRAPPED = [
    ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64, well-known prefix
    ("64:ff9b:1::a9fe:a9fe", "169.254.169.254"),  # NAT64, local-use prefix
    ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4
    (TEREDO_TO_LINK_LOCAL, "169.254.169.254"),  # Teredo client
    ("2001:0:a9fe:a9fe::1", "169.254.169.254"),  # Teredo server
    ("::a9fe:a9fe", "169.254.169.254"),  # IPv4-compatible
]
WRAPPED_PRIVATE = ["64:ff9b::7f00:1", "64:ff9b:1::a00:1", "2002:c0a8:101::1", "::10.1.2.3", "::ffff:127.0.0.1"]


@pytest.mark.parametrize("address, ipv4", WRAPPED)
def test_checks_refuse_ipv4_inside_nat64_6to4_teredo_and_compatible_addresses(address, ipv4):
    assert net.blocked_reason(address) == net.blocked_reason(ipv4) == "link-local"


@pytest.mark.parametrize("address", ["168.63.129.16", "192.0.0.192", "64:ff9b::a83f:8110", "2002:c000:c0::1"])
def test_checks_refuse_azure_and_oracle_metadata_addresses(address):
    assert net.blocked_reason(address) == "cloud metadata"


@pytest.mark.parametrize("address, ipv4", WRAPPED)
def test_channels_refuse_ipv4_inside_nat64_6to4_teredo_and_compatible_addresses(settings, address, ipv4):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) == net.channel_blocked_reason(ipv4) is not None


@pytest.mark.parametrize("address", WRAPPED_PRIVATE)
def test_channels_refuse_private_ipv4_inside_ipv6(settings, address):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) in {"loopback", "private"}


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "::ffff:93.184.216.34"])
def test_channels_allow_public_ipv4_inside_ipv6(settings, address):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) is None


@pytest.mark.parametrize("host", ["64:ff9b::7f00:1", "[2002:7f00:1::1]"])
def test_connect_with_the_channel_policy_refuses_loopback_inside_ipv6_before_connecting(settings, host):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    with net.Deadline(2) as deadline, pytest.raises(net.BlockedAddress, match=r"\(loopback\)$"):
        net.connect(host, 80, deadline=deadline, policy=net.channel_blocked_reason)
    assert not deadline._scheduled
