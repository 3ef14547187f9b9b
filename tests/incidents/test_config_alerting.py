"""Config as code for alerting: `channels:`, `alert_rules:` and a monitor's `channels:` key."""

from importlib import import_module

import pytest
import yaml

from incidents.channels import KINDS, secret_names
from incidents.event_kinds import EVENT_KINDS
from incidents.sources.routing_keys import event_source_create
from incidents.models import AlertRule, Channel, Source
from monitors.models import Monitor
from tests.core.test_config import apply, apply_fails, export, write  # noqa: F401  (write is a fixture)

HOOK = "http://127.0.0.1:9/hooks/T000-Secret-4711"
SIGNING = "sign-Secret-0815"
TOKEN = "xoxb-Secret-2342"
# The rules a fresh install ships (the alert tiers, incidents migration 0009).
SHIPPED = sorted(rule["name"] for rule in import_module("incidents.migrations.0009_shipped_tier_rules").TIER_RULES)
KEPT = f"{len(SHIPPED)} not in the file kept (--prune deletes them)."
KNOWN = ", ".join(EVENT_KINDS.names())

FILE = """
channels:
  - name: ops-email
    kind: email
    recipients: [oncall@example.com, lead@example.com]
  - name: ops-hook
    kind: webhook
    url: ${VIGIL_TEST_HOOK}
    signing_secret: ${VIGIL_TEST_SIGNING}
monitors:
  - name: api
    kind: http
    url: https://api.example.com/health
    tags: [prod]
    channels: [ops-hook]
  - name: db
    kind: tcp
    host: db.example.com
    port: 5432
alert_rules:
  - name: critical
    events: [monitor_down, monitor_up]
    monitors: [api, db]
    severity: P0
    channels: [ops-email]
    escalate_after: 15m
    escalation_channels: [ops-hook]
    repeat_every: 30m
    runbook_url: https://wiki.example.com/runbooks/api
  - name: prod digest
    tags: [prod]
    all_channels: true
    delivery: daily
    repeat_every: null
"""


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("VIGIL_TEST_HOOK", HOOK)
    monkeypatch.setenv("VIGIL_TEST_SIGNING", SIGNING)
    monkeypatch.setenv("VIGIL_TEST_TOKEN", TOKEN)


def snapshot():
    """Every channel, rule (with its relations), source and monitor."""
    rules = [
        (
            rule,
            sorted(rule.sources.values_list("key", flat=True)),
            sorted(rule.channels.values_list("name", flat=True)),
            sorted(rule.escalation_channels.values_list("name", flat=True)),
        )
        for rule in AlertRule.objects.order_by("pk")
    ]
    rule_rows = [(dict(AlertRule.objects.filter(pk=rule.pk).values()[0]), *rest) for rule, *rest in rules]
    return (
        list(Channel.objects.order_by("pk").values()),
        rule_rows,
        list(Source.objects.order_by("pk").values()),
        list(Monitor.objects.order_by("pk").values()),
    )


def rule_named(name):
    return AlertRule.objects.get(name=name)


def names(manager):
    return sorted(row.name for row in manager.all())


# Applying -------------------------------------------------------------------------------


def test_apply_creates_channels_monitors_and_rules_naming_each_other(db, env, write):
    output = apply(write(FILE))

    assert output == [
        'created channel "ops-email"',
        'created channel "ops-hook"',
        'created monitor "api"',
        'created monitor "db"',
        'created alert rule "critical"',
        'created alert rule "prod digest"',
        f"6 created, 0 updated, 0 deleted, 0 unchanged. {KEPT}",
    ]
    email = Channel.objects.get(name="ops-email")
    assert (email.kind, email.settings["recipients"]) == ("email", "oncall@example.com\nlead@example.com")
    hook = Channel.objects.get(name="ops-hook")
    assert (hook.secrets["url"], hook.secrets["signing_secret"]) == (HOOK, SIGNING)
    critical = rule_named("critical")
    assert sorted(critical.event_kinds) == ["monitor_down", "monitor_up"]
    assert names(critical.sources) == ["api", "db"]
    assert {source.kind for source in critical.sources.all()} == {"monitor"}
    assert (critical.severity, critical.escalate_after, critical.repeat_every) == ("P0", 900, 1800)
    assert (names(critical.channels), names(critical.escalation_channels)) == (["ops-email"], ["ops-hook"])
    assert critical.runbook_url == "https://wiki.example.com/runbooks/api"
    digest = rule_named("prod digest")
    assert (digest.tags, digest.all_channels, digest.delivery, digest.repeat_every) == (["prod"], True, "daily", None)


