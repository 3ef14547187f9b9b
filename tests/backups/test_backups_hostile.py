"""Hostile dumps: nothing in a dump runs a command, on Vigil's host or the database server.

Real pg_dump files from real databases, doctored the way an attacker who can write to the
backup directory would, restored on the real server at 127.0.0.1:5432; each payload would
`touch` a marker file, and the marker must not exist afterwards.
"""

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from backups.models import Format, Status
from backups.services import backup_verify_now
from tests.support.pg_dumps import (  # noqa: F401 (fixtures)
    SERVER_URL, RestoreRole, needs_postgres, restore_role, restore_server, source_db,
)
from tests.backups.test_backups import checks_of, make_source, results_of

pytestmark = [pytest.mark.django_db, needs_postgres]


@pytest.fixture
def markers():
    """A directory every OS user may write in: the database server runs as another user than
    the tests, and its COPY … TO PROGRAM must be able to touch a marker there if it runs."""
    path = Path(tempfile.mkdtemp(prefix="vigil-markers-"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path)


def with_lines(path, lines):
    """The plain dump at `path` with `lines` put in before its first CREATE TABLE."""
    text = path.read_text()
    at = text.index("CREATE TABLE")
    path.write_text(text[:at] + "".join(line + "\n" for line in lines) + text[at:])
    return path


def copy_to_program(marker):
    return f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'"


# Plain SQL: psql meta-commands -------------------------------------------------------------


def test_meta_commands_in_a_plain_dump_never_run(source_db, restore_server, markers, tmp_path):
    dump = source_db.dump(tmp_path / "shop.sql", fmt="plain")
    own_key = re.search(r"^\\restrict (\w+)$", dump.read_text(), re.M)[1]
    with_lines(dump, [
        f"\\! touch {markers / 'shell'}",
        f"\\set x `touch {markers / 'backtick'}`",
        f"\\o |touch {markers / 'pipe'}",
        f"\\unrestrict {own_key}",  # the dump's own key opens nothing: Vigil's is a new random one
        f"\\! touch {markers / 'after-unrestrict'}",
        f"\\copy (SELECT 1) TO PROGRAM 'touch {markers / 'client-copy'}'",
    ])
    run = backup_verify_now(make_source(dump, format=Format.SQL))
    assert list(markers.iterdir()) == []
    restore = checks_of(run)["restore"]
    assert run.status == Status.FAILURE
    assert restore["result"] == "failed"
    assert restore["message"].startswith("5 error(s) while restoring: line ")
    assert "backslash commands are restricted" in restore["message"]
    assert results_of(run)["critical_tables"] == results_of(run)["row_counts"] == "passed"


def test_a_plain_dump_from_pg_dump_restores_without_errors_from_its_own_restrict_lines(
    source_db, restore_server, tmp_path
):
    dump = source_db.dump(tmp_path / "shop.sql", fmt="plain")
    assert re.search(r"^\\restrict \w+$", dump.read_text(), re.M), "this pg_dump writes \\restrict"
    run = backup_verify_now(make_source(dump, format=Format.SQL))
    assert run.status == Status.SUCCESS, run.error_details


def test_a_psql_without_restrict_is_never_used_for_a_plain_dump(source_db, restore_server, markers, tmp_path,
                                                                monkeypatch):
    """An older psql (simulated by a psql on PATH that lists no \\restrict) would obey the
    dump's `\\!`: the restore is refused instead, and that psql never sees the dump."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "psql").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--help=commands" ]; then echo "  \\\\connect DBNAME"; exit 0; fi\n'
        f"touch {markers / 'old-psql-ran'}\n"
        'exec /usr/bin/psql "$@"\n'
    )
    (fake / "psql").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    dump = with_lines(source_db.dump(tmp_path / "shop.sql", fmt="plain"), [f"\\! touch {markers / 'shell'}"])
    run = backup_verify_now(make_source(dump, format=Format.SQL))
    assert list(markers.iterdir()) == []
    assert run.status == Status.FAILURE
    assert checks_of(run)["restore"]["message"].startswith("refused: the installed psql has no \\restrict")
    assert results_of(run)["critical_tables"] == "skipped"


def test_copy_to_program_in_a_plain_dump_fails_and_runs_nothing(source_db, restore_server, markers, tmp_path):
    dump = with_lines(source_db.dump(tmp_path / "shop.sql", fmt="plain"), [copy_to_program(markers / "server") + ";"])
    run = backup_verify_now(make_source(dump, format=Format.SQL))
    assert list(markers.iterdir()) == []
    assert run.status == Status.FAILURE
    assert "pg_execute_server_program" in checks_of(run)["restore"]["message"]


# The restore role ---------------------------------------------------------------------------

HOSTILE_CHECK = """
CREATE FUNCTION public.harmless(value int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_database() LIKE 'vigil\\_verify\\_%' THEN
        EXECUTE {copy};
    END IF;
    RETURN true;
END $$;
ALTER TABLE customers ADD CONSTRAINT looks_harmless CHECK (public.harmless(id));
"""


def hostile_archive(source_db, path, marker):
    """A custom-format dump whose CHECK constraint runs COPY … TO PROGRAM while its rows are
    restored (only in a scratch database: never while the test builds it)."""
    source_db.sql(HOSTILE_CHECK.format(copy=f"$c${copy_to_program(marker)}$c$"))
    return source_db.dump(path)


def test_a_superuser_restore_role_is_refused_and_nothing_runs(source_db, settings, markers, tmp_path):
    settings.BACKUP_RESTORE_DATABASE_URL = SERVER_URL  # user postgres, a superuser
    dump = hostile_archive(source_db, tmp_path / "shop.dump", markers / "server")
    run = backup_verify_now(make_source(dump))
    assert list(markers.iterdir()) == []
    message = checks_of(run)["restore"]["message"]
    assert run.status == Status.FAILURE
    assert message.startswith('refused: the restore role "postgres" is a superuser, so a dump could run commands')
    assert "LOGIN CREATEDB" in message
    assert results_of(run)["critical_tables"] == results_of(run)["row_counts"] == "skipped"


@pytest.mark.parametrize("powers, named", [
    ("CREATEROLE", "has CREATEROLE"),
    ("IN ROLE pg_execute_server_program", "is a member of pg_execute_server_program"),
    ("IN ROLE pg_write_server_files", "is a member of pg_write_server_files"),
])
def test_a_restore_role_that_could_reach_the_servers_os_is_refused(source_db, settings, tmp_path, powers, named):
    role = RestoreRole(powers)
    try:
        settings.BACKUP_RESTORE_DATABASE_URL = role.url()
        run = backup_verify_now(make_source(source_db.dump(tmp_path / "shop.dump")))
        assert checks_of(run)["restore"]["message"].startswith(f'refused: the restore role "{role.name}" {named}')
        assert role.databases() == []
    finally:
        role.drop()


def test_copy_to_program_in_a_custom_archive_fails_for_the_restore_role(source_db, restore_server, markers,
                                                                          tmp_path):
    dump = hostile_archive(source_db, tmp_path / "shop.dump", markers / "server")
    run = backup_verify_now(make_source(dump))
    assert list(markers.iterdir()) == []
    assert run.status == Status.FAILURE
    assert "pg_execute_server_program" in checks_of(run)["restore"]["message"]
