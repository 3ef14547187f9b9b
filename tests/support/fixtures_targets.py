"""Fixtures for the checker tests: TLS certificates and servers, a silent TCP port, PostgreSQL.

Test modules import the fixtures they use by name.
"""

import datetime
import ipaddress
import socket

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import TCPListener, TLSTarget

POSTGRES = ("127.0.0.1", 5432)
POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def days_from_now(days):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


@pytest.fixture
def trusted_ca(tmp_path, monkeypatch):
    """A test CA that checks trust, through SSL_CERT_FILE (the standard OpenSSL variable)."""
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return ca


@pytest.fixture
def tls_server(tmp_path):
    """start(cert) → a running TLSTarget serving `cert` (a trustme LeafCert or (cert, key) PEMs)."""
    started = []

    def start(cert):
        cert_file, key_file = tmp_path / f"cert{len(started)}.pem", tmp_path / f"key{len(started)}.pem"
        if isinstance(cert, tuple):
            cert_file.write_bytes(cert[0])
            key_file.write_bytes(cert[1])
        else:
            cert.cert_chain_pems[0].write_to_path(str(cert_file))
            for extra in cert.cert_chain_pems[1:]:
                extra.write_to_path(str(cert_file), append=True)
            cert.private_key_pem.write_to_path(str(key_file))
        target = TLSTarget(cert_file, key_file).start()
        started.append(target)
        return target

    yield start
    for target in started:
        target.stop()


def self_signed(name="127.0.0.1"):
    """(certificate PEM, key PEM) for a self-signed certificate valid for `name` (an IP)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self-signed test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(days_from_now(-1))
        .not_valid_after(days_from_now(90))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(name))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never says a word."""
    listener = TCPListener().start()
    yield listener.port
    listener.stop()


@pytest.fixture(scope="session")
def postgres_dsn():
    """The machine's PostgreSQL (trust auth); the tests using it skip if it does not answer."""
    try:
        socket.create_connection(POSTGRES, timeout=1).close()
    except OSError:
        pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432")
    return POSTGRES_DSN


@pytest.fixture
def full_backlog_port():
    """A loopback port whose accept queue is full: a new connection is never completed."""
    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    port, fillers = server.getsockname()[1], []
    for _ in range(8):
        filler = socket.socket()
        filler.settimeout(0.2)
        try:
            filler.connect(("127.0.0.1", port))
        except TimeoutError:
            filler.close()
            break
        fillers.append(filler)
    else:
        pytest.skip("this system completes every connection; cannot make connect hang")
    yield port
    for filler in fillers:
        filler.close()
    server.close()