def test_applying_the_same_file_twice_changes_nothing(db, env, write):
    path = write(FILE)
    apply(path)
    before = snapshot()

    assert apply(path)[-1] == f"No changes (6 unchanged). {KEPT}"
    assert snapshot() == before


def test_a_changed_rule_names_what_changed(db, env, write):
    apply(write(FILE))

    output = apply(write(FILE.replace("severity: P0", "severity: P1").replace("escalate_after: 15m", "")))

    assert output[0] == 'updated alert rule "critical": severity, escalate_after'
    critical = rule_named("critical")
    assert (critical.severity, critical.escalate_after) == ("P1", None)


def test_recipients_may_be_one_string(db, write):
    apply(write("channels: [{name: mail, kind: email, recipients: 'a@example.com, b@example.com'}]"))

    assert Channel.objects.get().settings["recipients"] == "a@example.com, b@example.com"


def test_a_rule_may_name_event_sources(db, write):
    event_source_create(name="Billing API")

    apply(write("alert_rules: [{name: billing, events: [external], event_sources: [Billing API], all_channels: true}]"))

    assert [source.key for source in rule_named("billing").sources.all()] == ["app:billing-api"]


def test_a_rules_backup_sources_which_files_cannot_name_are_kept(db, env, write):
    apply(write(FILE))
    backup = Source.objects.create(key="backup:1", kind="backup", name="nightly dump")
    rule_named("critical").sources.add(backup)

    apply(write(FILE.replace("monitors: [api, db]", "monitors: [db]")))

    assert sorted(rule_named("critical").sources.values_list("key", flat=True)) == [
        "backup:1", Monitor.objects.get(name="db").source_key
    ]


def test_a_rule_leaving_event_sources_out_has_none(db, write):
    event_source_create(name="Billing API")
    apply(write("alert_rules: [{name: billing, event_sources: [Billing API], all_channels: true}]"))

    output = apply(write("alert_rules: [{name: billing, tags: [payments], all_channels: true}]"))

    assert output[0] == 'updated alert rule "billing": event_sources, tags'
    assert not rule_named("billing").sources.exists()


# Secrets ----------------------------------------------------------------------------------


def test_a_secret_left_out_keeps_its_value(db, env, write):
    apply(write(FILE))

    output = apply(write("channels: [{name: ops-hook, kind: webhook, enabled: false}]"))

    assert output[0] == 'updated channel "ops-hook": enabled'
    hook = Channel.objects.get(name="ops-hook")
    assert (hook.secrets["url"], hook.secrets["signing_secret"], hook.enabled) == (HOOK, SIGNING, False)


def test_a_changed_secret_is_named_but_never_printed(db, env, write, monkeypatch):
    apply(write(FILE))
    monkeypatch.setenv("VIGIL_TEST_SIGNING", "new-Secret-99")

    output = apply(write(FILE), "--dry-run")

    assert output[0] == 'would update channel "ops-hook": signing_secret'
    assert "Secret" not in "\n".join(output)


def test_an_unset_environment_variable_is_a_problem_line(db, write, monkeypatch):
    monkeypatch.delenv("VIGIL_TEST_UNSET", raising=False)

    lines = apply_fails(write("channels: [{name: s, kind: slack_bot, token: '${VIGIL_TEST_UNSET}', slack_channel: '#a'}]"))

    assert lines == ['channels[0] "s": token: environment variable VIGIL_TEST_UNSET is not set']
    assert not Channel.objects.exists()


