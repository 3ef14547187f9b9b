"""New Sentry issues: each one is announced once (an event, an incident, a Slack message),
the issues already there when a project is first polled are not, and restarts or a second
run announce nothing twice. Against a loopback server shaped like Sentry's issues endpoint."""

import json

import pytest

from incidents.delivery import deliver_pending
from incidents.models import AlertRule, Channel, Event, Incident
from portal.models import KnownSentryIssues, SentryProject
from portal.schedules import PERIODIC_JOBS
from portal.sentry.issues import NEW_ISSUE, next_cursor, poll_new_issues
from tests.support.concurrency import at_once
from tests.support.receivers import SlackWebhook
from tests.portal.test_sentry_stats import ORG, TOKEN, SentryAPI


def issue(number, title="TypeError: x is undefined", **fields):
    return {
        "id": str(1000 + number), "shortId": f"BACKEND-{number}", "title": title, "culprit": "app/Http/Calls.php in dial",
        "count": "17", "level": "error", "permalink": f"https://sentry.example/organizations/{ORG}/issues/{1000 + number}/",
        "status": "unresolved", **fields,
    }


@pytest.fixture
def sentry_api(settings):
    api = SentryAPI().start()
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = TOKEN, ORG
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = [], api.api_url()
    SentryProject.objects.create(slug="dutycall-backend")
    yield api
    api.stop()


def new_issue_events():
    return list(Event.objects.filter(kind=NEW_ISSUE).order_by("pk").values_list("dedup_key", flat=True))


@pytest.mark.django_db
def test_the_first_poll_takes_the_issues_there_as_known(sentry_api):
    sentry_api.issues("dutycall-backend", [issue(1), issue(2)])

    assert poll_new_issues() == []

    assert new_issue_events() == []
    assert KnownSentryIssues.objects.get(slug="dutycall-backend").issue_ids == ["1001", "1002"]
    query = sentry_api.requests[0]["query"]
    assert query["query"] == ["is:unresolved"] and "environment" not in query
    assert sentry_api.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.django_db
def test_each_new_issue_is_announced_once_with_its_facts(sentry_api):
    sentry_api.issues("dutycall-backend", [issue(1)])
    poll_new_issues()
    sentry_api.issues("dutycall-backend", [issue(3, title="QueryException: deadlock"), issue(1)])

    assert poll_new_issues() == ["BACKEND-3"]
    assert poll_new_issues() == []  # still there: not new any more

    [event] = Event.objects.filter(kind=NEW_ISSUE)
    assert event.source_key == "sentry:dutycall-backend" and event.dedup_key == "sentry:dutycall-backend:issue:1003"
    assert event.summary == "Sentry project dutycall-backend: new issue BACKEND-3: QueryException: deadlock"
    assert event.details["count"] == 17 and event.details["level"] == "error"
    assert event.details["culprit"] == "app/Http/Calls.php in dial"
    assert event.details["permalink"].endswith("/issues/1003/")
    incident = Incident.objects.get()
    assert incident.dedup_key == event.dedup_key and incident.status != Incident.Status.RESOLVED


@pytest.mark.django_db
def test_known_issues_survive_a_restart(sentry_api):
    """What was seen is in the database, not in the process: a new process (here, the same
    call again with nothing in memory) announces nothing it already knew."""
    sentry_api.issues("dutycall-backend", [issue(1)])
    poll_new_issues()
    sentry_api.issues("dutycall-backend", [issue(1), issue(2)])
    poll_new_issues()

    assert poll_new_issues() == []
    assert new_issue_events() == ["sentry:dutycall-backend:issue:1002"]


@pytest.mark.django_db
def test_a_project_added_later_starts_from_what_it_has(sentry_api):
    sentry_api.issues("dutycall-backend", [issue(1)])
    poll_new_issues()
    SentryProject.objects.create(slug="dutycall-frontend")
    sentry_api.issues("dutycall-frontend", [issue(7), issue(8)])

    assert poll_new_issues() == []


@pytest.mark.django_db
def test_every_page_is_read_through_the_link_cursors(sentry_api):
    sentry_api.issues("dutycall-backend", [issue(1)], [issue(2)])
    poll_new_issues()
    sentry_api.issues("dutycall-backend", [issue(1)], [issue(2)], [issue(3)])

    assert poll_new_issues() == ["BACKEND-3"]
    cursors = [r["query"].get("cursor") for r in sentry_api.requests]
    assert cursors == [None, ["1"], None, ["1"], ["2"]]


