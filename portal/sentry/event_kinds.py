"""The event kinds the Sentry source emits, declared to incidents when the portal starts:
a project's error rate going over its threshold and back (`portal.sentry.error_rate`), and a new
issue (`portal.sentry.issues`), which opens an incident of its own ("new error types →
immediate")."""

from incidents.event_kinds import PROBLEM, RECOVERY, EventKind, declare

ERROR_RATE, ERROR_RATE_NORMAL, NEW_ISSUE = "error_rate", "error_rate_normal", "sentry_new_issue"

SENTRY_KINDS = (
    EventKind(ERROR_RATE, role=PROBLEM, tier="warning"),
    EventKind(ERROR_RATE_NORMAL, role=RECOVERY, tier="warning", recovers=(ERROR_RATE,)),
    EventKind(NEW_ISSUE, role=PROBLEM, tier="critical"),
)


def declare_kinds():
    declare(*SENTRY_KINDS)
