"""Deadlines: a check's total time budget, and the one reaper thread that shuts down
the sockets of a deadline that has passed."""

import heapq
import itertools
import os
import socket
import threading
import time


class DeadlineExceeded(TimeoutError):
    pass


class Deadline:
    """A total time budget: `with Deadline(seconds) as deadline: ...`.

    `watch(sock)` keeps a dup of the socket's descriptor; when the time is up the reaper
    calls shutdown(SHUT_RDWR) on it, which ends the connection for every descriptor of it
    (a TLS socket made from the original included), so a blocked read returns at once.
    The dups are closed when the block ends; a finished deadline is never fired.
    """

    def __init__(self, seconds):
        self.seconds = float(seconds)
        self.started = time.monotonic()
        self.expires_at = self.started + self.seconds
        self.detail = f"timed out after {self.seconds:.1f}s"
        self._lock = threading.Lock()
        self._dups = []
        self._scheduled = self.closed = self.fired = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def expired(self):
        return self.fired or time.monotonic() >= self.expires_at

    def elapsed_ms(self):
        return round((time.monotonic() - self.started) * 1000, 1)

    def left(self):
        """Seconds left (for per-socket timeouts); raises DeadlineExceeded when none are."""
        left = self.expires_at - time.monotonic()
        if left <= 0 or self.fired:
            raise DeadlineExceeded(self.detail)
        return left

    def watch(self, sock):
        """Shut `sock` (a socket or a file descriptor) down when the deadline passes."""
        fd = sock if isinstance(sock, int) else sock.fileno()
        dup = socket.socket(fileno=os.dup(fd))
        with self._lock:
            self._dups.append(dup)
            if self.fired:
                _shutdown(dup)
        if not self._scheduled:
            self._scheduled = True
            _reaper.add(self)

    def fire(self):
        with self._lock:
            if self.closed:
                return
            self.fired = True
            for dup in self._dups:
                _shutdown(dup)

    def close(self):
        with self._lock:
            self.closed = True
            dups, self._dups = self._dups, []
        for dup in dups:
            dup.close()
        if self._scheduled:
            _reaper.discard()


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected (yet), or already gone


class _Reaper:
    """One thread and a heap of deadlines: fires each when it passes (not a Timer per check)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._heap = []
        self._open = 0
        self._order = itertools.count()
        self._thread = None

    def add(self, deadline):
        with self._cond:
            heapq.heappush(self._heap, (deadline.expires_at, next(self._order), deadline))
            self._open += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vigil-deadline-reaper", daemon=True)
                self._thread.start()
            self._cond.notify()

    def discard(self):
        """A deadline closed early. Closed ones leave the heap when they reach its top, or
        all at once when they make up most of it (checks usually end well before time)."""
        with self._cond:
            self._open -= 1
            if len(self._heap) > 1000 and len(self._heap) > 4 * self._open:
                self._heap = [entry for entry in self._heap if not entry[2].closed]
                heapq.heapify(self._heap)

    def _run(self):
        while True:
            self._next_due().fire()

    def _next_due(self):
        with self._cond:
            while True:
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, deadline = self._heap[0]
                delay = when - time.monotonic()
                if deadline.closed or delay <= 0:
                    heapq.heappop(self._heap)
                    if not deadline.closed:
                        return deadline
                else:
                    self._cond.wait(delay)


_reaper = _Reaper()


def _after_fork():
    global _reaper
    _reaper = _Reaper()


os.register_at_fork(after_in_child=_after_fork)
