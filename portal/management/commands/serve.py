"""`make run`: the web server (gunicorn) and one django-q2 cluster, stopped together on Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from monitors.tasks import ensure_runners

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Run gunicorn and a qcluster together until Ctrl-C; stop both when either exits."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--concurrency", type=positive_number, default=settings.CHECK_CONCURRENCY,
                            help="checks in flight per runner (CHECK_CONCURRENCY)")
        parser.add_argument("--runners", type=positive_number, default=settings.CHECK_RUNNERS,
                            help="check runners kept alive (CHECK_RUNNERS)")

    def handle(self, *, host, port, web_workers, concurrency, runners, **options):
        # The children read their settings from the environment, like any other process.
        os.environ["CHECK_CONCURRENCY"], os.environ["CHECK_RUNNERS"] = str(concurrency), str(runners)
        os.environ.setdefault("Q_WORKERS", str(runners + 2))
        settings.CHECK_RUNNERS = runners
        children = [
            self._spawn(
                [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"{host}:{port}",
                 "--workers", str(web_workers), "--threads", "4", "--timeout", "90", "--graceful-timeout", "5"]
            ),
            self._spawn([sys.executable, "manage.py", "qcluster"]),
        ]
        ensure_runners()  # start checking now rather than at the scheduler's first tick (~30 s)
        self.stdout.write(
            self.style.SUCCESS(f"\nVigil is running: sign in at http://{host}:{port}/accounts/login/ as 'admin'.")
            + f"\nDashboard: http://{host}:{port}/dashboard/monitoring/   Admin: http://{host}:{port}/admin/"
            + f"\nPublic status page: http://{host}:{port}/status/   Health: http://{host}:{port}/health"
            + f"\nAPI docs: http://{host}:{port}/api/docs/"
            + "\nPress Ctrl-C to stop the web server and the cluster.\n"
        )
        stopping = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.append(True))
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        self._stop(children)
        if not stopping:
            raise SystemExit("a child process exited on its own; stopped everything")

    def _spawn(self, argv):
        # Own process group: Ctrl-C reaches only this command, which stops children in order.
        return subprocess.Popen(argv, cwd=settings.BASE_DIR, start_new_session=True)

    def _stop(self, children):
        self.stdout.write("Stopping the web server and the cluster …")
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self.stdout.write("Stopped.")


def positive_number(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value
