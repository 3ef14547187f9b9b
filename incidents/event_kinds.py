"""Event kinds as plug-ins: each source declares the kinds it emits, next to its own code,
from its app's `ready()` (`declare(EventKind(…), …)`), and incidents reads them here.

A declaration says what incidents needs to know about a kind and nothing more: its role
(opens an incident, ends one, acknowledges one, or only tells), its tier and default
severity, which rules route it, and how its message reads. Incidents routes, opens,
resolves and renders from the declaration, so a new source needs no change in incidents.

Hooks that depend on the event get the recorded `incidents.models.Event` (its `kind`,
`severity`, `dedup_key`, `details`, `summary`).
"""

from dataclasses import dataclass
from typing import Callable

from core.durations import human_duration

PROBLEM, RECOVERY, ACKNOWLEDGE, NOTICE = "problem", "recovery", "acknowledge", "notice"
CHANGE = "change"  # a notice also noted on the timeline of its source's open incidents
TIERS = ("critical", "warning", "info")


def summary_title(event, duration):
    return event.summary


def detail_and_duration(event, duration):
    """The event's detail, and how long the problem lasted when it ends one."""
    detail = str(event.details.get("detail") or "")
    if duration is not None:
        return " ".join(filter(None, [detail, f"It lasted {human_duration(duration)}."]))
    return detail


def reported_status(event):
    details = event.details
    return str(details.get("to") or details.get("status") or "")


@dataclass(frozen=True)
class EventKind:
    """One kind of event. `role` and `tier` are values, or functions of the event (`role`)
    and of its severity (`tier`) for kinds whose events differ (an app's trigger or resolve).

    - `recovers`: for a recovery, the problem kind (or kinds) whose incident it resolves;
    - `severity`: the default when neither the event nor a matching rule gives one
      ("": the portal's DEFAULT_SEVERITY);
    - `routed_as(dedup_key)`: the kinds a rule may name to route it (default: its own);
    - `silenced(event)`: why the event is recorded but not sent ("" to send it);
    - `notice_when_joining`: a problem joining an open incident is still announced;
    - `recovery_needs_incident`: a recovery with no open incident is not announced;
    - `title`, `text(event, duration)`, `status(event)`: how its message reads (`duration`:
      how long the problem lasted, for a recovery; else None).
    """

    name: str
    role: str | Callable
    tier: str | Callable
    recovers: tuple = ()
    severity: str = ""
    routed_as: Callable | None = None
    silenced: Callable | None = None
    notice_when_joining: bool = False
    recovery_needs_incident: bool = False
    title: Callable = summary_title
    text: Callable = detail_and_duration
    status: Callable = reported_status

    def role_of(self, event):
        return self.role(event) if callable(self.role) else self.role

    def tier_of(self, severity=""):
        return self.tier(severity) if callable(self.tier) else self.tier

    def routing_kinds(self, dedup_key=""):
        return set(self.routed_as(dedup_key)) if self.routed_as else {self.name}

    def silence_reason(self, event):
        return self.silenced(event) if self.silenced else ""


class Registry:
    """The declared kinds, by name, in the order they were declared."""

    def __init__(self):
        self._kinds = {}

    def declare(self, *kinds):
        """Add kinds; a name declared twice (two sources claiming one kind) is refused."""
        for kind in kinds:
            if kind.name in self._kinds and self._kinds[kind.name] != kind:
                raise ValueError(f"event kind {kind.name!r} is declared twice")
            if not callable(kind.tier) and kind.tier not in TIERS:
                raise ValueError(f"event kind {kind.name!r}: tier {kind.tier!r} is not one of {', '.join(TIERS)}")
            self._kinds[kind.name] = kind

    def forget(self, *names):
        """Remove declarations (for tests declaring kinds of their own)."""
        for name in names:
            self._kinds.pop(name, None)

    def __contains__(self, name):
        return name in self._kinds

    def __iter__(self):
        return iter(self._kinds)

    def __getitem__(self, name):
        if name not in self._kinds:
            raise KeyError(f"unknown event kind {name!r}: no source declared it")
        return self._kinds[name]

    def names(self):
        return list(self._kinds)

    def unknown(self, names):
        """The names no source declared, sorted."""
        return sorted(set(names) - set(self._kinds))


EVENT_KINDS = Registry()
declare = EVENT_KINDS.declare
