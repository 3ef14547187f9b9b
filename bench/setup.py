"""Everything a scenario stands on: a fresh database, Django in this process, the loopback
targets, the web server, the django-q2 clusters (started by bench.processes), and the monitors
themselves.

Each scenario runs in a process of its own (see `bench.__main__`), because Django reads
DATABASE_URL once, at `django.setup()`, and every scenario has its own database.
"""

import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PG_ADMIN_URLS = [
    os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "postgresql://postgres@127.0.0.1:5432/test",
]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def utcnow():
    return datetime.now(timezone.utc)


def at(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc)


# Databases -----------------------------------------------------------------


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, workdir):
        self.path = Path(workdir) / "bench.sqlite3"
        self.url = f"sqlite:///{self.path}"
        self.name = str(self.path)

    def create(self):
        pass

    def drop(self):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def backend_pids(self):
        return set()  # SQLite runs inside the processes that use it


class PostgresDatabase:
    kind = "postgres"

    def __init__(self, workdir):
        self.name = f"vigil_bench_{secrets.token_hex(5)}"
        self.url = f"postgres://postgres@127.0.0.1:5432/{self.name}"
        self.admin_url = None
        self._admin = None

    def _connect(self):
        import psycopg

        error = None
        for url in PG_ADMIN_URLS:
            try:
                self._admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
                self.admin_url = url
                return self._admin
            except psycopg.Error as exc:
                error = exc
        raise RuntimeError(f"PostgreSQL at 127.0.0.1:5432 does not answer: {error}")

    def create(self):
        self._connect().execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self._admin is None:
            return
        try:
            self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            self._admin.close()
            self._admin = None

    def backend_pids(self):
        import psycopg

        try:
            rows = self._admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name]).fetchall()
        except psycopg.Error:
            return set()
        return {pid for (pid,) in rows}

    def version(self):
        return self._admin.execute("SHOW server_version").fetchone()[0]


def make_database(kind, workdir):
    return {"sqlite": SqliteDatabase, "postgres": PostgresDatabase}[kind](workdir)


def redis_version():
    import redis

    return redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]


def forget_redis_queue(cluster_name):
    """Delete this run's django-q2 keys (its queue, its cluster stats)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    deleted = 0
    for key in client.scan_iter(f"django_q:{cluster_name}*"):
        deleted += client.delete(key)
    return deleted


# Environment for child processes ---------------------------------------------------


def child_env(*, db, workdir, cluster_name, broker, runners, concurrency, workers, lifetime):
    """The environment every Vigil process of this scenario gets (and this process too)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": db.url,
        "VIGIL_VAR_DIR": str(Path(workdir) / "var"),
        "SECRET_KEY": "bench-" + secrets.token_hex(16),
        "Q_CLUSTER_NAME": cluster_name,
        "REDIS_URL": REDIS_URL if broker == "redis" else "",
        "CHECK_RUNNERS": str(runners),
        "CHECK_CONCURRENCY": str(concurrency),
        "Q_WORKERS": str(workers),
        "CHECK_RUNNER_LIFETIME": str(lifetime),
        "SENTRY_DSN": "",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "Q_LOG_LEVEL": "WARNING",
        "CHANNELS_ALLOW_PRIVATE_IPS": "true",  # the Slack-shaped receivers listen on loopback
    }
    return env


def migrate(env, log_dir):
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    (Path(log_dir) / "migrate.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return time.monotonic() - started


def django_setup(env):
    """Django in this process, on this scenario's database (before anything imports models)."""
    for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VIGIL_VAR_DIR", "SECRET_KEY", "Q_CLUSTER_NAME",
                "REDIS_URL", "CHECK_RUNNERS", "CHECK_CONCURRENCY", "Q_WORKERS", "CHECK_RUNNER_LIFETIME",
                "SENTRY_DSN", "DEBUG", "LOG_LEVEL", "Q_LOG_LEVEL", "CHANNELS_ALLOW_PRIVATE_IPS"):
        os.environ[key] = env[key]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_runners(env):
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", "from monitors.tasks import ensure_runners; print(ensure_runners())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ensure_runners failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


# Monitors -----------------------------------------------------------------


def insert_checks(*, prefix, http, tcp, hang_fraction, interval, timeout, start, targets, seed=1):
    """HTTP and TCP monitors, their first due times spread evenly over one interval from
    `start` (kinds shuffled so the load is smooth). Returns {pk: (first_due, interval, label)}
    where label is "<kind>" or "<kind>-hangable"."""
    from monitors.models import Monitor

    hang_http, hang_tcp = round(http * hang_fraction), round(tcp * hang_fraction)
    specs = ([("http", False)] * (http - hang_http) + [("http", True)] * hang_http
             + [("tcp", False)] * (tcp - hang_tcp) + [("tcp", True)] * hang_tcp)
    random.Random(seed).shuffle(specs)
    total = len(specs)
    rows, plan = [], {}
    for i, (kind, hangable) in enumerate(specs):
        due = start + i * interval / total
        name = f"{prefix}{i:05d}"
        fields = dict(name=name, kind=kind, interval=interval, timeout=timeout, next_check_at=at(due),
                      monitoring_since=at(start), status_changed_at=at(start))
        if kind == "http":
            fields["url"] = f"http://{HOST}:{targets.port}/{'h' if hangable else 'm'}/{i}"
        else:
            fields.update(host=HOST, port=targets.tcp_hangable_port if hangable else targets.port)
        rows.append(Monitor(**fields))
        plan[name] = (due, interval, f"{kind}-hangable" if hangable else kind)
    Monitor.objects.bulk_create(rows, batch_size=500)
    ids = dict(Monitor.objects.filter(name__startswith=prefix).values_list("name", "pk"))
    return {ids[name]: value for name, value in plan.items()}


def insert_heartbeats(*, count, period, grace, start):
    """Heartbeat monitors as a user makes them: waiting for the first ping, due at their
    deadline (start + period + grace). Returns [(pk, ping_uuid)]."""
    from monitors.models import Monitor

    rows = [
        Monitor(name=f"hb{i:04d}", kind="heartbeat", period=period, grace=grace, interval=period,
                monitoring_since=at(start), status_changed_at=at(start), next_check_at=at(start + period + grace))
        for i in range(count)
    ]
    Monitor.objects.bulk_create(rows, batch_size=500)
    return list(Monitor.objects.filter(kind="heartbeat").order_by("name").values_list("pk", "ping_uuid"))


def cleanup_workdir(path):
    shutil.rmtree(path, ignore_errors=True)
