"""The alert tiers of the production-monitoring guide, shipped as ordinary alert rules.

Critical goes out at once, Warning in the hourly summary, Info in the daily summary, each
to every enabled channel. Sources' events are tiered by kind; app events (the events API)
by the severity they come with. The rules replace 0003's "Monitors down and up" when it is
the only rule and still as 0003 made it; an install whose rules were edited, added to or
deleted keeps them as they are. Once created they are rules like any other: edit or delete
them in the admin or a config file (`alert_rules:`, matched by name).

The kinds are listed here, as data, so this migration stays what it was when it ran.
"""

from django.db import migrations, models

DEFAULT_RULE = {
    "name": "Monitors down and up",
    "enabled": True,
    "event_kinds": ["monitor_down", "monitor_up", "heartbeat_missed"],
    "all_channels": True,
    "delivery": "immediate",
    "severity": "",
    "tags": [],
    "escalate_after": None,
    "repeat_every": 3600,
    "runbook_url": "",
}

CRITICAL = [
    "monitor_down", "monitor_up", "heartbeat_missed", "monitor_flapping", "monitor_flapping_stopped",
    "backup_failed", "backup_succeeded", "sentry_new_issue",
]
WARNING = [
    "monitor_degraded", "certificate_expiring", "backup_stale", "backup_warning", "error_rate", "error_rate_normal",
    "slo_burn", "slo_burn_stopped",
]
INFO = ["backup_verified"]

TIER_RULES = [
    {"name": "Critical: immediately", "event_kinds": CRITICAL, "severities": [], "delivery": "immediate"},
    {"name": "Critical app events: immediately", "event_kinds": ["external"], "severities": ["P0"],
     "delivery": "immediate"},
    {"name": "Warning: within the hour", "event_kinds": WARNING, "severities": [], "delivery": "hourly"},
    {"name": "Warning app events: within the hour", "event_kinds": ["external"], "severities": ["P1", "P2"],
     "delivery": "hourly"},
    {"name": "Info: daily summary", "event_kinds": INFO, "severities": [], "delivery": "daily"},
    {"name": "Info app events: daily summary", "event_kinds": ["external"], "severities": ["P3"],
     "delivery": "daily"},
]


def rules_as_shipped(AlertRule):
    """True when the rules are exactly 0003's default rule, untouched."""
    rules = list(AlertRule.objects.all())
    if len(rules) != 1:
        return False
    rule = rules[0]
    if any(getattr(rule, field) != value for field, value in DEFAULT_RULE.items()):
        return False
    return not (rule.sources.exists() or rule.channels.exists() or rule.escalation_channels.exists())


def ship_tier_rules(apps, schema_editor):
    AlertRule = apps.get_model("incidents", "AlertRule")
    if not rules_as_shipped(AlertRule):
        return
    default = AlertRule.objects.get()
    created = [AlertRule.objects.create(**rule, all_channels=True) for rule in TIER_RULES]
    created[0].incidents.add(*default.incidents.all())  # open incidents keep a rule for their reminders
    default.delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_seed_runbooks")]

    operations = [
        migrations.AddField(
            model_name="alertrule",
            name="severities",
            field=models.JSONField(
                blank=True, default=list,
                help_text="Only events that come with one of these severities. Empty: every event.",
            ),
        ),
        migrations.RunPython(ship_tier_rules, migrations.RunPython.noop),
    ]
