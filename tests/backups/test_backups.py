"""Backup verification against real dumps: real pg_dump, pg_restore and PostgreSQL at
127.0.0.1:5432 (skipped, with the reason, when it does not answer)."""

import os
import time
from decimal import Decimal

import pytest

from backups.models import BackupSource, Format, Status
from backups.restore import invalid_indexes
from backups.scratch import PREFIX
from backups.services import backup_source_save, backup_verify_now
from tests.support.pg_dumps import (  # noqa: F401 (fixtures)
    SERVER_URL, SourceDatabase, admin, database_exists, needs_postgres, restore_role, restore_server, source_db,
)

pytestmark = [pytest.mark.django_db, needs_postgres]


def make_source(path, **settings):
    defaults = dict(name="shop", format=Format.PG_DUMP, min_size_mb=0.001, critical_tables=["customers", "orders"],
                    expected_rows={"customers": 300, "orders": 500})
    values = {**defaults, **settings}
    values["min_size_mb"] = Decimal(str(values["min_size_mb"]))
    return backup_source_save(BackupSource(path=str(path), **values))


def checks_of(run):
    return {check["name"]: check for check in run.verification_details}


def results_of(run):
    return {name: check["result"] for name, check in checks_of(run).items()}


def test_a_good_dump_passes_every_check(source_db, restore_server, tmp_path):
    dump = source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "*.dump"))
    assert run.status == Status.SUCCESS, run.error_details
    assert results_of(run) == {
        name: "passed" for name in ("exists", "archive", "recent", "size", "checksum", "readable", "restore",
                                    "critical_tables", "row_counts", "indexes")
    }
    assert run.checks_failed == 0 and run.checks_passed == 10
    assert run.backup_id.startswith("shop.dump sha256:") and len(run.backup_id) == len("shop.dump sha256:") + 64
    assert run.backup_size_mb == pytest.approx(os.path.getsize(dump) / 1e6, abs=0.001)
    assert checks_of(run)["recent"]["figures"]["age_from"] == "archive header"
    assert checks_of(run)["row_counts"]["figures"]["found"] == {"customers": 300, "orders": 500}


def test_a_plain_sql_dump_is_read_and_restored(source_db, restore_server, tmp_path):
    source_db.dump(tmp_path / "shop.sql", fmt="plain")
    run = backup_verify_now(make_source(tmp_path / "shop.sql", format=Format.SQL))
    assert run.status == Status.SUCCESS, run.error_details
    assert results_of(run)["readable"] == results_of(run)["row_counts"] == "passed"


def test_a_cut_sql_dump_fails_readable(source_db, restore_server, tmp_path):
    path = source_db.dump(tmp_path / "shop.sql", fmt="plain")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    run = backup_verify_now(make_source(path, format=Format.SQL))
    assert run.status == Status.FAILURE
    assert "does not end with" in checks_of(run)["readable"]["message"]


def test_a_truncated_dump_fails_although_its_contents_still_list(source_db, restore_server, tmp_path):
    source_db.sql("INSERT INTO customers (name) SELECT md5(n::text) FROM generate_series(1, 20000) n")
    path = source_db.dump(tmp_path / "shop.dump")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    run = backup_verify_now(make_source(path))
    results = results_of(run)
    assert run.status == Status.FAILURE
    assert results["archive"] == "passed"  # pg_restore -l still lists it
    assert results["readable"] == "failed"
    assert results["restore"] == "skipped" and results["critical_tables"] == "skipped"
    assert "cannot be read to the end" in run.error_details


def test_a_dump_lacking_a_critical_table_fails_naming_it(source_db, restore_server, tmp_path):
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump", critical_tables=["customers", "invoices", "orders"]))
    assert run.status == Status.FAILURE
    assert checks_of(run)["critical_tables"]["message"] == "missing: invoices"
    assert checks_of(run)["critical_tables"]["figures"]["missing"] == ["invoices"]


def test_a_table_with_fewer_rows_than_expected_fails_naming_table_expected_and_found(source_db, restore_server, tmp_path):
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump", expected_rows={"customers": 300, "orders": 1000}))
    assert run.status == Status.FAILURE
    assert checks_of(run)["row_counts"]["message"] == "orders: expected at least 1,000, found 500"


# Invalid indexes ---------------------------------------------------------------------
# pg_dump leaves invalid indexes out and pg_restore builds indexes with a plain CREATE
# INDEX, which leaves nothing behind when it fails. What a restore can leave invalid is a
# partitioned table's index: its definition on the parent is restored first (ON ONLY,
# invalid until every partition's index is attached), so when one partition's index
# cannot be built the parent's stays invalid. Here the partition index uses a function
# that reads a table through an unqualified name, which works in the source but not
# under pg_restore's empty search_path: a real restore pitfall. (plpgsql, so that the
# parent's ON ONLY index, which reads no rows, is still created.)