def test_export_never_writes_secrets(db, env, write):
    apply(write(FILE + "  - {name: bot, all_channels: true}\n"))
    Channel.objects.create(name="slack-bot", kind="slack_bot", token=TOKEN, slack_channel="#ops")

    text = export()

    for secret in (HOOK, SIGNING, TOKEN, "-Secret-"):
        assert secret not in text
    for entry in yaml.safe_load(text)["channels"]:
        assert not set(entry) & secret_names()


# Export -----------------------------------------------------------------------------------


def test_export_writes_channels_and_rules_in_the_file_format(db, env, write):
    apply(write(FILE))

    document = yaml.safe_load(export())

    assert document["channels"] == [
        {"name": "ops-email", "kind": "email", "recipients": ["oncall@example.com", "lead@example.com"]},
        {"name": "ops-hook", "kind": "webhook"},
    ]
    rules = {rule["name"]: rule for rule in document["alert_rules"]}
    assert rules["critical"] == {
        "name": "critical", "events": ["monitor_down", "monitor_up"], "monitors": ["api", "db"], "severity": "P0",
        "channels": ["ops-email"], "escalate_after": "15m", "escalation_channels": ["ops-hook"],
        "repeat_every": "30m", "runbook_url": "https://wiki.example.com/runbooks/api",
    }
    assert rules["prod digest"] == {"name": "prod digest", "tags": ["prod"], "all_channels": True,
                                    "delivery": "daily", "repeat_every": None}
    assert set(SHIPPED) <= set(rules)
    assert not any(name.endswith("(monitor channels)") for name in rules)
    api = next(entry for entry in document["monitors"] if entry["name"] == "api")
    assert api["channels"] == ["ops-hook"]


def test_export_then_apply_changes_nothing(db, env, write):
    apply(write(FILE))
    before = snapshot()

    assert apply(write(export()), "--prune") == [f"No changes ({6 + len(SHIPPED)} unchanged)."]
    assert snapshot() == before


def test_an_export_rebuilds_channels_and_rules_in_an_empty_database(db, env, write):
    """Secrets are not exported: a channel that needs one gets it as ${ENV} in the file."""
    apply(write(FILE))
    first = export()
    Monitor.objects.all().delete()
    AlertRule.objects.all().delete()
    Channel.objects.all().delete()
    rebuilt = first.replace("  kind: webhook\n", "  kind: webhook\n  url: ${VIGIL_TEST_HOOK}\n"
                                                  "  signing_secret: ${VIGIL_TEST_SIGNING}\n")

    assert apply(write(rebuilt))[-1] == f"{6 + len(SHIPPED)} created, 0 updated, 0 deleted, 0 unchanged."
    assert export() == first
    assert names(rule_named("api (monitor channels)").channels) == ["ops-hook"]


def test_an_export_without_the_secrets_says_which_channel_needs_one(db, env, write):
    apply(write(FILE))
    first = export()
    Channel.objects.all().delete()

    lines = apply_fails(write(first))

    assert lines == [
        'channels[1] "ops-hook": url: a Webhook (signed JSON) channel needs a URL',
        'channels[1] "ops-hook": signing_secret: a Webhook (signed JSON) channel needs a signing secret',
    ]


# References and problems ----------------------------------------------------------------------


