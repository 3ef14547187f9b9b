"""A check runner: a long-lived django-q2 task that holds one slot and works the due queue.

Each runner claims only as many due monitors as it has free threads, so a target that
hangs until its timeout occupies one thread and never delays the others. Outcomes are
written in one transaction per tick. When its lifetime is over the runner releases its
slot and enqueues its successor, so work moves between clusters and processes recycle.
"""

import logging
import queue
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from core.leases import Lease, holder_name
from monitors.checks import prepare, run_check
from monitors.engine import claim_due, record_outcomes
from monitors.models import RunnerLease

log = logging.getLogger(__name__)

TICK = 0.1
LEASE_TTL = timedelta(seconds=30)
RENEW_EVERY = 5
MAX_CLAIM = 200
DRAIN_RETRY_SECONDS = 30


SLOT = Lease("holder", "expires_at", ttl=LEASE_TTL, renewed="renewed_at")


def acquire_lease(slot, holder):
    now = timezone.now()
    RunnerLease.objects.bulk_create(
        [RunnerLease(slot=slot, holder="", expires_at=now, renewed_at=now)], ignore_conflicts=True
    )
    return SLOT.claim(RunnerLease.objects.filter(slot=slot), holder, now=now)


def renew_lease(slot, holder):
    return SLOT.renew(RunnerLease.objects.filter(slot=slot), holder)


def release_lease(slot, holder):
    SLOT.release(RunnerLease.objects.filter(slot=slot), holder)


def free_slots(now=None):
    now = now or timezone.now()
    live = set(RunnerLease.objects.filter(expires_at__gt=now).values_list("slot", flat=True))
    return [slot for slot in range(settings.CHECK_RUNNERS) if slot not in live]


class CheckRunner:
    def __init__(self, *, concurrency):
        self.concurrency = concurrency
        self.finished = queue.SimpleQueue()
        self.unrecorded = []
        self.in_flight = 0
        self.stopping = threading.Event()

    def stop(self):
        """Stop claiming; checks in flight finish and are recorded. No successor is started."""
        self.stopping.set()

    def run(self, *, slot, lifetime, on_expiry=None):
        """Work until `lifetime` seconds have passed; False if the slot was taken."""
        holder = holder_name()
        if not acquire_lease(slot, holder):
            return False
        prepare()
        lost = False
        stop_at = time.monotonic() + lifetime
        renew_at = time.monotonic() + RENEW_EVERY
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"check-{slot}") as pool:
            while time.monotonic() < stop_at and not self.stopping.is_set():
                self._tick(pool)
                if time.monotonic() >= renew_at:
                    renew_at = time.monotonic() + RENEW_EVERY
                    if _database_step("renew the lease", renew_lease, slot, holder) is False:
                        log.warning("runner slot %s lost its lease; stopping", slot)
                        lost = True
                        break
                self.stopping.wait(TICK)
            _database_step("release the lease", release_lease, slot, holder)
            if on_expiry and not self.stopping.is_set() and not lost:
                on_expiry()
            self._drain()
        return True

    def _tick(self, pool):
        self._flush()
        limit = min(self.concurrency - self.in_flight, MAX_CLAIM)
        for monitor in _database_step("claim due monitors", claim_due, now=timezone.now(), limit=limit) or []:
            self.in_flight += 1
            pool.submit(self._check, monitor)

    def _check(self, monitor):
        started = timezone.now()
        self.finished.put((monitor, run_check(monitor, now=started), started))

    def _flush(self):
        """Record what finished; if the database fails, keep it for the next tick."""
        while True:
            try:
                self.unrecorded.append(self.finished.get_nowait())
            except queue.Empty:
                break
            self.in_flight -= 1
        if self.unrecorded and _database_step("record results", record_outcomes, self.unrecorded) is not None:
            self.unrecorded = []

    @contextmanager
    def stopped_by_sigterm(self):
        """A cluster being stopped sends SIGTERM to its workers: finish up instead of
        holding the worker (and the slot) until the lifetime is over."""
        previous = signal.signal(signal.SIGTERM, lambda *_: self.stop())
        try:
            yield self
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _drain(self):
        give_up_at = time.monotonic() + settings.CHECK_MAX_TIMEOUT + DRAIN_RETRY_SECONDS
        while (self.in_flight or self.unrecorded) and time.monotonic() < give_up_at:
            time.sleep(TICK)
            self._flush()
        if self.unrecorded:
            log.error("runner stopped with %d check results it could not record", len(self.unrecorded))


def _database_step(what, step, *args, **kwargs):
    """Run one database step; on a database error log it and return None, so a database
    restart (or SQLite's busy timeout running out) costs a retry, not the runner."""
    try:
        return step(*args, **kwargs)
    except DatabaseError:
        log.warning("check runner could not %s; retrying", what, exc_info=True)
        connection.close()
        return None
