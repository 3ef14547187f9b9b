"""Routing as pure functions: which rules match, which channels hear, how soon."""

from datetime import datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo

from incidents.models import AlertRule, Channel, Source
from incidents.routing import LoadedRule, due_at, kinds_routing, route, rule_matches

SLACK = Channel(pk=1, name="slack", enabled=True)
MAIL = Channel(pk=2, name="mail", enabled=True)
OFF = Channel(pk=3, name="off", enabled=False)
API = Source(pk=10, key="monitor:1", name="api", tags=["prod", "api"])
DB = Source(pk=11, key="monitor:2", name="db", tags=["staging"])


def rule(name="r", *, kinds=(), sources=(), tags=(), channels=(), all_channels=False, **fields):
    alert_rule = AlertRule(name=name, event_kinds=list(kinds), tags=list(tags), all_channels=all_channels, **fields)
    return LoadedRule(alert_rule, frozenset(source.pk for source in sources), tuple(channels))


def matches(loaded, kind="monitor_down", source=API, dedup_key=""):
    return rule_matches(loaded, kinds=kinds_routing(kind, dedup_key), source=source)


def routed(rules, kind="monitor_down", source=API, every=(SLACK, MAIL, OFF)):
    return route(rules, kind=kind, dedup_key="", source=source, every_channel=list(every))


def test_kinds_empty_means_every_kind():
    assert matches(rule(), "backup_failed")
    assert matches(rule(kinds=["monitor_down"]), "monitor_down")
    assert not matches(rule(kinds=["monitor_down"]), "backup_failed")


def test_a_rule_for_down_and_up_also_routes_flapping_notices():
    down_up = rule(kinds=["monitor_down", "monitor_up"])
    assert matches(down_up, "monitor_flapping")
    assert matches(down_up, "monitor_flapping_stopped")
    assert not matches(rule(kinds=["backup_failed"]), "monitor_flapping")


def test_the_end_of_a_slowness_goes_where_the_slowness_went():
    up_only = rule(kinds=["monitor_up"])
    slowness = rule(kinds=["monitor_degraded"])
    assert not matches(up_only, "monitor_up", dedup_key="monitor:1:degraded")
    assert matches(slowness, "monitor_up", dedup_key="monitor:1:degraded")
    assert matches(up_only, "monitor_up", dedup_key="monitor:1:down")


def test_sources_and_tags():
    assert matches(rule(sources=[API]))
    assert not matches(rule(sources=[API]), source=DB)
    assert matches(rule(tags=["prod"]))
    assert not matches(rule(tags=["prod"]), source=DB)
    assert matches(rule(sources=[DB], tags=["api"]))  # either names it
    assert matches(rule(), source=None)
    assert not matches(rule(tags=["prod"]), source=None)


def test_disabled_rules_never_match():
    assert not matches(rule(enabled=False))


def test_all_channels_means_every_enabled_one_and_disabled_channels_never_hear():
    assert set(routed([rule(all_channels=True)]).deliveries) == {SLACK, MAIL}
    assert set(routed([rule(channels=[SLACK, OFF])]).deliveries) == {SLACK}


def test_a_channel_hears_once_and_the_most_urgent_delivery_wins():
    result = routed(
        [
            rule("daily", channels=[SLACK, MAIL], delivery="daily"),
            rule("hourly", channels=[SLACK], delivery="hourly"),
            rule("all", all_channels=True, delivery="daily"),
        ]
    )
    assert result.deliveries == {SLACK: "hourly", MAIL: "daily"}
    assert [r.name for r in result.rules] == ["daily", "hourly", "all"]


def test_severity_and_runbook_come_from_the_matching_rules():
    result = routed(
        [
            rule("a", channels=[SLACK], severity="P2"),
            rule("b", channels=[MAIL], severity="P1", runbook_url="https://runbooks.example/api"),
            rule("c", tags=["nope"], severity="P0"),
        ]
    )
    assert result.severity == "P1"
    assert result.runbook_url == "https://runbooks.example/api"
    assert routed([rule()]).severity == ""


def test_due_times(settings):
    settings.DAILY_DIGEST_AT = "08:00"
    now = datetime(2026, 3, 5, 9, 17, 3, tzinfo=dt_timezone.utc)
    assert due_at("immediate", now) == now
    assert due_at("hourly", now) == datetime(2026, 3, 5, 10, 0, tzinfo=dt_timezone.utc)
    assert due_at("daily", now) == datetime(2026, 3, 6, 8, 0, tzinfo=dt_timezone.utc)
    early = datetime(2026, 3, 5, 7, 59, tzinfo=dt_timezone.utc)
    assert due_at("daily", early) == datetime(2026, 3, 5, 8, 0, tzinfo=dt_timezone.utc)


def test_the_daily_summary_is_at_the_hour_of_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.DAILY_DIGEST_AT = "08:30"
    now = datetime(2026, 7, 1, 7, 0, tzinfo=dt_timezone.utc)  # 09:00 in Paris
    assert due_at("daily", now) == datetime(2026, 7, 2, 8, 30, tzinfo=ZoneInfo("Europe/Paris"))
