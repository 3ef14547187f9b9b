"""Leases on rows: one worker at a time holds a row (a runner slot, a channel being sent
for) by writing its name and an expiry into two of the row's columns.

Each step is one conditional UPDATE that goes on only if one row changed, so two workers,
two clusters or a retried task never both hold a row; a worker that dies lets its lease
run out and another takes the row over.
"""

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from django.db.models import Q
from django.utils import timezone


def holder_name():
    """A name no other worker (thread, process or machine) uses."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Lease:
    """The lease columns of a model: `holder` (text, "" when free) and `until` (when it
    runs out; a nullable column is set to None on release, another to the release time).
    `renewed`, if given, is a column stamped on every claim and renewal. `ttl` is a
    timedelta, or a function giving one (to read a setting when the lease is taken)."""

    holder: str
    until: str
    ttl: timedelta | Callable[[], timedelta]
    renewed: str = ""

    def claim(self, rows, holder, *, now=None):
        """Take the lease of the one row of `rows` if it is free or has run out; True if taken."""
        now = now or timezone.now()
        free = Q(**{f"{self.until}__lte": now})
        if self._nullable(rows):
            free |= Q(**{f"{self.until}__isnull": True})
        return rows.filter(free).update(**self._hold(holder, now)) == 1

    def renew(self, rows, holder, *, now=None):
        """Extend the lease; False if it was lost (it ran out and another worker took it)."""
        now = now or timezone.now()
        return rows.filter(**{self.holder: holder}).update(**self._hold(holder, now)) == 1

    def release(self, rows, holder, *, now=None):
        """Let go of the lease, if still held by `holder`."""
        until = None if self._nullable(rows) else (now or timezone.now())
        rows.filter(**{self.holder: holder}).update(**{self.holder: "", self.until: until})

    def _hold(self, holder, now):
        ttl = self.ttl() if callable(self.ttl) else self.ttl
        values = {self.holder: holder, self.until: now + ttl}
        if self.renewed:
            values[self.renewed] = now
        return values

    def _nullable(self, rows):
        return rows.model._meta.get_field(self.until).null
