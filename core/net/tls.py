"""TLS: the shared client contexts checks wrap their sockets with."""

import os
import ssl
from functools import lru_cache

HTTP_ALPN = ("http/1.1",)  # what urllib3 offers (it sets it on every connection; see _SharedContext)


def tls_context(*, verify, alpn=()):
    """A shared client context. Verifying ones trust the system store (or, as OpenSSL does,
    SSL_CERT_FILE / SSL_CERT_DIR instead) plus REQUESTS_CA_BUNDLE if set. The variables
    are read at each call, so a change is seen at once."""
    env = tuple(os.environ.get(name, "") for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"))
    return _tls_context(verify, tuple(alpn), *env)


class _SharedContext(ssl.SSLContext):
    """Shared by concurrent checks, so nothing may change it once made: urllib3 sets ALPN
    on every connection, which would free a buffer another thread may be copying."""

    def set_alpn_protocols(self, protocols):
        pass  # fixed when made (HTTP_ALPN for http checks, none for tls checks)


@lru_cache(maxsize=8)
def _tls_context(verify, alpn, bundle, cert_file, cert_dir):
    context = _SharedContext(ssl.PROTOCOL_TLS_CLIENT)
    if alpn:
        ssl.SSLContext.set_alpn_protocols(context, alpn)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context.load_default_certs()  # the system store, or what SSL_CERT_FILE / SSL_CERT_DIR name
    if bundle:
        context.load_verify_locations(bundle)
    if not context.cert_store_stats()["x509_ca"] and not cert_dir:
        import certifi  # no system store (a slim image): fall back to requests' bundle

        context.load_verify_locations(certifi.where())
    return context
