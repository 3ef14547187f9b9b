"""What the pages scenario serves and runs on: gunicorn's application (imported by the
gunicorn workers), the stage (database, environment, Django, sampler) and gunicorn itself."""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from bench.pages.config import HOST, PAGES_REDIS_URL, ROOT
from bench.pages.inprocess import status_keys
from core.stats import percentile


# gunicorn's application (imported by the gunicorn workers) -----------------------------------


def web_application(cache=True, build_log="", pin=False):
    """portal.wsgi's application; without `cache`, on Django's DummyCache (every request
    builds the status page); with `pin`, the status page's cache entries last an hour
    instead of 15 s (a warm cache for the whole run: no rebuild). With `build_log`, each
    rebuild of the status page's data, body and gzip is appended to that file as
    "<what> <pid> <epoch> <seconds>"."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings

    if not cache:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    if pin:
        from portal.status import data as status_data

        status_data.CACHE_SECONDS = 3600  # read at call time by status_data and status_page
    if build_log:
        _log_builds(build_log)
    return application


def _log_builds(path):
    from portal.status import data as status_data
    from portal.status import views as status_page

    def logged(what, fn):
        def wrapper(*args, **kwargs):
            at, started = time.time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                line = f"{what} {os.getpid()} {at:.3f} {time.perf_counter() - started:.4f}\n"
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)
        return wrapper

    # Module globals the views look up at call time: each is called only on a cache miss.
    status_data.build_public_status = logged("data", status_data.build_public_status)
    status_page.render_to_string = logged("body", status_page.render_to_string)
    status_page.compress_string = logged("gzip", status_page.compress_string)


def read_builds(path, start, end):
    """{what: {"count", "p50_ms", "max_ms"}} of the rebuilds that started in [start, end)."""
    found = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        what, _, at, seconds = line.split()
        if start <= float(at) < end:
            found.setdefault(what, []).append(float(seconds))
    return {what: {"count": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                   "max_ms": round(max(v) * 1000, 1)} for what, v in found.items()}


# The stage: database, environment, Django, sampler --------------------------------------


class Stage:
    """A fresh database, Django in this process on it, and a CPU sampler; torn down on exit."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.workdir = tempfile.mkdtemp(prefix="vigil-bench-pages-")
        self.helpers = set()  # pids of our helpers (generators, the load generator)
        self.web = None
        self.failed = False
        self.info = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "uptime_before": _uptime()}

    def __enter__(self):
        from bench import setup

        self.stack = ExitStack()
        self.stack.__enter__()
        try:
            self.stack.callback(self._remove_workdir)
            self.db = setup.make_database(self.cfg["db"], self.workdir)
            self.db.create()
            self.stack.callback(self.db.drop)
            env = setup.child_env(db=self.db, workdir=self.workdir, cluster_name=f"vigil-bench-{secrets.token_hex(5)}",
                                  broker="orm", runners=2, concurrency=100, workers=4, lifetime=120)
            redis = PAGES_REDIS_URL if self.cfg["db"] == "postgres" else ""
            env.update(REDIS_URL=redis, ALLOWED_HOSTS=HOST, DEBUG="false", REQUIRE_2FA_FOR_SUPER_ADMINS="false",
                       SECURE_SSL_REDIRECT="false")
            self.env = env
            os.makedirs(env["VIGIL_VAR_DIR"], exist_ok=True)
            self.info["migrate_s"] = round(setup.migrate(env, self.workdir), 1)
            started = time.monotonic()
            result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            if result.returncode:
                raise RuntimeError(f"collectstatic failed:\n{result.stderr[-3000:]}")
            self.info["collectstatic_s"] = round(time.monotonic() - started, 1)
            for key in ("REDIS_URL", "ALLOWED_HOSTS", "REQUIRE_2FA_FOR_SUPER_ADMINS", "SECURE_SSL_REDIRECT"):
                os.environ[key] = env[key]
            setup.django_setup(env)
            self.stack.callback(self._close_django)
            if redis:
                self.stack.callback(self._forget_cache)
            self._start_sampler()
            self.info["versions"] = self._versions()
            self.info["cache"] = "redis (" + redis.rsplit("/", 1)[-1] + ")" if redis else "locmem (per process)"
        except BaseException:
            self.failed = True
            self.stack.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self.failed = True
        self.info["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.info["uptime_after"] = _uptime()
        return self.stack.__exit__(exc_type, exc, tb)

    def _start_sampler(self):
        from bench.measure import Sampler, find_redis_pids

        groups = {"web": lambda: self.web.pids() if self.web else set(), "bench": lambda: {os.getpid(), *self.helpers}}
        if self.cfg["db"] == "postgres":
            redis_pids = find_redis_pids()
            groups["postgres"] = self.db.backend_pids
            groups["redis"] = lambda: redis_pids
        self.sampler = Sampler(groups, every=1.0)
        self.sampler.start()
        self.stack.callback(self.sampler.stop)

    def _versions(self):
        from bench import setup

        if self.cfg["db"] == "postgres":
            return {"postgresql": self.db.version(), "redis": setup.redis_version()}
        import sqlite3

        return {"sqlite": sqlite3.sqlite_version}

    def _forget_cache(self):
        """Our cache keys on the bench's Redis database (nothing else: never FLUSHDB)."""
        import redis

        client = redis.Redis.from_url(PAGES_REDIS_URL)
        for key in client.scan_iter("vigil-cache:*"):
            client.delete(key)

    def _close_django(self):
        from django.db import connections

        connections.close_all()

    def _remove_workdir(self):
        if self.cfg.get("keep") or self.failed:
            print(f"  logs kept in {self.workdir}", flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Web:
    """gunicorn on a free loopback port with `make run`'s flags."""

    def __init__(self, stage, *, workers, threads, cache, name, pin=False):
        from bench import setup
        from bench.processes import Proc

        self.port = setup.free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.workers, self.threads, self.cache = workers, threads, cache
        self.build_log = str(Path(stage.workdir) / f"builds-{name}.log")
        app = f"bench.pages.server:web_application(cache={cache}, build_log={self.build_log!r}, pin={pin})"
        self.proc = Proc(f"web-{name}", [sys.executable, "-m", "gunicorn", app, "--bind", f"{HOST}:{self.port}",
                                         "--workers", str(workers), "--threads", str(threads), "--timeout", "90",
                                         "--graceful-timeout", "5", "--log-level", "warning"],
                         env=stage.env, log_dir=stage.workdir)

    def start(self, timeout=60):
        from django.core.cache import cache

        cache.delete_many(status_keys())  # nothing left on Redis by the previous server
        self.proc.start()
        stop_at = time.monotonic() + timeout
        while time.monotonic() < stop_at:
            if not self.proc.alive():
                raise RuntimeError(f"gunicorn exited:\n{self.proc.tail()}")
            try:
                urllib.request.urlopen(self.url + "/status/", timeout=30).read()
                if len(self.pids()) > self.workers:
                    return self
            except urllib.error.HTTPError as exc:
                raise RuntimeError(f"/status/ answered {exc.code}:\n{self.proc.tail()}") from None
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in time:\n{self.proc.tail()}")

    def pids(self):
        return self.proc.pids()

    def stop(self):
        self.proc.stop(grace=10)
