"""The one door for outbound connections made by checks and notification channels.

- `connect()` resolves a name, refuses addresses by policy before any packet is sent,
  and connects within the time left. The policy is `blocked_reason` for checks (loopback
  and private allowed) or `channel_blocked_reason` for channels (public addresses only
  unless CHANNELS_ALLOW_PRIVATE_IPS).
- `Deadline` is a check's total time budget. Sockets it watches are shut down by one
  module-level reaper thread when the budget runs out, so a server that drips a byte a
  second cannot hold a check past its deadline (per-read timeouts alone cannot do that).
- `http_session()` is a requests Session whose every connection (each redirect hop
  included) goes through `connect()`; TLS still verifies the URL's hostname.
  `read_capped()` reads a streamed body up to a cap, failing with requests' errors only.
"""

from .addresses import BlockedAddress, NameNotResolved, blocked_reason, channel_blocked_reason, connect, resolve
from .deadline import Deadline, DeadlineExceeded
from .errors import describe_error
from .http import CheckSession, http_session, read_capped
from .tls import HTTP_ALPN, tls_context

__all__ = [
    "HTTP_ALPN",
    "BlockedAddress",
    "CheckSession",
    "Deadline",
    "DeadlineExceeded",
    "NameNotResolved",
    "blocked_reason",
    "channel_blocked_reason",
    "connect",
    "describe_error",
    "http_session",
    "read_capped",
    "resolve",
    "tls_context",
]
