"""What Vigil's own Sentry events may carry: no secret, wherever sentry-sdk picked it up.

sentry-sdk records every outgoing request (a Slack webhook URL is its secret; a check URL
may carry a token in its query), every served request (a ping URL is its monitor's
secret, an acknowledgement link its token) and their headers and cookies, and a
long-lived django-q2 worker keeps breadcrumbs from one task to the next. So every
breadcrumb is scrubbed when it is recorded, and every event and transaction before it is
sent:

- a URL anywhere is reduced to its scheme and host (`https://hooks.slack.com`), except
  the served request's own `request.url`, which keeps its path with secret segments
  masked;
- `/ping/<uuid>`, `/ack/<token>` and any UUID are masked; query strings, fragments,
  cookies, SQL parameters and request bodies are dropped;
- headers that authenticate (`Authorization`, cookies, tokens, signatures, keys) are
  dropped.
"""

import re

FILTERED = "[Filtered]"

# Keys whose values are dropped wherever they appear in an event or breadcrumb.
DROPPED_KEYS = {"query_string", "http.query", "http.fragment", "cookies", "db.params"}
SECRET_HEADER_WORDS = ("auth", "cookie", "token", "secret", "signature", "key", "session", "csrf")

URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*)://(?:[^/\s?#@'\"<>]*@)?([^/\s?#@'\"<>]*)[^\s'\"<>]*")
SECRET_SEGMENT = re.compile(r"/(ping|ack)/(?!<)[^/\s?#'\"<>]+")
UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
QUERY = re.compile(r"(?<=[\w/.-])[?#][^\s'\"<>=]*=[^\s'\"<>]*")
URLLIB3_PATH = re.compile(r"(with url: )\S+")


def scrub_event(event, hint=None):
    """`before_send` and `before_send_transaction`: the event without secrets."""
    request = event.get("request")
    own_url = request.pop("url", None) if isinstance(request, dict) else None
    if isinstance(request, dict):
        request.pop("data", None)
    event = _scrub(event)
    if own_url is not None:
        event["request"]["url"] = scrub_own_url(own_url)
    return event


def scrub_breadcrumb(crumb, hint=None):
    """`before_breadcrumb`: the breadcrumb without secrets, before it is kept."""
    return _scrub(crumb)


def scrub_own_url(url):
    """A URL Vigil served, with its path kept but secret segments masked and no query."""
    return _mask(QUERY.sub("", url.split("?", 1)[0].split("#", 1)[0]))


def scrub_text(text):
    """Any other text: URLs reduced to scheme and host, secrets masked, queries dropped."""
    text = URL.sub(lambda match: f"{match[1]}://{match[2]}", text)
    return _mask(QUERY.sub("", URLLIB3_PATH.sub(rf"\1{FILTERED}", text)))


def _mask(text):
    return UUID.sub(FILTERED, SECRET_SEGMENT.sub(rf"/\1/{FILTERED}", text))


def _scrub(value, key=None):
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        if key == "headers":
            value = {name: header for name, header in value.items() if not _secret_header(name)}
        return {name: _scrub(item, name) for name, item in value.items() if name not in DROPPED_KEYS}
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def _secret_header(name):
    name = str(name).lower()
    return any(word in name for word in SECRET_HEADER_WORDS)
