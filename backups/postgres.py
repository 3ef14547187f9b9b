"""Talking to PostgreSQL servers: connection URLs, client tools run under a deadline.

Passwords go to the tools through PGPASSWORD, never on their command line (which any
local user can read with `ps`), and never into a message.
"""

import os
import subprocess
import time
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "/var/run/postgresql", "/tmp"}
ENV_NAMES = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD",
             "dbname": "PGDATABASE", "sslmode": "PGSSLMODE"}


class ToolError(Exception):
    """A client tool failed or ran out of time; the message is safe to show."""


@dataclass(frozen=True)
class Server:
    """A database on a server, from a URL such as postgres://user:pw@host:5432/name."""

    params: dict

    @classmethod
    def from_url(cls, url):
        try:
            params = conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
        except psycopg.ProgrammingError as exc:
            raise ValueError(f"not a PostgreSQL URL: {str(exc).splitlines()[0]}") from None
        return cls(params)

    @classmethod
    def from_django(cls, settings_dict):
        keys = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password", "NAME": "dbname"}
        return cls({key: str(settings_dict.get(name) or "") for name, key in keys.items() if settings_dict.get(name)})

    @property
    def dbname(self):
        return self.params.get("dbname") or self.params.get("user") or "postgres"

    def identity(self):
        """(host, port, dbname), with every local address written the same way."""
        host = self.params.get("host", "")
        return ("local" if host in LOCAL_HOSTS else host.lower(), str(self.params.get("port") or 5432), self.dbname)

    def label(self):
        host, port, name = self.identity()
        return f"{name} on {host}:{port}"

    def on(self, dbname):
        return Server({**self.params, "dbname": dbname})

    def connect(self, **kwargs):
        return psycopg.connect(**{"connect_timeout": 10, **self.params}, **kwargs)

    def tool_env(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update({ENV_NAMES[key]: str(value) for key, value in self.params.items() if key in ENV_NAMES})
        return env


class Deadline:
    """The time left of one verification (BACKUP_VERIFY_TIMEOUT), shared by every step."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self):
        left = self.ends - time.monotonic()
        if left <= 0:
            raise ToolError(f"the verification ran out of time ({self.seconds:g} s)")
        return left


def run_tool(args, *, deadline, env=None, what=None, check=True, stdin=subprocess.DEVNULL):
    """Run a client tool; its stderr becomes the ToolError's message when it fails
    (with `check`, else the caller reads the result)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env,
                              timeout=deadline.left(), stdin=stdin)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what or args[0]} ran out of time ({deadline.seconds:g} s)") from None
    except OSError as exc:
        raise ToolError(f"cannot run {args[0]}: {exc.strerror}") from None
    if check and done.returncode != 0:
        raise ToolError(first_lines(done.stderr) or f"{args[0]} exited with {done.returncode}")
    return done


def first_lines(text, count=3):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:count])
