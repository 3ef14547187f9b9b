"""Error-rate events: a Sentry project over its threshold opens one incident, back under
resolves it, each change emitted once (with real events, rules, channels and receivers)."""

import time

import pytest

from incidents.delivery import deliver_pending
from incidents.models import AlertRule, Channel, Event, Incident, Source
from portal.models import SentryProject
from portal.sentry.error_rate import check_error_rates
from tests.support.concurrency import at_once
from tests.support.receivers import SignedWebhook
from tests.portal.test_sentry_stats import ORG, TOKEN, SentryAPI

SECRET = "error-rate-signing-secret"


@pytest.fixture
def sentry_api(settings):
    """Projects web and worker; threshold 50 errors in 5 minutes (the defaults)."""
    api = SentryAPI().start()
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = TOKEN, ORG
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = ["web", "worker"], api.api_url()
    settings.SENTRY_ERROR_THRESHOLD, settings.SENTRY_ERROR_WINDOW_MINUTES = 50, 5
    api.answer("worker", counts=[0, 1])
    yield api
    api.stop()


@pytest.fixture
def webhook():
    receiver = SignedWebhook(SECRET).start()
    yield receiver
    receiver.stop()


def error_rate_events():
    return list(Event.objects.filter(kind__startswith="error_rate").order_by("pk").values_list("kind", "source_key"))


@pytest.mark.django_db(transaction=True)  # delivery sends from threads of its own
def test_over_the_threshold_opens_one_incident_and_back_under_resolves_it(sentry_api, webhook):
    hook = Channel.objects.create(name="hook", kind="webhook", url=webhook.url("/vigil"), signing_secret=SECRET)
    rule = AlertRule.objects.create(name="sentry", event_kinds=["error_rate", "error_rate_normal"], tags=["sentry"])
    rule.channels.add(hook)
    sentry_api.answer("web", counts=[30, 25])  # 55 ≥ 50

    assert check_error_rates() == ["web"]
    assert check_error_rates() == []  # still over: nothing new
    incident = Incident.objects.get()
    assert incident.dedup_key == "sentry:web:error_rate" and incident.source_key == "sentry:web"
    assert incident.status != Incident.Status.RESOLVED

    sentry_api.answer("web", counts=[49])
    assert check_error_rates() == ["web"]
    assert check_error_rates() == []
    deliver_pending()

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert error_rate_events() == [("error_rate", "sentry:web"), ("error_rate_normal", "sentry:web")]
    titles = webhook.titles()
    assert len(titles) == 2
    assert titles[0] == "Sentry project web: high error rate, 55 errors in the last 5 min (threshold 50)"
    assert titles[1].startswith("Sentry project web: error rate back to normal, 49 errors")


@pytest.mark.django_db
def test_it_asks_sentry_for_10_second_buckets_over_the_window(sentry_api, settings):
    settings.SENTRY_ERROR_WINDOW_MINUTES = 15
    sentry_api.answer("web", counts=[1])
    before = time.time()

    check_error_rates()

    query = sentry_api.requests[0]["query"]
    assert query["resolution"] == ["10s"] and query["stat"] == ["received"]
    assert before - 15 * 60 - 2 <= int(query["since"][0]) <= time.time() - 15 * 60 + 2


@pytest.mark.django_db
def test_each_project_becomes_a_source_rules_can_name(sentry_api):
    sentry_api.answer("web", counts=[1])

    check_error_rates()

    sources = Source.objects.filter(key__startswith="sentry:").order_by("key")
    assert [(s.key, s.kind, s.name, s.tags) for s in sources] == [
        ("sentry:web", Source.Kind.APP, "Sentry project web", ["sentry"]),
        ("sentry:worker", Source.Kind.APP, "Sentry project worker", ["sentry"]),
    ]
    assert all(source.routing_key is None for source in sources)


@pytest.mark.django_db
def test_when_sentry_fails_nothing_changes(sentry_api, caplog):
    sentry_api.answer("web", counts=[80])
    check_error_rates()
    sentry_api.answer("web", status=500, body=b"")

    assert check_error_rates() == []

    assert Incident.objects.get().status != Incident.Status.RESOLVED
    assert error_rate_events() == [("error_rate", "sentry:web")]
    assert "Error rates not checked: Sentry answered 500 for project web" in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.django_db
def test_without_configuration_the_job_does_nothing(settings):
    settings.SENTRY_AUTH_TOKEN = ""

    assert check_error_rates() == []
    assert not Source.objects.filter(key__startswith="sentry:").exists()


@pytest.mark.django_db
def test_an_incident_resolved_by_hand_while_still_over_is_opened_again(sentry_api):
    sentry_api.answer("web", counts=[60])
    check_error_rates()
    Incident.objects.update(status=Incident.Status.RESOLVED)

    assert check_error_rates() == ["web"]
    assert Incident.objects.exclude(status=Incident.Status.RESOLVED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_clusters_at_once_emit_a_change_once(sentry_api):
    sentry_api.answer("web", counts=[100])
    check_error_rates()  # sources exist; web is over
    sentry_api.answer("web", counts=[0])
    results = at_once(check_error_rates)

    assert sorted(results) == [[], [], [], ["web"]]
    assert error_rate_events() == [("error_rate", "sentry:web"), ("error_rate_normal", "sentry:web")]
    assert Incident.objects.get().status == Incident.Status.RESOLVED


@pytest.mark.django_db
def test_each_sentry_project_row_has_its_own_threshold_and_window(sentry_api):
    """The guide's rules: the backend at 50 errors in 5 minutes, the frontend at 100."""
    SentryProject.objects.create(slug="dutycall-backend", error_threshold=50, window=300)
    SentryProject.objects.create(slug="dutycall-frontend", error_threshold=100, window=600)
    sentry_api.answer("dutycall-backend", counts=[60])
    sentry_api.answer("dutycall-frontend", counts=[60])
    before = time.time()

    assert check_error_rates() == ["dutycall-backend"]  # 60 ≥ 50; 60 < 100

    since = {r["project"]: int(r["query"]["since"][0]) for r in sentry_api.requests}
    assert set(since) == {"dutycall-backend", "dutycall-frontend"}  # the rows, not SENTRY_PROJECTS
    assert before - 300 - 2 <= since["dutycall-backend"] <= time.time() - 300 + 2
    assert before - 600 - 2 <= since["dutycall-frontend"] <= time.time() - 600 + 2
    assert Event.objects.get().summary == (
        "Sentry project dutycall-backend: high error rate, 60 errors in the last 5 min (threshold 50)")
    sentry_api.answer("dutycall-frontend", counts=[100])
    assert check_error_rates() == ["dutycall-frontend"]


@pytest.mark.django_db
def test_sentry_environment_filters_the_error_rate(sentry_api, settings):
    settings.SENTRY_STATS_ENVIRONMENT = "production"
    sentry_api.answer("web", counts=[1])

    check_error_rates()

    assert [r["query"]["environment"] for r in sentry_api.requests] == [["production"], ["production"]]
