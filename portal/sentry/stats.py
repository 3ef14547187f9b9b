"""Error counts read from Sentry's API: the dashboard's 24-hour figures and hourly trend
(`error_stats`) and the short-window counts behind `error_rate` events (`project_counts`),
for the projects of `sentry_config()` and, when SENTRY_ENVIRONMENT is set, that
environment only (`environment=`).

Sentry's project stats endpoint answers `[[timestamp, count], …]`, one pair per bucket of
the resolution asked for (10s, 1h or 1d), from the bucket holding `since` to now; a total
is the sum of every bucket, so it may reach up to one bucket further back than `since`.

Requests go through `core.net` with the channels' address policy: Sentry's API is on the
internet, so loopback, private and link-local addresses are refused (as for a Slack
webhook) unless CHANNELS_ALLOW_PRIVATE_IPS is set, say for a self-hosted Sentry on the
local network; cloud metadata addresses are refused whatever the setting. The token
travels in the Authorization header only: never in a URL, an answer, an error or a log.
"""

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core import net
from portal.models import SentryProject, default_label

USER_AGENT = "Vigil/0.1 (+sentry-stats)"
READ_CAP = 256 * 1024
FRESH_SECONDS = 60
DAY = timedelta(hours=24)
NOT_CONFIGURED = ("Sentry error stats are not configured: set SENTRY_AUTH_TOKEN and SENTRY_ORG, and add Sentry"
                  " projects (admin, `sentry_projects:`, or SENTRY_PROJECTS)")


class SentryUnavailable(Exception):
    """No figures to give; the message says why, in words fit for a super admin."""


@dataclass(frozen=True)
class Project:
    """A Sentry project as Vigil reads it: its slug, the label of its 24-hour figure in the
    API (`<label>_errors_24h`), and its error-rate rule (errors within `window` seconds)."""

    slug: str
    label: str
    error_threshold: int
    window: int


@dataclass(frozen=True)
class SentryConfig:
    token: str
    org: str
    projects: tuple  # of Project
    api_url: str
    environment: str = ""  # "" reads every environment

    @property
    def slugs(self):
        return tuple(project.slug for project in self.projects)

    def stats_url(self, project):
        return self._project_url(project, "stats")

    def issues_url(self, project):
        return self._project_url(project, "issues")

    def _project_url(self, project, endpoint):
        return f"{self.api_url}projects/{quote(self.org, safe='')}/{quote(project, safe='')}/{endpoint}/"

    def cache_key(self, name):
        """Keys per organisation, projects, labels, environment and URL (never the token), so
        a change of settings never shows the figures of the old ones."""
        where = "|".join([self.api_url, self.org, self.environment,
                          *(f"{project.slug}={project.label}" for project in self.projects)])
        return f"portal:sentry-stats:{name}:{hashlib.sha256(where.encode()).hexdigest()[:16]}"


def sentry_config():
    """The settings and the projects as one value, or None when they are not all set."""
    if not (settings.SENTRY_AUTH_TOKEN and settings.SENTRY_ORG):
        return None
    projects = configured_projects()
    if not projects:
        return None
    return SentryConfig(settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG, projects, settings.SENTRY_API_URL,
                        settings.SENTRY_STATS_ENVIRONMENT)


def configured_projects():
    """The SentryProject rows; with none, SENTRY_PROJECTS with the SENTRY_ERROR_* rule."""
    rows = SentryProject.objects.order_by("slug")
    if rows:
        return tuple(Project(row.slug, row.shown_label, row.error_threshold, row.window) for row in rows)
    slugs = dict.fromkeys(slug.strip() for slug in settings.SENTRY_PROJECTS if slug.strip())
    window = settings.SENTRY_ERROR_WINDOW_MINUTES * 60
    return tuple(Project(slug, default_label(slug), settings.SENTRY_ERROR_THRESHOLD, window) for slug in slugs)


def error_stats():
    """Errors received per project over the last 24 hours, read from Sentry at most once a
    minute (a failure too is remembered for a minute, so a Sentry that hangs does not hold
    every request). When Sentry fails, the last good answer marked `"stale": True` (with
    `error` saying why); SentryUnavailable if there is none, or when not configured."""
    config = sentry_config()
    if config is None:
        raise SentryUnavailable(NOT_CONFIGURED)
    answer = cache.get(config.cache_key("fresh"))
    if answer is None:
        answer = _fetch_or_last_good(config)
        cache.set(config.cache_key("fresh"), answer, FRESH_SECONDS)
    if "unavailable" in answer:
        raise SentryUnavailable(answer["unavailable"])
    return answer


