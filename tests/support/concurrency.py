"""Several clusters at the same moment, as threads: each waits at a barrier, runs the job
with its own database connection, and closes it."""

import threading

from django.db import connection


def at_once(job, *, threads=4, timeout=30):
    """Run `job` in `threads` threads released together; returns what each returned."""
    barrier, results = threading.Barrier(threads), []

    def cluster():
        try:
            barrier.wait()
            results.append(job())
        finally:
            connection.close()

    started = [threading.Thread(target=cluster) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout)
    return results