PARTITIONED = """
CREATE TABLE factor (value int);
INSERT INTO factor VALUES (2);
CREATE FUNCTION scaled(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN $1 * (SELECT value FROM factor); END $$;
CREATE TABLE readings (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO readings SELECT n, date '2024-01-01' + n % 300 FROM generate_series(1, 300) n;
CREATE INDEX readings_scaled ON readings (scaled(id));
"""


def test_an_index_left_invalid_by_the_restore_fails_naming_it(source_db, restore_server, tmp_path):
    source_db.sql(PARTITIONED)
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump"))
    checks = checks_of(run)
    assert run.status == Status.FAILURE
    assert checks["indexes"]["result"] == "failed"
    assert checks["indexes"]["figures"]["invalid"] == ["public.readings_scaled"]
    assert checks["restore"]["result"] == "failed"  # the partition's index could not be built
    assert "factor" in checks["restore"]["message"]


def test_the_index_check_names_an_index_left_invalid_by_create_index_concurrently(source_db):
    source_db.sql("INSERT INTO customers (id, name) VALUES (10001, 'twin'), (10002, 'twin')")
    with pytest.raises(Exception):
        source_db.sql("CREATE UNIQUE INDEX CONCURRENTLY customers_name ON customers (name)")
    import psycopg

    with psycopg.connect(source_db.url.replace("postgres://", "postgresql://")) as connection:
        assert invalid_indexes(connection) == ["public.customers_name"]


# The file ------------------------------------------------------------------------------


def test_a_stale_file_fails_saying_how_old(tmp_path):
    path = tmp_path / "files.tar"
    path.write_bytes(b"x" * 5000)
    old = time.time() - 30 * 3600
    os.utime(path, (old, old))
    run = backup_verify_now(make_source(path, format=Format.FILE, min_size_mb=0.001))
    recent = checks_of(run)["recent"]
    assert run.status == Status.FAILURE
    assert recent["message"] == "the backup is 30.0 h old (from its file time); the limit is 24.0 h"
    assert run.backup_age_hours == pytest.approx(30, abs=0.01)
    assert set(results_of(run)) == {"exists", "recent", "size", "checksum"}  # a plain file: age and size only


def test_a_dump_ages_from_its_archive_header_not_its_file_time(source_db, restore_server, tmp_path):
    path = source_db.dump(tmp_path / "shop.dump")
    future = time.time() + 3600
    os.utime(path, (future, future))  # a copy's fresh file time does not make it new
    time.sleep(2.1)
    run = backup_verify_now(make_source(path, max_age=2))
    recent = checks_of(run)["recent"]
    assert recent["result"] == "failed" and recent["figures"]["age_from"] == "archive header"
    assert "from its archive header" in recent["message"]


def test_a_file_under_the_minimum_size_fails(tmp_path):
    (tmp_path / "small.tar").write_bytes(b"x" * 400_000)
    run = backup_verify_now(make_source(tmp_path / "small.tar", format=Format.FILE, min_size_mb=0.5))
    assert run.status == Status.FAILURE
    assert checks_of(run)["size"]["message"] == "0.40 MB is under the minimum of 0.50 MB"


def test_a_backup_less_than_half_the_last_good_one_warns(tmp_path):
    path = tmp_path / "files.tar"
    path.write_bytes(b"x" * 3_000_000)
    source = make_source(path, format=Format.FILE, min_size_mb=0.1)
    assert backup_verify_now(source).status == Status.SUCCESS
    path.write_bytes(b"x" * 1_000_000)
    run = backup_verify_now(source)
    assert run.status == Status.WARNING
    assert checks_of(run)["size"]["message"] == "1.00 MB is less than half of the last good backup (3.00 MB)"


def test_a_missing_file_fails(tmp_path):
    run = backup_verify_now(make_source(tmp_path / "nothing-*.dump"))
    assert run.status == Status.FAILURE
    assert run.error_details == f"exists: no file match {tmp_path}/nothing-*.dump"
    assert run.backup_id == "" and run.backup_size_mb is None


def test_a_glob_with_only_an_in_progress_file_fails(tmp_path):
    (tmp_path / "shop-2025.dump.tmp").write_bytes(b"x" * 5000)
    (tmp_path / "shop-2025.dump.partial").write_bytes(b"x" * 5000)
    run = backup_verify_now(make_source(tmp_path / "shop-*"))
    assert run.status == Status.FAILURE
    assert checks_of(run)["exists"]["message"] == f"only in-progress files (2) match {tmp_path}/shop-*"


