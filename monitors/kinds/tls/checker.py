"""TLS: the certificate a server presents — trusted, for the right name, and not expiring."""

import math
import ssl
from datetime import datetime, timezone

from cryptography import x509

from core import net
from monitors.checks.base import Outcome


def check(monitor, now=None):
    """Handshake with host:port, naming `server_name` (or the host) for SNI and verification.

    If verification fails the handshake is repeated without it, to still read the
    certificate. response_time_ms is the time of the first connect and handshake.
    Expiring soon is still up (alerting looks at the `expiring` fact); expired is down,
    and so is an unverified chain or name while `tls_verify` is on.
    """
    if not monitor.host or not monitor.port:
        return Outcome.down("no host or port to check")
    name = (monitor.server_name or monitor.host).strip("[]")
    with net.Deadline(monitor.timeout) as deadline:
        try:
            der, verify_error, elapsed = _certificate(monitor.host, monitor.port, name, deadline)
        except (OSError, ValueError) as exc:
            return Outcome.down(net.describe_error(exc, deadline), response_time_ms=deadline.elapsed_ms())
    if not der:
        return Outcome.down("the server sent no certificate", response_time_ms=elapsed)
    facts, expired = certificate_facts(der, verify_error, monitor.expiry_warning_days)
    if expired:
        return Outcome.down(f"certificate expired on {facts['expires_at'][:10]}", response_time_ms=elapsed, **facts)
    if verify_error and monitor.tls_verify:
        return Outcome.down(f"certificate not trusted: {verify_error}", response_time_ms=elapsed, **facts)
    return Outcome.up(response_time_ms=elapsed, detail=_expires_in(facts["days_left"]), **facts)


def _certificate(host, port, name, deadline):
    """(DER certificate, verification error or "", ms of the first handshake)."""
    try:
        return _handshake(host, port, name, deadline, verify=True), "", deadline.elapsed_ms()
    except ssl.SSLCertVerificationError as exc:
        verify_error, elapsed = exc.verify_message or str(exc), deadline.elapsed_ms()
    return _handshake(host, port, name, deadline, verify=False), verify_error, elapsed


def _handshake(host, port, name, deadline, *, verify):
    sock = net.connect(host, port, deadline=deadline)
    with sock, net.tls_context(verify=verify).wrap_socket(sock, server_hostname=name) as tls:
        return tls.getpeercert(binary_form=True)


def certificate_facts(der, verify_error, warning_days, now=None):
    """The facts recorded for a certificate, and whether it has expired."""
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.now(timezone.utc)
    expires = cert.not_valid_after_utc
    days_left = math.floor((expires - now).total_seconds() / 86400)
    expired = now >= expires
    facts = {
        "expires_at": expires.isoformat(),
        "days_left": days_left,
        "issuer": cert.issuer.rfc4514_string(),
        "subject": cert.subject.rfc4514_string(),
        "chain_verified": not verify_error,
        "verify_error": verify_error,
        "expiring": not expired and days_left < warning_days,
    }
    return facts, expired


def _expires_in(days):
    return "certificate expires today" if days == 0 else f"certificate expires in {days} day{'s' * (days != 1)}"
