"""Address policies: which addresses checks (`blocked_reason`) and channels
(`channel_blocked_reason`) may connect to, resolving names within a deadline, and
`connect()`, the one way either opens a TCP connection.

A policy is a function of an address string returning why it is refused, or None.
"""

import ipaddress
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from .deadline import DeadlineExceeded

# AWS (IPv6), Alibaba, Azure's wire server and Oracle Cloud; 169.254.169.254 is link-local.
CLOUD_METADATA = {
    ipaddress.ip_address(address)
    for address in ("fd00:ec2::254", "100.100.100.200", "168.63.129.16", "192.0.0.192")
}
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
# RFC 6052's well-known prefix and RFC 8215's local-use one, read as /96 (the IPv4 address
# in the last 32 bits), the form NAT64 gateways and DNS64 use.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Link-local for checks (allowed with CHECKS_ALLOW_LINK_LOCAL), but never a channel's target.
CHANNEL_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("169.254.170.2")}


class BlockedAddress(OSError):
    """An address checks may not connect to (refused before any packet is sent)."""

    def __init__(self, address, reason):
        super().__init__(f"refused address {address} ({reason})")
        self.address, self.reason = address, reason


class NameNotResolved(socket.gaierror):
    pass


def blocked_reason(address):
    """Why checks may not connect to `address`, or None. Loopback and private are allowed.

    Multicast and unspecified are never a service; link-local (cloud metadata lives
    there) is refused unless settings.CHECKS_ALLOW_LINK_LOCAL. An IPv6 address that
    carries IPv4 addresses is judged by them (see `_judged`).
    """
    return _first_reason(_check_reason, address)


def channel_blocked_reason(address):
    """Why a notification channel may not connect to `address`, or None.

    Channel targets are typed in by people and reached from inside the network, so
    only public addresses are allowed: loopback, private (RFC 1918, ULA, CGNAT …) and
    link-local are refused unless settings.CHANNELS_ALLOW_PRIVATE_IPS. Cloud metadata,
    multicast and unspecified addresses are refused whatever the setting. An IPv6
    address that carries IPv4 addresses is judged by them (see `_judged`).
    """
    return _first_reason(_channel_reason, address)


def _first_reason(reason, address):
    return next(filter(None, map(reason, _judged(address))), None)


def _check_reason(ip):
    if reason := _never_a_service(ip):
        return reason
    if settings.CHECKS_ALLOW_LINK_LOCAL:
        return None
    if ip.is_link_local:
        return "link-local"
    if ip in CLOUD_METADATA:
        return "cloud metadata"
    return None


def _channel_reason(ip):
    if reason := _never_a_service(ip):
        return reason
    if ip in CLOUD_METADATA or ip in CHANNEL_METADATA:
        return "cloud metadata"
    if settings.CHANNELS_ALLOW_PRIVATE_IPS:
        return None
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private or not ip.is_global:
        return "private"
    return None


def _judged(address):
    """The addresses a policy judges: the IPv4 ones an IPv6 address carries, else itself.

    Packets to IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64, 6to4
    (2002::/16) and Teredo (2001::/32) addresses reach the IPv4 address inside (for
    Teredo, both the server and the client, whose address Python already de-obfuscates).
    """
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return [ip]
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip.teredo:
        return list(ip.teredo)
    if ip.sixtofour:
        return [ip.sixtofour]
    if any(ip in prefix for prefix in NAT64) or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return [ip]


def _never_a_service(ip):
    """What both policies refuse: unspecified and multicast addresses are never a service."""
    if ip.is_unspecified or (ip.version == 4 and ip in THIS_NETWORK):
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    return None


def resolve(host, port, *, deadline, policy=blocked_reason):
    """Allowed (family, sockaddr) pairs for host:port; BlockedAddress if none is allowed."""
    allowed, refused = [], None
    for family, _, _, _, sockaddr in _getaddrinfo(host, port, deadline):
        reason = policy(sockaddr[0])
        if reason:
            refused = refused or BlockedAddress(sockaddr[0], reason)
        elif (family, sockaddr) not in allowed:
            allowed.append((family, sockaddr))
    if not allowed:
        raise refused
    return allowed


def _getaddrinfo(host, port, deadline):
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    name = host.rstrip(".").lower()
    if name == "invalid" or name.endswith(".invalid"):  # RFC 6761: answer no without asking
        raise NameNotResolved(socket.EAI_NONAME, f"could not resolve host '{host}'")
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass  # a name, not an address literal: ask the resolver, within the time left
    future = _resolver().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=deadline.left())
    except TimeoutError:
        future.cancel()
        raise DeadlineExceeded(f"timed out resolving {host}") from None
    except socket.gaierror as exc:
        raise NameNotResolved(exc.errno, f"could not resolve host '{host}'") from exc


_resolver_lock = threading.Lock()
_resolver_pool = None


def _resolver():
    """getaddrinfo cannot be interrupted: a few threads run it so the caller can stop waiting."""
    global _resolver_pool
    with _resolver_lock:
        if _resolver_pool is None:
            _resolver_pool = ThreadPoolExecutor(
                # As many as checks in flight: slow lookups must not queue healthy ones.
                settings.CHECK_CONCURRENCY, thread_name_prefix="vigil-resolver"
            )
        return _resolver_pool


def connect(host, port, *, deadline, policy=blocked_reason):
    """A TCP socket connected to an address of host:port that `policy` allows, watched by `deadline`."""
    error = None
    for family, sockaddr in resolve(host, port, deadline=deadline, policy=policy):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.left())
            deadline.watch(sock)
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
            if deadline.expired:
                raise DeadlineExceeded(deadline.detail) from exc
    raise error


def _after_fork():
    global _resolver_pool, _resolver_lock
    _resolver_pool, _resolver_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_after_fork)