def test_names_must_exist_or_be_defined_in_the_file(db, write):
    Channel.objects.create(name="ops-email", kind="email", recipients="a@example.com")
    path = write(
        """
        monitors:
          - {name: api-health, kind: http, url: 'https://api.example/', channels: [ops-emial]}
        alert_rules:
          - name: critical
            events: [monitor_down, disk_full, monitor_upp]
            monitors: [api-helth, api-health]
            event_sources: [billing]
            channels: [ops-email, pager]
            escalation_channels: [ops-emai]
        """
    )

    assert apply_fails(path) == [
        'monitors[0] "api-health": channels: no channel named "ops-emial" (did you mean "ops-email"?)',
        f'alert_rules[0] "critical": events: unknown event kinds: disk_full, monitor_upp (known: {KNOWN})',

        'alert_rules[0] "critical": monitors: no monitor named "api-helth" (did you mean "api-health"?)',
        'alert_rules[0] "critical": event_sources: no event source named "billing"',
        'alert_rules[0] "critical": channels: no channel named "pager"',
        'alert_rules[0] "critical": escalation_channels: no channel named "ops-emai" (did you mean "ops-email"?)',
    ]
    assert not Monitor.objects.exists()


def test_a_name_the_file_prunes_cannot_be_named(db, write):
    Channel.objects.create(name="old", kind="email", recipients="a@example.com")

    lines = apply_fails(write("channels: []\nalert_rules: [{name: r, channels: [old]}]"), "--prune")

    assert lines == ['alert_rules[0] "r": channels: no channel named "old"']
    assert Channel.objects.filter(name="old").exists()


PROBLEMS = {  # id: (file, the one line expected)
    "channel-kind": ("channels: [{name: c, kind: pager}]",
                     f"channels[0] \"c\": kind: 'pager' is not one of: {', '.join(KINDS)}"),
    "channel-needs-url": ("channels: [{name: c, kind: slack}]",
                          'channels[0] "c": url: a Slack (incoming webhook) channel needs a URL'),
    "recipients-not-list": ("channels: [{name: c, kind: email, recipients: [1]}]",
                            'channels[0] "c": recipients: must be a list of strings'),
    "channel-unknown-key": ("channels: [{name: c, kind: email, recipients: a@example.com, to: b@example.com}]",
                            'channels[0] "c": to: unknown key'),
    "rule-delivery": ("alert_rules: [{name: r, delivery: weekly}]",
                      "alert_rules[0] \"r\": delivery: 'weekly' is not one of: immediate, hourly, daily"),
    "rule-severity": ("alert_rules: [{name: r, severity: P5}]",
                      "alert_rules[0] \"r\": severity: 'P5' is not one of: P0, P1, P2, P3"),
    "rule-duration": ("alert_rules: [{name: r, escalate_after: soon}]",
                      "alert_rules[0] \"r\": escalate_after: 'soon' is not a duration (use 20s, 5m, 1h, 1d, 500ms "
                      "or a number of seconds)"),
    "rule-events-not-list": ("alert_rules: [{name: r, events: monitor_down}]",
                             'alert_rules[0] "r": events: must be a list of strings'),
    "rule-reserved-name": ("alert_rules: [{name: api (monitor channels)}]",
                           'alert_rules[0] "api (monitor channels)": name: names ending in "(monitor channels)" '
                           "belong to monitors' channels: key"),
    "rule-unknown-key": ("alert_rules: [{name: r, event: [monitor_down]}]",
                         'alert_rules[0] "r": event: unknown key (did you mean events?)'),
}


@pytest.mark.parametrize(("text", "line"), PROBLEMS.values(), ids=PROBLEMS.keys())
def test_a_bad_item_is_one_line_and_changes_nothing(db, env, write, text, line):
    apply(write(FILE))
    before = snapshot()

    assert apply_fails(write(text), "--prune") == [line]
    assert snapshot() == before


def test_all_or_nothing_a_bad_rule_keeps_the_good_channels_and_monitors_out(db, write):
    before = snapshot()
    path = write(
        """
        channels: [{name: mail, kind: email, recipients: [a@example.com]}]
        monitors: [{name: api, kind: http, url: 'https://api.example/', channels: [mail]}]
        alert_rules: [{name: r, channels: [mail], delivery: weekly}]
        """
    )

    apply_fails(path)

    assert snapshot() == before


