"""The value every checker returns."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """What one check found.

    `ok` is None when there is no verdict yet (a heartbeat still waiting for its first
    ping): nothing is recorded and the status stays as it is.
    `facts` holds kind-specific figures (TLS days left, PostgreSQL connections, …).
    `gauge` is the one figure of a kind worth a trend (PostgreSQL: connections in use):
    each hour keeps its highest reading.
    `healthy` is False when the target answered but not well enough (Redis: its hit rate
    under the minimum): up for uptime, `degraded` for its status, as slow answers are.
    """

    ok: bool | None
    response_time_ms: float | None = None
    detail: str = ""
    facts: dict = field(default_factory=dict)
    gauge: float | None = None
    healthy: bool = True

    @classmethod
    def up(cls, response_time_ms=None, detail="", gauge=None, **facts):
        return cls(True, response_time_ms, detail[:500], facts, gauge)

    @classmethod
    def degraded(cls, detail, response_time_ms=None, gauge=None, **facts):
        return cls(True, response_time_ms, detail[:500], facts, gauge, healthy=False)

    @classmethod
    def down(cls, detail, response_time_ms=None, gauge=None, **facts):
        return cls(False, response_time_ms, detail[:500], facts, gauge)

    @classmethod
    def pending(cls, detail):
        return cls(None, None, detail[:500], {})