@pytest.mark.django_db
def test_pages_stop_at_the_limit_and_known_ids_are_then_only_added_to(sentry_api, settings):
    settings.SENTRY_ISSUE_PAGES = 2
    sentry_api.issues("dutycall-backend", [issue(1)], [issue(2)], [issue(3)])
    poll_new_issues()
    assert KnownSentryIssues.objects.get().issue_ids == ["1001", "1002"]
    assert len(sentry_api.requests) == 2

    sentry_api.issues("dutycall-backend", [issue(4)], [issue(2)], [issue(1)])

    assert poll_new_issues() == ["BACKEND-4"]
    assert KnownSentryIssues.objects.get().issue_ids == ["1001", "1002", "1004"]


@pytest.mark.django_db
def test_an_issue_resolved_and_back_is_announced_again(sentry_api):
    sentry_api.issues("dutycall-backend", [issue(1), issue(2)])
    poll_new_issues()
    sentry_api.issues("dutycall-backend", [issue(2)])  # 1 resolved in Sentry
    poll_new_issues()
    sentry_api.issues("dutycall-backend", [issue(1), issue(2)])  # 1 regressed

    assert poll_new_issues() == ["BACKEND-1"]


@pytest.mark.django_db
def test_sentry_environment_filters_the_issues(sentry_api, settings):
    settings.SENTRY_STATS_ENVIRONMENT = "production"
    sentry_api.issues("dutycall-backend", [issue(1)])

    poll_new_issues()

    assert sentry_api.requests[0]["query"]["environment"] == ["production"]


@pytest.mark.django_db
@pytest.mark.parametrize("status, body", [(500, None), (200, b'{"detail": "x"}'), (200, b"<html>")])
def test_a_failing_sentry_announces_nothing_and_forgets_nothing(sentry_api, status, body):
    sentry_api.issues("dutycall-backend", [issue(1)])
    poll_new_issues()
    if body is None:
        sentry_api.issues("dutycall-backend", [issue(2)], status=status)
    else:
        sentry_api.target.route(f"/api/0/projects/{ORG}/dutycall-backend/issues/", body=body)

    assert poll_new_issues() == []
    assert KnownSentryIssues.objects.get().issue_ids == ["1001"]


def test_next_cursor_follows_sentrys_link_header():
    link = ('<https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:0:1>; rel="previous"; results="false"; '
            'cursor="0:0:1", <https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:100:0>; rel="next"; '
            'results="true"; cursor="0:100:0"')
    assert next_cursor(link) == "0:100:0"
    assert next_cursor(link.replace('results="true"', 'results="false"')) is None
    assert next_cursor("") is None


def test_the_poll_is_a_periodic_job_every_minute():
    [job] = [job for job in PERIODIC_JOBS if job.func == "portal.sentry.issues.poll_new_issues"]
    assert job.minutes == 1


@pytest.mark.django_db(transaction=True)  # delivery sends from threads of its own
def test_a_new_issue_reaches_slack_through_a_rule_on_its_kind(sentry_api):
    slack = SlackWebhook().start()
    try:
        channel = Channel.objects.create(name="alerts", kind="slack", url=slack.url("/services/T/B/x"))
        AlertRule.objects.create(name="critical", event_kinds=[NEW_ISSUE]).channels.add(channel)
        sentry_api.issues("dutycall-backend", [])
        poll_new_issues()
        sentry_api.issues("dutycall-backend", [issue(5, title="TwilioException: call failed", count="3")])

        poll_new_issues()
        deliver_pending()

        [body] = slack.bodies()
    finally:
        slack.stop()
    text = json.dumps(body)
    assert "new issue BACKEND-5: TwilioException: call failed" in text
    assert "app/Http/Calls.php in dial" in text and "3 events" in text and "error" in text
    assert "https://sentry.example/organizations/acme/issues/1005/" in text


@pytest.mark.django_db(transaction=True)
def test_two_clusters_at_once_announce_an_issue_once(sentry_api):
    sentry_api.issues("dutycall-backend", [issue(1)])
    poll_new_issues()
    sentry_api.issues("dutycall-backend", [issue(2), issue(1)])
    results = at_once(poll_new_issues)

    assert sorted(results) == [[], [], [], ["BACKEND-2"]]
    assert new_issue_events() == ["sentry:dutycall-backend:issue:1002"]


def test_the_kind_is_declared_by_its_source_so_rules_can_name_it():
    from incidents.admin.rules import AlertRuleForm
    from incidents.config import _event_kinds
    from incidents.event_kinds import EVENT_KINDS, PROBLEM

    assert (NEW_ISSUE, NEW_ISSUE) in AlertRuleForm.base_fields["event_kinds"].choices
    assert sorted(_event_kinds([NEW_ISSUE, "error_rate"])) == ["error_rate", NEW_ISSUE]
    assert EVENT_KINDS[NEW_ISSUE].role == PROBLEM  # it opens an incident
