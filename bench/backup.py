"""`python -m bench.backup`: time a full backup verification (with restore) of a ~1 GB dump.

    python -m bench.backup                 a ~1 GB custom-format dump (default)
    python -m bench.backup --size-mb 50    a quick run

Makes a source database `vigil_bench_src_<random>` on 127.0.0.1:5432, fills it with rows
of hex text (about half compressible, like real data), dumps it with `pg_dump -Fc` into a
temp dir, verifies it with restore into a scratch database on the same server (as a role
`vigil_bench_restore_<random>` with LOGIN CREATEDB: a superuser is refused), prints the
per-check timings and writes them to bench/results/backup-<timestamp>.json. Everything it
made is dropped at the end.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

HOST, PORT = "127.0.0.1", 5432
DUMP_BYTES_PER_ROW = 88  # measured: compressed dump bytes per generated row (pg_dump -Fc, default level)
BATCH = 500_000
FILL = """
INSERT INTO events (id, account_id, kind, payload, created_at)
SELECT n, n %% 50000, 'kind-' || (n %% 17),
       md5(n::text) || md5((n * 7)::text) || md5((n * 13)::text) || md5((n * 31)::text),
       timestamp '2024-01-01' + n * interval '1 second'
FROM generate_series(%s, %s) n
"""


def connect(dbname):
    return psycopg.connect(host=HOST, port=PORT, user="postgres", dbname=dbname, autocommit=True)


def build_source(name, rows):
    with connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    with connect(name) as db:
        db.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text)")
        db.execute("INSERT INTO accounts SELECT n, 'account ' || n FROM generate_series(0, 49999) n")
        db.execute("CREATE TABLE events (id bigint, account_id int, kind text, payload text, created_at timestamp)")
        for start in range(1, rows + 1, BATCH):
            db.execute(FILL, [start, min(start + BATCH - 1, rows)])
        db.execute("ALTER TABLE events ADD PRIMARY KEY (id)")
        db.execute("CREATE INDEX events_account ON events (account_id, created_at)")
        return db.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def drop(name):
    with connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_role(role):
    with connect("postgres") as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN CREATEDB')


def drop_role(role):
    with connect("postgres") as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def verify(dump, rows, role):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["BACKUP_RESTORE_DATABASE_URL"] = f"postgres://{role}@{HOST}:{PORT}/postgres"
    import django

    django.setup()
    from backups.models import BackupSource, Format
    from backups.verify import verify as run_verification

    minimum = rows * DUMP_BYTES_PER_ROW // 2_000_000  # half the expected size
    source = BackupSource(pk=0, name="bench", path=str(dump), format=Format.PG_DUMP, min_size_mb=minimum,
                          critical_tables=["accounts", "events"], expected_rows={"accounts": 50000, "events": rows})
    return run_verification(source)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1000, help="target dump size in MB (default 1000)")
    args = parser.parse_args(argv)
    rows = args.size_mb * 1_000_000 // DUMP_BYTES_PER_ROW
    name = f"vigil_bench_src_{secrets.token_hex(4)}"
    role = f"vigil_bench_restore_{secrets.token_hex(4)}"
    workdir = Path(tempfile.mkdtemp(prefix="vigil-bench-backup-"))
    dump = workdir / "bench.dump"
    try:
        started = time.monotonic()
        db_bytes = build_source(name, rows)
        built = time.monotonic() - started
        started = time.monotonic()
        subprocess.run(["pg_dump", "-Fc", "-h", HOST, "-p", str(PORT), "-U", "postgres", "-f", str(dump), name],
                       check=True)
        dumped = time.monotonic() - started
        create_role(role)
        run = verify(dump, rows, role)
        result = report(args, rows, db_bytes, dump.stat().st_size, built, dumped, run)
    finally:
        drop(name)
        drop_role(role)
        shutil.rmtree(workdir, ignore_errors=True)
    out = Path(__file__).parent / "results" / f"backup-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwritten to {out}")
    return 0 if result["status"] == "success" else 1


def report(args, rows, db_bytes, dump_bytes, built, dumped, run):
    result = {
        "command": "python -m bench.backup " + " ".join(sys.argv[1:]),
        "machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.platform()}",
        "rows": rows, "database_mb": round(db_bytes / 1e6), "dump_mb": round(dump_bytes / 1e6, 1),
        "build_seconds": round(built, 1), "pg_dump_seconds": round(dumped, 1),
        "status": run.status, "verification_seconds": round(run.duration, 1),
        "checks": [{"name": c.name, "result": c.result, "seconds": round(c.seconds, 2), "message": c.message}
                   for c in run.checks],
    }
    print(f"{result['machine']}\nsource: {rows:,} rows, database {result['database_mb']:,} MB; "
          f"dump {result['dump_mb']:,} MB (built in {built:.0f} s, pg_dump {dumped:.0f} s)")
    print(f"verification: {run.status} in {run.duration:.1f} s\n\n| check | result | seconds |\n| --- | --- | ---: |")
    for check in result["checks"]:
        print(f"| {check['name']} | {check['result']} | {check['seconds']:.2f} |")
    return result


if __name__ == "__main__":
    sys.exit(main())
