"""The processes a scenario starts: a child in its own session, the loopback targets, the
web server and the django-q2 clusters."""

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from bench.setup import HOST, PYTHON, ROOT, ensure_runners, free_port


# Processes -----------------------------------------------------------------


class Proc:
    """A child in its own session (Ctrl-C reaches only the bench), stopped by its group."""

    def __init__(self, name, argv, *, env, log_dir, stdout_pipe=False):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.stdout_pipe = stdout_pipe
        self.process = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.PIPE if self.stdout_pipe else self.log, stderr=self.log if self.stdout_pipe else subprocess.STDOUT,
            text=True,
        )
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def pids(self):
        import psutil

        try:
            root = psutil.Process(self.process.pid)
            return {root.pid, *(child.pid for child in root.children(recursive=True))}
        except psutil.NoSuchProcess:
            return set()

    def signal(self, signum):
        if self.alive():
            os.kill(self.process.pid, signum)

    def stop(self, grace=15):
        if self.process is None or self.process.poll() is not None:
            self._close_log()
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self._close_log()

    def _close_log(self):
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()

    def tail(self, chars=3000):
        try:
            return self.log_path.read_text()[-chars:]
        except OSError:
            return ""


class Targets:
    """The loopback HTTP/TCP targets: `processes` asyncio servers sharing one port."""

    def __init__(self, *, processes, log_dir):
        self.count = processes
        self.log_dir = Path(log_dir)
        self.procs = []
        self.port = self.tcp_hangable_port = None

    def start(self):
        first = Proc("targets-0", [PYTHON, "-m", "bench.targets", "--tcp-hangable", "--stats-dir", str(self.log_dir)],
                     env=os.environ.copy(), log_dir=self.log_dir, stdout_pipe=True).start()
        self.procs.append(first)
        hello = json.loads(first.process.stdout.readline())
        self.port, self.tcp_hangable_port = hello["port"], hello["tcp_hangable_port"]
        for i in range(1, self.count):
            proc = Proc(f"targets-{i}", [PYTHON, "-m", "bench.targets", "--port", str(self.port), "--stats-dir",
                                         str(self.log_dir)], env=os.environ.copy(), log_dir=self.log_dir,
                        stdout_pipe=True).start()
            json.loads(proc.process.stdout.readline())
            self.procs.append(proc)
        return self

    def hang(self, on):
        for proc in self.procs:
            proc.signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    def pids(self):
        return set().union(*(proc.pids() for proc in self.procs)) if self.procs else set()

    def stop(self):
        for proc in self.procs:
            proc.stop(grace=5)
        counts = {}
        for path in self.log_dir.glob("targets-*.json"):
            for key, value in json.loads(path.read_text()).items():
                counts[key] = counts.get(key, 0) + value
        return counts


class WebServer:
    """gunicorn serving portal.wsgi on a free loopback port (for the heartbeat pings)."""

    def __init__(self, *, env, log_dir, workers=2):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.proc = Proc("web", [PYTHON, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"{HOST}:{self.port}",
                                 "--workers", str(workers), "--log-level", "warning", "--graceful-timeout", "5"],
                         env=env, log_dir=log_dir)
        self.workers = workers

    def start(self, timeout=60):
        self.proc.start()
        stop_at = time.monotonic() + timeout
        while time.monotonic() < stop_at:
            if not self.proc.alive():
                raise RuntimeError(f"gunicorn exited:\n{self.proc.tail()}")
            try:
                urllib.request.urlopen(self.url + "/health", timeout=2).read()
                return self
            except urllib.error.HTTPError:
                return self  # it answers (503 while no runner has a lease yet)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def pids(self):
        return self.proc.pids()

    def stop(self):
        self.proc.stop(grace=10)


class Clusters:
    """`manage.py qcluster` processes on one database and one queue."""

    def __init__(self, *, count, env, log_dir):
        self.env = env
        self.procs = [Proc(f"cluster-{chr(97 + i)}", [PYTHON, "manage.py", "qcluster"], env=env, log_dir=log_dir)
                      for i in range(count)]

    def start(self, *, runners, timeout=90):
        """Start the clusters, enqueue the runners at once, wait until every slot is held."""
        from django.utils import timezone as dj_timezone

        from monitors.models import RunnerLease

        for proc in self.procs:
            proc.start()
        time.sleep(1.0)
        ensure_runners(self.env)
        stop_at = time.monotonic() + timeout
        while time.monotonic() < stop_at:
            dead = [proc for proc in self.procs if not proc.alive()]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited:\n{dead[0].tail()}")
            held = RunnerLease.objects.filter(expires_at__gt=dj_timezone.now()).exclude(holder="").count()
            if held >= runners:
                return self
            time.sleep(0.25)
        raise RuntimeError(f"runners did not start within {timeout}s:\n{self.procs[0].tail()}")

    def pids(self):
        return set().union(*(proc.pids() for proc in self.procs))

    def pids_by_cluster(self):
        return {proc.name: proc.pids() for proc in self.procs}

    def stop(self):
        for proc in self.procs:
            if proc.alive():
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            proc.stop(grace=20)

    def tails(self):
        return {proc.name: proc.tail(1500) for proc in self.procs}
