"""New Sentry issues: every minute, each project's unresolved issues are listed
(`projects/{org}/{project}/issues/?query=is:unresolved`, up to SENTRY_ISSUE_PAGES pages
through Sentry's `Link` cursors) and each issue Vigil has not seen is announced as a
`sentry_new_issue` event (title, culprit, count, level, permalink, short id), which opens
an incident for that issue ("new error types → immediate").

What a project has shown is kept in its KnownSentryIssues row, so a restart or a second
cluster announces nothing twice. A project's first poll (it has no row yet: it is new to
Vigil, or Vigil is new) records the issues already there and announces none of them.
When the listing is complete, the known ids become the listed ones, so an issue resolved
in Sentry and then back (a regression) is announced again; when there were more pages
than Vigil reads, known ids are only added to.
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests.utils import parse_header_links

from incidents.events import NewEvent, receive_events
from portal.models import KnownSentryIssues
from portal.sentry.error_rate import register_sources, source_key
from portal.sentry.event_kinds import NEW_ISSUE
from portal.sentry.stats import SentryUnavailable, get, refusal, sentry_config, sentry_session

log = logging.getLogger(__name__)


def poll_new_issues(now=None):
    """Periodic: announce each project's new issues; returns their short ids. A project
    Sentry fails for is logged and tried again at the next run."""
    config = sentry_config()
    if config is None:
        return []
    now = now or timezone.now()
    register_sources(config.slugs)
    announced = []
    for slug in config.slugs:
        try:
            issues, complete = unresolved_issues(config, slug)
        except SentryUnavailable as exc:
            log.warning("New issues of %s not checked: %s", slug, exc)
            continue
        announced += _record(slug, issues, complete, now)
    return announced


def unresolved_issues(config, slug):
    """(issues, complete): the project's unresolved issues from up to SENTRY_ISSUE_PAGES
    pages, and whether that was all of them."""
    params = {"query": "is:unresolved"}
    if config.environment:
        params["environment"] = config.environment
    issues = []
    with sentry_session() as (session, deadline):
        for _page in range(settings.SENTRY_ISSUE_PAGES):
            code, body, headers = get(session, deadline, config, config.issues_url(slug), params)
            if code != 200:
                raise SentryUnavailable(refusal(config, slug, code))
            issues += _issues(slug, body)
            cursor = next_cursor(headers.get("Link", ""))
            if cursor is None:
                return issues, True
            params = {**params, "cursor": cursor}
    return issues, False


def next_cursor(link):
    """The cursor of the next page when Sentry says it has results (`results="true"`)."""
    for found in parse_header_links(link):
        if found.get("rel") == "next" and found.get("results") == "true" and found.get("cursor"):
            return found["cursor"]
    return None


def _issues(slug, body):
    try:
        issues = json.loads(body)
        if not isinstance(issues, list) or not all(isinstance(i, dict) and i.get("id") for i in issues):
            raise ValueError("not a list of issues")
    except ValueError:
        raise SentryUnavailable(f"Sentry's answer for project {slug} is not a list of issues") from None
    return issues


def _record(slug, issues, complete, now):
    """Announce the issues not known yet and remember every listed one; [short ids]."""
    KnownSentryIssues.objects.get_or_create(slug=slug)
    with transaction.atomic():
        known = KnownSentryIssues.objects.select_for_update().get(slug=slug)
        seen = set(known.issue_ids)
        listed = [str(issue["id"]) for issue in issues]
        new = [] if known.polled_at is None else [issue for issue in issues if str(issue["id"]) not in seen]
        known.issue_ids = listed if complete else [*known.issue_ids, *(i for i in listed if i not in seen)]
        known.polled_at = now
        known.save(update_fields=["issue_ids", "polled_at"])
        receive_events([new_issue_event(slug, issue, now) for issue in new])
    return [issue.get("shortId") or str(issue["id"]) for issue in new]


def new_issue_event(slug, issue, now):
    short_id = str(issue.get("shortId") or issue["id"])
    title, culprit = str(issue.get("title") or "(no title)"), str(issue.get("culprit") or "")
    level, permalink, count = str(issue.get("level") or ""), str(issue.get("permalink") or ""), _count(issue)
    detail = " · ".join(filter(None, [culprit, level, f"{count} events" if count is not None else "", permalink]))
    return NewEvent(
        kind=NEW_ISSUE,
        source_key=source_key(slug),
        severity="",  # the matching rule's (the critical tier), else the default
        summary=f"Sentry project {slug}: new issue {short_id}: {title}",
        dedup_key=f"sentry:{slug}:issue:{issue['id']}",
        occurred_at=now,
        details={"project": slug, "issue_id": str(issue["id"]), "short_id": short_id, "title": title,
                 "culprit": culprit, "count": count, "level": level, "permalink": permalink, "detail": detail},
    )


def _count(issue):
    """Sentry gives the count as a string of digits."""
    count = str(issue.get("count", ""))
    return int(count) if count.isdigit() else None
