"""The postgres checker against this machine's PostgreSQL (skipped when it is not running)."""

import time

import pytest

from core import net
from monitors.kinds.postgres.checker import check, guarded_hostaddr
from monitors.models import Monitor
from tests.support.fixtures_targets import postgres_dsn  # noqa: F401 (fixture)
from tests.support.servers import free_port

PASSWORD = "pw-Zq81-never-shown"


def pg_monitor(dsn, query="", timeout=3):
    return Monitor(kind="postgres", dsn=dsn, query=query, timeout=timeout)


def assert_no_secret(outcome):
    assert PASSWORD not in outcome.detail
    assert PASSWORD not in repr(outcome.facts)


def test_a_reachable_database_is_up_with_connection_figures(postgres_dsn):
    outcome = check(pg_monitor(postgres_dsn))
    assert (outcome.ok, outcome.detail) == (True, "query ok")
    assert outcome.facts["connections"] >= 1
    assert outcome.facts["max_connections"] >= outcome.facts["connections"]
    assert outcome.response_time_ms > 0


def test_a_freshness_query_that_holds_is_up(postgres_dsn):
    query = "SELECT now() - interval '5 minutes' < now() AS fresh"
    assert check(pg_monitor(postgres_dsn, query)).ok is True


@pytest.mark.parametrize(
    "query, detail",
    [
        ("SELECT now() < now() - interval '5 minutes'", "query returned false"),
        ("SELECT NULL", "query returned false"),
        ("SELECT 1 WHERE false", "query returned no rows"),
    ],
)
def test_a_query_that_does_not_hold_is_down(postgres_dsn, query, detail):
    outcome = check(pg_monitor(postgres_dsn, query))
    assert (outcome.ok, outcome.detail) == (False, detail)


def test_only_the_first_row_is_read(postgres_dsn):
    outcome = check(pg_monitor(postgres_dsn, "SELECT n > 0 FROM generate_series(1, 1000000) AS n"))
    assert outcome.ok is True


def test_the_session_is_read_only(postgres_dsn):
    assert check(pg_monitor(postgres_dsn, "SELECT current_setting('transaction_read_only') = 'on'")).ok is True


def test_a_syntax_error_is_down_with_postgres_message(postgres_dsn):
    outcome = check(pg_monitor(f"{postgres_dsn} password={PASSWORD}", "SELEC 1"))
    assert (outcome.ok, outcome.detail) == (False, 'syntax error at or near "SELEC"')
    assert_no_secret(outcome)


def test_a_slow_query_is_cut_at_the_deadline(postgres_dsn):
    started = time.monotonic()
    outcome = check(pg_monitor(postgres_dsn, "SELECT pg_sleep(5) IS NOT NULL", timeout=1))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.0s")
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "dsn",
    [
        "host=127.0.0.1 port={port} user=postgres dbname=test password={password}",
        "postgresql://postgres:{password}@127.0.0.1:{port}/test",
    ],
)
def test_refused_is_down_and_never_shows_the_password(dsn):
    outcome = check(pg_monitor(dsn.format(port=free_port(), password=PASSWORD)))
    assert outcome.ok is False
    assert "refused" in outcome.detail.lower()
    assert_no_secret(outcome)


def test_a_malformed_dsn_says_so_without_echoing_it():
    outcome = check(pg_monitor(f"host=127.0.0.1 password={PASSWORD} dbname"))
    assert (outcome.ok, outcome.detail) == (False, "invalid DSN")


@pytest.mark.parametrize(
    "dsn",
    [
        f"host=169.254.169.254 user=postgres password={PASSWORD}",
        f"postgresql://postgres:{PASSWORD}@[fe80::1]/db",
        "host=db.internal hostaddr=169.254.169.254 user=postgres",
    ],
)
def test_link_local_hosts_are_refused_before_connecting(dsn):
    started = time.monotonic()
    outcome = check(pg_monitor(dsn))
    assert outcome.ok is False
    assert outcome.detail.startswith("refused address ")
    assert outcome.detail.endswith("(link-local)")
    assert time.monotonic() - started < 0.5
    assert_no_secret(outcome)


def test_an_unresolvable_host_is_down():
    outcome = check(pg_monitor("host=pg.nowhere.invalid user=postgres"))
    assert (outcome.ok, outcome.detail) == (False, "could not resolve host 'pg.nowhere.invalid'")


@pytest.mark.parametrize(
    "params, hostaddr",
    [
        ({"host": "127.0.0.1"}, "127.0.0.1"),
        ({"host": "/var/run/postgresql"}, None),
        ({"host": "/tmp,127.0.0.1"}, ",127.0.0.1"),
        ({"host": "db.internal", "hostaddr": "10.0.0.7"}, "10.0.0.7"),
        ({}, None),
    ],
)
def test_guarded_hostaddr_checks_tcp_hosts_only(params, hostaddr, monkeypatch):
    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGHOSTADDR", raising=False)
    with net.Deadline(1) as deadline:
        assert guarded_hostaddr(params, deadline) == hostaddr


def test_guarded_hostaddr_checks_pghost_from_the_environment(monkeypatch):
    monkeypatch.setenv("PGHOST", "169.254.169.254")
    with net.Deadline(1) as deadline, pytest.raises(net.BlockedAddress):
        guarded_hostaddr({}, deadline)
