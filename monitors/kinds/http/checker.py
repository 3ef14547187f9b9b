"""HTTP(S): status code, keyword, redirects — the whole exchange inside one total deadline."""

from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from core import net
from monitors.checks.base import Outcome
from monitors.status_spec import format_status_spec, parse_status_spec, status_matches

USER_AGENT = "Vigil/0.1 (+monitoring)"
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
BASE_HEADERS = {"User-Agent": USER_AGENT, "Connection": "close"}


class Failed(Exception):
    """A check failure found by the checker itself (not a connection error)."""


def check(monitor, now=None):
    """Request `monitor.url` and judge the final response.

    response_time_ms is the time from the start of the check to the final response's
    headers: DNS, connect, TLS and any redirects included, the body not. `monitor.timeout`
    bounds everything, the body too; at most settings.CHECK_BODY_LIMIT bytes are read.
    """
    try:
        ranges = parse_status_spec(monitor.expected_status)
    except ValueError as exc:
        return Outcome.down(f"bad expected status: {exc}")
    with net.Deadline(monitor.timeout) as deadline, net.http_session(deadline, verify=monitor.tls_verify) as session:
        try:
            response, redirects = _fetch(session, monitor, deadline)
            with response:
                elapsed = deadline.elapsed_ms()
                body, complete = _read_body(response, monitor)
        except Failed as exc:
            return Outcome.down(str(exc), response_time_ms=deadline.elapsed_ms())
        except (requests.RequestException, OSError, ValueError) as exc:  # ValueError: a bad URL
            return Outcome.down(net.describe_error(exc, deadline), response_time_ms=deadline.elapsed_ms())
    if deadline.fired:  # what was read ended because the reaper cut the connection
        return Outcome.down(deadline.detail, response_time_ms=deadline.elapsed_ms())
    return _verdict(monitor, response, body, complete, ranges, elapsed, redirects)


def _fetch(session, monitor, deadline):
    """The first response that is not a redirect, and how many redirects led to it.

    Redirects are followed here, not by requests, so their bodies are never read.
    """
    if urlsplit(monitor.url).scheme.lower() not in ("http", "https"):
        raise Failed("only http:// and https:// URLs can be checked")
    hop = {
        "method": monitor.method or "GET",
        "url": monitor.url,
        "data": monitor.body.encode() if monitor.method == "POST" else None,
        "headers": {**BASE_HEADERS, **(monitor.headers or {})},
        "auth": (monitor.auth_user, monitor.auth_password) if monitor.auth_user else None,
    }
    for redirects in range(MAX_REDIRECTS + 1):
        left = deadline.left()
        response = session.request(**hop, timeout=(left, left), stream=True, allow_redirects=False)
        location = session.location(response)
        if location is None:
            return response, redirects
        response.close()
        hop = _follow(session, hop, response.status_code, location)
    raise Failed(f"too many redirects (more than {MAX_REDIRECTS})")


def _follow(session, hop, status, location):
    """The request a redirect asks for. Credentials and custom headers stay on their own
    site; 303 becomes GET, and so do 301/302 after a POST (as browsers do)."""
    try:
        url = urljoin(hop["url"], location)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        raise Failed("redirect to an invalid URL") from None
    if scheme not in ("http", "https"):
        raise Failed(f"redirect to unsupported scheme '{scheme}'")
    following = {**hop, "url": url}
    if session.should_strip_auth(hop["url"], url):
        following.update(headers=dict(BASE_HEADERS), auth=None)
    if (status == 303 and hop["method"] != "HEAD") or (status in (301, 302) and hop["method"] == "POST"):
        following.update(method="GET", data=None)
    return following


def _read_body(response, monitor):
    """Up to the body limit, then stop: the connection is closed, not drained."""
    if monitor.method == "HEAD":
        return b"", True
    limit = settings.CHECK_BODY_LIMIT
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            return b"".join(chunks)[:limit], False
    return b"".join(chunks), True


def _verdict(monitor, response, body, complete, ranges, elapsed, redirects):
    code = response.status_code
    facts = {"status_code": code, "redirects": redirects}
    if not status_matches(code, ranges):
        expected = format_status_spec(monitor.expected_status) or "200-399"
        return Outcome.down(f"status {code} (expected {expected})", response_time_ms=elapsed, **facts)
    text = _text(body, response)
    where = "" if complete else f" in the first {len(body) // 1024} KiB"
    if monitor.keyword and monitor.keyword not in text:
        return Outcome.down(f"keyword '{monitor.keyword}' not found{where}", response_time_ms=elapsed, **facts)
    if monitor.keyword_absent and monitor.keyword_absent in text:
        return Outcome.down(f"keyword '{monitor.keyword_absent}' found", response_time_ms=elapsed, **facts)
    return Outcome.up(response_time_ms=elapsed, detail=f"status {code}", **facts)


def _text(body, response):
    """The body as text: the declared charset, else UTF-8 (not requests' Latin-1 guess)."""
    declared = "charset" in response.headers.get("Content-Type", "").lower()
    try:
        return body.decode(declared and response.encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
