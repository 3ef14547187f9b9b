"""The event kinds monitors emit (the engine, the heartbeat sweep, objectives), declared to
incidents when the app starts.

A monitor's problems and recoveries share a dedup key per family (`<source>:down`,
`<source>:degraded`, `<source>:slo`), so a recovery finds the incident its problem opened.
While a monitor flaps, its own down and up are recorded, not sent: the flapping notices
replace them, and reach whoever the down and up would have reached.
"""

from core.durations import human_duration
from incidents.event_kinds import NOTICE, PROBLEM, RECOVERY, EventKind, declare

DOWN_AND_UP = ("monitor_down", "monitor_up", "heartbeat_missed")
DEGRADED_FAMILY = ":degraded"


def is_degraded_family(dedup_key):
    return dedup_key.endswith(DEGRADED_FAMILY)


def flapping(event):
    return "flapping" if (event.details or {}).get("flapping") else ""


def up_role(event):
    """Back up from down resolves (a notice while flapping); back up from slow only tells."""
    if is_degraded_family(event.dedup_key):
        return NOTICE
    return NOTICE if flapping(event) else RECOVERY


def up_routed_as(dedup_key):
    """The end of a slowness goes where the slowness went, not to everyone told about down and up."""
    return {"monitor_degraded"} if is_degraded_family(dedup_key) else {"monitor_up"}


def up_title(event, duration):
    return f"{event.summary} after {human_duration(duration)}" if duration is not None else event.summary


def up_text(event, duration):
    return str(event.details.get("detail") or "")


def flapping_stopped_role(event):
    """Stopped flapping while up resolves the incident; stopped while down keeps it open."""
    return NOTICE if (event.details or {}).get("status") == "down" else RECOVERY


def routed_with_down_and_up(name):
    """A rule that routes a monitor's down and up also routes the flapping notices that replace them."""
    return lambda dedup_key: {name, *DOWN_AND_UP}


MONITOR_KINDS = (
    EventKind("monitor_down", role=PROBLEM, tier="critical", silenced=flapping),
    EventKind("heartbeat_missed", role=PROBLEM, tier="critical", silenced=flapping),
    EventKind(
        "monitor_up", role=up_role, tier="critical", recovers=("monitor_down", "heartbeat_missed"),
        routed_as=up_routed_as, silenced=flapping, title=up_title, text=up_text,
    ),
    EventKind("monitor_degraded", role=NOTICE, tier="warning"),
    EventKind("certificate_expiring", role=NOTICE, tier="warning"),
    EventKind(
        "monitor_flapping", role=PROBLEM, tier="critical", notice_when_joining=True,
        routed_as=routed_with_down_and_up("monitor_flapping"), status=lambda event: "flapping",
    ),
    EventKind(
        "monitor_flapping_stopped", role=flapping_stopped_role, tier="critical", recovers=("monitor_flapping",),
        routed_as=routed_with_down_and_up("monitor_flapping_stopped"),
    ),
    EventKind("slo_burn", role=PROBLEM, tier="warning"),
    EventKind("slo_burn_stopped", role=RECOVERY, tier="warning", recovers=("slo_burn",)),
)


def declare_kinds():
    declare(*MONITOR_KINDS)