def _fetch_or_last_good(config):
    """A new answer (kept without expiry as the last good one), the last good one marked
    stale, or {"unavailable": why} when there is none."""
    now = timezone.now()
    try:
        series = project_series(config, since=now - DAY, resolution="1h")
    except SentryUnavailable as exc:
        last = cache.get(config.cache_key("last-good"))
        if last is None:
            return {"unavailable": f"{exc}, and no earlier figures are kept"}
        return {**last, "stale": True, "error": str(exc)}
    projects = [
        {"slug": project.slug, "label": project.label, "errors_24h": _total(series[project.slug]),
         "hourly": series[project.slug]}
        for project in config.projects
    ]
    answer = {
        "success": True,
        "projects": projects,
        "total_24h": sum(project["errors_24h"] for project in projects),
        # The seed's keys, one per project: backend_errors_24h, frontend_errors_24h, …
        **{f"{project['label']}_errors_24h": project["errors_24h"] for project in projects},
        "updated_at": now.isoformat(),
        "stale": False,
    }
    cache.set(config.cache_key("last-good"), answer, None)
    return answer


def project_counts(config, *, since, resolution, slugs=None):
    """{project slug: events received since `since`} for these projects (None: all)."""
    return {slug: _total(buckets) for slug, buckets in project_series(config, since=since, resolution=resolution,
                                                                       slugs=slugs).items()}


def project_series(config, *, since, resolution, slugs=None):
    """{project slug: [[timestamp, count], …] oldest first} since `since`, asking Sentry once
    per project within one total deadline of SENTRY_API_TIMEOUT seconds; SentryUnavailable
    on any failure."""
    params = {"stat": "received", "resolution": resolution, "since": int(since.timestamp())}
    if config.environment:
        params["environment"] = config.environment
    with sentry_session() as (session, deadline):
        return {slug: _buckets(config, slug, get(session, deadline, config, config.stats_url(slug), params))
                for slug in (config.slugs if slugs is None else slugs)}


@contextmanager
def sentry_session():
    """(session, deadline) for requests to Sentry within SENTRY_API_TIMEOUT seconds in all."""
    with net.Deadline(settings.SENTRY_API_TIMEOUT) as deadline, net.http_session(
        deadline, verify=True, policy=net.channel_blocked_reason
    ) as session:
        yield session, deadline


def get(session, deadline, config, url, params):
    """(status code, body bytes, response headers) of one GET with the token, read up to READ_CAP."""
    headers = {"Authorization": f"Bearer {config.token}", "Accept": "application/json", "User-Agent": USER_AGENT}
    return _get(session, deadline, url, params, headers)


def _get(session, deadline, url, params, headers):
    """(status code, body bytes) of one GET, read up to READ_CAP."""
    try:
        left = deadline.left()
        response = session.get(url, params=params, headers=headers, timeout=(left, left), stream=True)
        with response:
            body = net.read_capped(response, READ_CAP)
            headers = response.headers
    except (requests.RequestException, OSError, ValueError) as exc:
        raise SentryUnavailable(f"Sentry could not be reached: {net.describe_error(exc, deadline)}") from None
    if deadline.fired:
        raise SentryUnavailable(f"Sentry could not be reached: {deadline.detail}")
    return response.status_code, body, headers


def _buckets(config, project, reply):
    """A stats answer's [timestamp, count] pairs, oldest first."""
    code, body, _headers = reply
    if code != 200:
        raise SentryUnavailable(refusal(config, project, code))
    try:
        buckets = json.loads(body)
        if not isinstance(buckets, list):
            raise ValueError("not a list")
        return sorted(_bucket(bucket) for bucket in buckets)
    except (ValueError, TypeError):
        raise SentryUnavailable(f"Sentry's answer for project {project} is not a list of [timestamp, count]") from None


def _bucket(bucket):
    timestamp, count = bucket
    for number in (timestamp, count):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError("not a count")
    return [timestamp, count]


def _total(buckets):
    return sum(count for _timestamp, count in buckets)


def refusal(config, project, code):
    if code in (401, 403):
        return f"Sentry refused the token ({code}): check SENTRY_AUTH_TOKEN and its project:read scope"
    if code == 404:
        return f"Sentry knows no project {project} in organization {config.org} (404)"
    if 300 <= code < 400:
        return f"Sentry answered {code} (a redirect; check SENTRY_API_URL)"
    return f"Sentry answered {code} for project {project}"
