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

CLOUD_METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
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
    there) is refused unless settings.CHECKS_ALLOW_LINK_LOCAL.
    """
    ip = _ip(address)
    if reason := _never_a_service(ip):
        return reason
    if settings.CHECKS_ALLOW_LINK_LOCAL:
        return None
    if ip.is_link_local:
        return "link-local"
    if ip in CLOUD_METADATA:
        return "cloud metadata"
    return None


def channel_blocked_reason(address):
    """Why a notification channel may not connect to `address`, or None.

    Channel targets are typed in by people and reached from inside the network, so
    only public addresses are allowed: loopback, private (RFC 1918, ULA, CGNAT …) and
    link-local are refused unless settings.CHANNELS_ALLOW_PRIVATE_IPS. Cloud metadata,
    multicast and unspecified addresses are refused whatever the setting.
    """
    ip = _ip(address)
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


def _ip(address):
    """The address as an ipaddress object, an IPv4-mapped IPv6 address as the IPv4 one."""
    ip = ipaddress.ip_address(address)
    return getattr(ip, "ipv4_mapped", None) or ip


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
