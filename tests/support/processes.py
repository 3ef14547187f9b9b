"""Real Vigil processes for tests: django-q2 clusters and management commands on the test database."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def test_database_url():
    """DATABASE_URL of the database this test runs on, for child processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{db['HOST'] or ''}{port}/{quote(db['NAME'], safe='')}"


def child_env(**overrides):
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CHANNELS_ALLOW_PRIVATE_IPS": "true",
    }
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env or child_env(),
        capture_output=True, text=True, timeout=timeout,
    )


class Cluster:
    """`manage.py qcluster` in its own process group, stopped (and killed if need be) on exit."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.process = None

    def __enter__(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def pids(self):
        import psutil

        root = psutil.Process(self.process.pid)
        return {root.pid, *(child.pid for child in root.children(recursive=True))}

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            pass
        # Workers the cluster left behind (it may exit before they do) would outlive the test.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.log.close()


def cluster_env(broker, **overrides):
    """Settings for test clusters: a queue name of their own, so runs never share a queue."""
    env = child_env(Q_CLUSTER_NAME=f"vigil-test-{uuid.uuid4().hex[:10]}", **overrides)
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15") if broker == "redis" else ""
    return env
