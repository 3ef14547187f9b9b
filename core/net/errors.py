"""Errors: a short, human description of why a connection failed."""

import http.client
import os
import socket
import ssl

import requests

from .addresses import BlockedAddress, NameNotResolved


def describe_error(exc, deadline):
    """A short, human reason for a failed connection, without URLs (they may hold secrets)."""
    if deadline.expired:
        return deadline.detail
    causes = list(_causes(exc))
    for kind, describe in _DESCRIPTIONS:
        for cause in causes:
            if isinstance(cause, kind):
                return describe(cause)
    errno_cause = next((c for c in causes if isinstance(c, OSError) and c.errno), None)
    if errno_cause is not None:
        return os.strerror(errno_cause.errno).lower()
    return f"connection failed ({type(causes[-1]).__name__})"


_DESCRIPTIONS = [
    (BlockedAddress, str),
    (socket.gaierror, lambda e: e.strerror if isinstance(e, NameNotResolved) else "could not resolve host"),
    (ConnectionRefusedError, lambda e: "connection refused"),
    (ssl.SSLCertVerificationError, lambda e: f"certificate not trusted: {e.verify_message or e.reason}"),
    (ssl.SSLError, lambda e: f"TLS error: {(e.reason or str(e)).lower().replace('_', ' ')}"),
    (http.client.RemoteDisconnected, lambda e: "connection closed without a response"),
    (ConnectionResetError, lambda e: "connection reset by the server"),
    (TimeoutError, lambda e: "timed out"),
    (requests.exceptions.Timeout, lambda e: "timed out"),
    (requests.exceptions.ChunkedEncodingError, lambda e: "connection closed before the body ended"),
    (http.client.HTTPException, lambda e: "invalid HTTP response"),
    ((requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema), lambda e: "invalid URL"),
    (requests.exceptions.ConnectionError, lambda e: "connection closed by the server"),
]


def _causes(exc):
    """`exc` and everything it wraps (requests → urllib3 → OSError chains), outermost first."""
    seen, queue = set(), [exc]
    while queue:
        current = queue.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        queue += [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]
