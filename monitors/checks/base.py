"""The value every checker returns."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """What one check found.

    `ok` is None when there is no verdict yet (a heartbeat still waiting for its first
    ping): nothing is recorded and the status stays as it is.
    `facts` holds kind-specific figures (TLS days left, PostgreSQL connections, …).
    """

    ok: bool | None
    response_time_ms: float | None = None
    detail: str = ""
    facts: dict = field(default_factory=dict)

    @classmethod
    def up(cls, response_time_ms=None, detail="", **facts):
        return cls(True, response_time_ms, detail[:500], facts)

    @classmethod
    def down(cls, detail, response_time_ms=None, **facts):
        return cls(False, response_time_ms, detail[:500], facts)

    @classmethod
    def pending(cls, detail):
        return cls(None, None, detail[:500], {})
