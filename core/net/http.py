"""HTTP through the door: a requests Session whose every connection goes through `connect()`,
and a capped read of a streamed body that fails the way requests does."""

import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3 import exceptions as urllib3_errors
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from .addresses import blocked_reason, connect
from .tls import HTTP_ALPN, tls_context


def http_session(deadline, *, verify, policy=blocked_reason):
    """A fresh Session for one check (or one delivery, with the channel policy): no
    environment proxies or .netrc, no redirect following of its own (see `CheckSession`),
    every connection through `connect()` with `policy`."""
    session = CheckSession()
    session.trust_env = False
    session.verify = verify
    adapter = _GuardedAdapter(deadline, tls_context(verify=verify, alpn=HTTP_ALPN), policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def read_capped(response, limit):
    """Up to `limit` bytes of a streamed response's body.

    `response.raw.read` raises urllib3's own errors, which are no RequestException: a body
    cut by the deadline's reaper (ProtocolError) or a read that timed out (ReadTimeoutError)
    would escape a caller's `except requests.RequestException` as a crash. They come out
    as the requests errors `iter_content` raises for the same failures."""
    try:
        return response.raw.read(limit, decode_content=True) or b""
    except urllib3_errors.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc, response=response) from exc
    except urllib3_errors.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc, response=response) from exc
    except urllib3_errors.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc, response=response) from exc
    except urllib3_errors.HTTPError as exc:
        raise requests.exceptions.ConnectionError(exc, response=response) from exc


class CheckSession(requests.Session):
    """requests reads a redirect's whole body before following it (even with
    allow_redirects=False); this session follows none, so the checker can close each
    redirect response unread and follow the Location itself."""

    def get_redirect_target(self, resp):
        return None

    def location(self, resp):
        """Where a redirect response points (None if it is not one)."""
        return super().get_redirect_target(resp)


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, deadline, ssl_context, policy):
        self._deadline, self._ssl_context, self._policy = deadline, ssl_context, policy
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        self.poolmanager = _GuardedPoolManager(
            num_pools=connections, maxsize=maxsize, block=block, deadline=self._deadline, policy=self._policy,
            **pool_kwargs,
        )

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        pool_kwargs["ssl_context"] = self._ssl_context  # matches `verify`, so urllib3 changes nothing
        return host_params, pool_kwargs


class _GuardedPoolManager(PoolManager):
    def __init__(self, *args, deadline, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        self._deadline, self._policy = deadline, policy

    def _new_pool(self, scheme, host, port, request_context=None):
        pool = super()._new_pool(scheme, host, port, request_context)
        # handed to every connection the pool makes
        pool.conn_kw.update(deadline=self._deadline, policy=self._policy)
        return pool


class _GuardedConnection:
    """Opens its socket with `connect()`; urllib3 does the rest (TLS with SNI and hostname
    checks against the URL's host, which `connect()` never changes)."""

    def __init__(self, *args, deadline, policy, **kwargs):
        self._deadline, self._policy = deadline, policy
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        try:
            return connect(self._dns_host, self.port, deadline=self._deadline, policy=self._policy)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class _HTTPConnection(_GuardedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection

    def _validate_conn(self, conn):
        # As urllib3's, without its InsecureRequestWarning: tls_verify off is an admin's choice.
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()