def test_a_failure_while_applying_rolls_everything_back(db, write, monkeypatch):
    """A channel deleted between planning and applying: the whole file is refused."""
    from core.config import apply_plan, plan_file

    channel = Channel.objects.create(name="mail", kind="email", recipients="a@example.com")
    plan = plan_file(write("monitors: [{name: api, kind: http, url: 'https://api.example/', channels: [mail]}]\n"
                           "alert_rules: [{name: r, channels: [mail]}]"))
    channel.delete()
    before = snapshot()

    with pytest.raises(Exception) as caught:
        apply_plan(plan)

    assert 'no channel named "mail"' in str(caught.value)
    assert snapshot() == before


# Prune ------------------------------------------------------------------------------------


def test_prune_deletes_channels_and_rules_the_file_no_longer_names(db, env, write):
    apply(write(FILE))

    output = apply(write(FILE.split("alert_rules:")[0].replace("  - name: ops-email\n    kind: email\n"
                                                                  "    recipients: [oncall@example.com, "
                                                                  "lead@example.com]\n", "")
                         + "alert_rules: []\n"), "--prune")

    assert output == [
        'deleted channel "ops-email"',
        *(f'deleted alert rule "{name}"' for name in SHIPPED),
        'deleted alert rule "critical"',
        'deleted alert rule "prod digest"',
        f"0 created, 0 updated, {3 + len(SHIPPED)} deleted, 3 unchanged.",
    ]
    assert list(AlertRule.objects.values_list("name", flat=True)) == ["api (monitor channels)"]


def test_without_prune_the_shipped_rules_are_kept(db, write):
    output = apply(write("alert_rules: [{name: r, all_channels: true}]"))

    assert output[-1] == f"1 created, 0 updated, 0 deleted, 0 unchanged. {KEPT}"
    assert AlertRule.objects.filter(name__in=SHIPPED).count() == len(SHIPPED)


# A monitor's channels: key -----------------------------------------------------------------------


def monitor_rule():
    return AlertRule.objects.get(name="api (monitor channels)")


def test_a_monitors_channels_is_a_rule_on_that_monitor_alone(db, env, write):
    apply(write(FILE))

    rule = monitor_rule()
    assert (rule.event_kinds, rule.delivery, rule.all_channels, rule.tags) == ([], "immediate", False, [])
    assert [source.key for source in rule.sources.all()] == [Monitor.objects.get(name="api").source_key]
    assert names(rule.channels) == ["ops-hook"]


def test_changing_a_monitors_channels_updates_its_rule(db, env, write):
    apply(write(FILE))
    rule_id = monitor_rule().pk

    output = apply(write(FILE.replace("channels: [ops-hook]", "channels: [ops-email, ops-hook]")))

    assert output[0] == 'updated monitor "api": channels'
    assert monitor_rule().pk == rule_id
    assert names(monitor_rule().channels) == ["ops-email", "ops-hook"]


def test_leaving_a_monitors_channels_out_removes_its_rule(db, env, write):
    apply(write(FILE))

    output = apply(write(FILE.replace("    channels: [ops-hook]\n", "")))

    assert output[0] == 'updated monitor "api": channels'
    assert not AlertRule.objects.filter(name__endswith="(monitor channels)").exists()


def test_pruning_a_monitor_removes_its_rule(db, env, write):
    apply(write(FILE))

    apply(write("monitors: []"), "--prune")

    assert not Monitor.objects.exists()
    assert not AlertRule.objects.filter(name__endswith="(monitor channels)").exists()
    assert rule_named("critical").sources.count() == 0


def test_a_monitor_renamed_in_the_admin_keeps_its_rule(db, env, write):
    from monitors.services import monitor_save

    apply(write(FILE))
    api = Monitor.objects.get(name="api")
    api.name = "api-v2"
    monitor_save(api)

    entry = next(entry for entry in yaml.safe_load(export())["monitors"] if entry["name"] == "api-v2")

    assert entry["channels"] == ["ops-hook"]