def test_the_newest_complete_match_wins(tmp_path):
    for name, age in (("a.tar", 3600), ("b.tar", 60), ("c.tar.partial", 0)):
        (tmp_path / name).write_bytes(b"x" * 5000)
        os.utime(tmp_path / name, (time.time() - age, time.time() - age))
    run = backup_verify_now(make_source(tmp_path / "*", format=Format.FILE))
    assert run.backup_id.startswith("b.tar ")


# The restore server ----------------------------------------------------------------------


def test_without_a_restore_server_the_restore_checks_warn_and_never_pass(source_db, settings, tmp_path):
    settings.BACKUP_RESTORE_DATABASE_URL = ""
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump"))
    results = results_of(run)
    assert run.status == Status.WARNING
    assert results["restore"] == "warning"
    assert results["critical_tables"] == results["row_counts"] == results["indexes"] == "skipped"
    assert "BACKUP_RESTORE_DATABASE_URL" in run.error_details


def test_a_restore_server_equal_to_the_dumps_database_is_refused(source_db, settings, tmp_path):
    settings.BACKUP_RESTORE_DATABASE_URL = source_db.url
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump"))
    assert run.status == Status.FAILURE
    assert checks_of(run)["restore"]["message"].startswith(f"refused: BACKUP_RESTORE_DATABASE_URL names database {source_db.name}")


def test_a_restore_server_equal_to_the_sources_url_is_refused(source_db, settings, tmp_path):
    settings.BACKUP_RESTORE_DATABASE_URL = "postgres://postgres@localhost:5432/postgres"
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump", source_database_url=SERVER_URL))
    assert checks_of(run)["restore"]["message"].startswith("refused: BACKUP_RESTORE_DATABASE_URL is the backup's own")


def test_vigils_own_database_is_refused(source_db, settings, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("Vigil's own database is SQLite in this run")
    own = connection.settings_dict
    settings.BACKUP_RESTORE_DATABASE_URL = f"postgres://postgres@127.0.0.1:{own.get('PORT') or 5432}/{own['NAME']}"
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump"))
    assert "Vigil's own database" in checks_of(run)["restore"]["message"]


def test_a_crashed_runs_scratch_database_is_dropped_by_the_next_run(source_db, restore_server, restore_role, tmp_path):
    leftover = f"{PREFIX}1_deadbeef"
    with admin() as connection:
        connection.execute(f'CREATE DATABASE "{leftover}" OWNER "{restore_role.name}"')
    source_db.dump(tmp_path / "shop.dump")
    run = backup_verify_now(make_source(tmp_path / "shop.dump"))
    assert run.status == Status.SUCCESS
    assert checks_of(run)["restore"]["figures"]["leftovers_dropped"] == [leftover]
    assert not database_exists(leftover)


def test_a_live_runs_scratch_database_is_left_alone(source_db, restore_server, restore_role, tmp_path):
    live = f"{PREFIX}2_cafebabe"
    with admin() as holder:
        holder.execute(f'CREATE DATABASE "{live}" OWNER "{restore_role.name}"')
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [live])
        source_db.dump(tmp_path / "shop.dump")
        run = backup_verify_now(make_source(tmp_path / "shop.dump"))
        assert checks_of(run)["restore"]["figures"]["leftovers_dropped"] == []
        assert database_exists(live)
        holder.execute(f'DROP DATABASE "{live}"')


def test_a_restore_killed_midway_leaves_nothing_after_the_next_run(source_db, restore_server, restore_role, tmp_path):
    """A verifier process killed during its restore: its scratch database stays until the next run."""
    import subprocess
    import sys

    scratch_databases = restore_role.databases
    source_db.sql("INSERT INTO customers (name) SELECT repeat(md5(n::text), 8) FROM generate_series(1, 200000) n")
    source_db.dump(tmp_path / "big.dump")
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup();"
        "from backups.models import BackupSource; from backups.verify import verify;"
        f"verify(BackupSource(pk=1, name='x', path={str(tmp_path / 'big.dump')!r}, min_size_mb=0))"
    )
    env = {**os.environ, "BACKUP_RESTORE_DATABASE_URL": restore_server, "DATABASE_URL": "sqlite:///" + str(tmp_path / "k.db")}
    child = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    deadline = time.time() + 30
    while not scratch_databases() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(child.pid, 9)
    child.wait()
    assert scratch_databases(), "the killed run left its scratch database (as a crash would)"
    run = backup_verify_now(make_source(tmp_path / "big.dump", expected_rows={}, critical_tables=[]))
    assert run.status == Status.SUCCESS, run.error_details
    assert checks_of(run)["restore"]["figures"]["leftovers_dropped"]
    assert scratch_databases() == []
