"""Config as code: `apply_config` and `export_config` against a real database."""

import textwrap
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from monitors.kinds import KINDS
from monitors.models import Monitor, StateChange, Status, Tag
from monitors.services import monitor_save
from tests.support.processes import manage

DSN = "postgresql://vigil:dsn-Secret-4711@db.internal/app"
PASSWORD = "pw-Secret-0815"
TOKEN = "Bearer tok-Secret-2342"

BASE_FILE = """
monitors:
  - name: api
    kind: http
    url: https://api.example.com/health
    interval: 1m
    tags: [api, prod]
  - name: db
    kind: tcp
    host: db.example.com
    port: 5432
  - name: backup
    kind: heartbeat
    period: 1d
    grace: 30m
"""


# Helpers -------------------------------------------------------------------


@pytest.fixture
def write(tmp_path):
    def write(text, name="vigil.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


def apply(path, *args):
    out = StringIO()
    call_command("apply_config", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def apply_fails(path, *args):
    with pytest.raises(CommandError) as caught:
        apply(path, *args)
    return str(caught.value).splitlines()


def export(*args):
    out = StringIO()
    call_command("export_config", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Every column of every monitor, its tags, every tag and state change."""
    monitors = list(Monitor.objects.order_by("pk").values())
    tags = {monitor.name: sorted(tag.name for tag in monitor.tags.all()) for monitor in Monitor.objects.all()}
    return monitors, tags, list(Tag.objects.values_list("name", flat=True)), StateChange.objects.count()


def make(name, kind="http", tags=None, **fields):
    defaults = {"http": {"url": "https://example.com/"}, "tcp": {"host": "db.example.com", "port": 5432}}
    fields = {**defaults.get(kind, {}), **fields}
    return monitor_save(Monitor(name=name, kind=kind, **fields), tags=tags)


# Creating and updating ----------------------------------------------------------


def test_apply_creates_monitors_with_their_settings(db, write):
    output = apply(write(BASE_FILE))

    assert output == [
        'created monitor "api"',
        'created monitor "db"',
        'created monitor "backup"',
        "3 created, 0 updated, 0 deleted, 0 unchanged.",
    ]
    api = Monitor.objects.get(name="api")
    assert (api.kind, api.url, api.interval, api.timeout) == ("http", "https://api.example.com/health", 60, 10)
    assert sorted(api.tags.values_list("name", flat=True)) == ["api", "prod"]
    backup = Monitor.objects.get(name="backup")
    assert (backup.period, backup.grace) == (86400, 1800)
    assert Monitor.objects.get(name="db").port == 5432


def test_applying_the_same_file_twice_changes_nothing_the_second_time(db, write):
    path = write(BASE_FILE)
    apply(path)
    before = snapshot()

    assert apply(path) == ["No changes (3 unchanged)."]
    assert snapshot() == before  # updated_at and next_check_at included


def test_update_saves_only_the_monitor_that_differs(db, write):
    apply(write(BASE_FILE))
    before = {row["name"]: row for row in Monitor.objects.values()}

    output = apply(write(BASE_FILE.replace("interval: 1m", "interval: 5m\n    severity: P1")))

    assert output == ['updated monitor "api": interval, severity', "0 created, 1 updated, 0 deleted, 2 unchanged."]
    after = {row["name"]: row for row in Monitor.objects.values()}
    assert (after["api"]["interval"], after["api"]["severity"]) == (300, "P1")
    assert after["api"]["updated_at"] > before["api"]["updated_at"]
    assert after["db"] == before["db"]
    assert after["backup"] == before["backup"]


def test_a_key_left_out_goes_back_to_its_default(db, write):
    make("api", tags=["prod"], interval=300, severity="P0", keyword="ok")

    output = apply(write("monitors: [{name: api, kind: http, url: 'https://example.com/'}]"))

    assert output[0] == 'updated monitor "api": interval, severity, tags, keyword'
    api = Monitor.objects.get(name="api")
    assert (api.interval, api.severity, api.keyword, list(api.tags.all())) == (60, "P2", "", [])


def test_tags_only_change_is_saved(db, write):
    make("api", tags=["prod"])

    output = apply(write("monitors: [{name: api, kind: http, url: 'https://example.com/', tags: [prod, eu]}]"))

    assert output[0] == 'updated monitor "api": tags'
    assert sorted(Monitor.objects.get(name="api").tags.values_list("name", flat=True)) == ["eu", "prod"]


def test_pausing_in_the_file_pauses_through_the_service(db, write):
    make("api")

    apply(write("monitors: [{name: api, kind: http, url: 'https://example.com/', paused: true}]"))

    api = Monitor.objects.get(name="api")
    assert (api.paused, api.status) == (True, Status.PAUSED)
    assert StateChange.objects.filter(monitor=api, reason="paused").exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [("204", "204"), ("'200-299,301'", "200-299, 301"), ("[200, '300-302']", "200, 300-302"), ("''", "")],
)
def test_expected_status_accepts_a_code_a_string_or_a_list(db, write, given, stored):
    apply(write(f"monitors: [{{name: api, kind: http, url: 'https://example.com/', expected_status: {given}}}]"))

    assert Monitor.objects.get(name="api").expected_status == stored


def test_durations_accept_units_plain_seconds_and_fractions(db, write):
    apply(write("monitors: [{name: api, kind: http, url: 'https://x.example/', interval: 90, timeout: 500ms}]"))

    api = Monitor.objects.get(name="api")
    assert (api.interval, api.timeout) == (90, 0.5)


# Dry run and prune ----------------------------------------------------------------


def test_dry_run_prints_the_changes_and_makes_none(db, write):
    make("api", interval=60)
    make("old")
    before = snapshot()
    path = write(BASE_FILE.replace("interval: 1m", "interval: 2m"))

    output = apply(path, "--dry-run", "--prune")

    assert output == [
        'would update monitor "api": interval, tags, url',
        'would create monitor "db"',
        'would create monitor "backup"',
        'would delete monitor "old"',
        "Dry run, nothing changed: would create 2, update 1, delete 1; 0 unchanged.",
    ]
    assert snapshot() == before


def test_without_prune_monitors_the_file_does_not_name_are_kept(db, write):
    make("old")

    output = apply(write(BASE_FILE))

    assert output[-1] == "3 created, 0 updated, 0 deleted, 0 unchanged. 1 not in the file kept (--prune deletes them)."
    assert Monitor.objects.filter(name="old").exists()


def test_prune_deletes_monitors_the_file_no_longer_names(db, write):
    apply(write(BASE_FILE))
    without_db = BASE_FILE.replace("  - name: db\n    kind: tcp\n    host: db.example.com\n    port: 5432\n", "")

    output = apply(write(without_db), "--prune")

    assert output == ['deleted monitor "db"', "0 created, 0 updated, 1 deleted, 2 unchanged."]
    assert sorted(Monitor.objects.values_list("name", flat=True)) == ["api", "backup"]


def test_an_empty_list_with_prune_deletes_every_monitor(db, write):
    make("a")
    make("b")

    assert apply(write("monitors: []"), "--prune")[-1] == "0 created, 0 updated, 2 deleted, 0 unchanged."
    assert not Monitor.objects.exists()


def test_a_file_without_a_monitors_section_leaves_monitors_alone_even_with_prune(db, write):
    make("a")

    assert apply(write("{}"), "--prune") == ["No changes (0 unchanged)."]
    assert Monitor.objects.filter(name="a").exists()


# Invalid files: one line per problem, nothing changed ------------------------------------

INVALID = {  # id: (file, the one line expected; {path} is the file's path)
    "bad-yaml": (
        "monitors: [\n",
        "{path}: invalid YAML: expected the node content, but found '<stream end>' (line 2, column 1)",
    ),
    "yaml-duplicate-key": (
        "monitors:\n  - name: a\n    name: b\n",
        "{path}: invalid YAML: duplicate key 'name' (line 3, column 5)",
    ),
    "top-level-list": (
        "- name: a\n",
        "{path}: the top level must be a mapping (monitors: ...)",
    ),
    "empty-file": (
        "# nothing\n",
        "{path}: the file is empty",
    ),
    "unknown-section": (
        "monitors: []\nchannel: []\n",
        "channel: unknown top-level key (known: channels, monitors, alert_rules, maintenance, backup_sources, sentry_projects)",
    ),
    "section-not-a-list": (
        "monitors:\n",
        "monitors: must be a list",
    ),
    "item-not-a-mapping": (
        "monitors: [api]",
        "monitors[0]: must be a mapping",
    ),
    "no-name": (
        "monitors: [{kind: http, url: 'https://x.example/'}]",
        "monitors[0]: name: required",
    ),
    "name-not-text": (
        "monitors: [{name: 5, kind: http, url: 'https://x.example/'}]",
        "monitors[0]: name: must be a string",
    ),
    "no-kind": (
        "monitors: [{name: a, url: 'https://x.example/'}]",
        'monitors[0] "a": kind: required',
    ),
    "unknown-kind": (
        "monitors: [{name: a, kind: smtp}]",
        'monitors[0] "a": kind: \'smtp\' is not one of: ' + ", ".join(KINDS),
    ),
    "unknown-key": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', intervall: 5m}]",
        'monitors[0] "a": intervall: unknown key (did you mean interval?)',
    ),
    "interval-too-short": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', interval: 10s, timeout: 5}]",
        'monitors[0] "a": interval: must be at least 20s',
    ),
    "interval-too-long": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', interval: 2d}]",
        'monitors[0] "a": interval: must be at most 1d',
    ),
    "file-url": (
        "monitors: [{name: a, kind: http, url: 'file:///etc/passwd'}]",
        'monitors[0] "a": url: only http:// and https:// URLs can be checked',
    ),
    "ftp-url": (
        "monitors: [{name: a, kind: http, url: 'ftp://files.example/'}]",
        'monitors[0] "a": url: only http:// and https:// URLs can be checked',
    ),
    "duplicate-names": (
        "monitors: [{name: a, kind: heartbeat, period: 1h}, {name: a, kind: heartbeat, period: 1h}]",
        'monitors[1] "a": name: duplicate of monitors[0] "a"',
    ),
    "bad-duration": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', timeout: 5x}]",
        'monitors[0] "a": timeout: \'5x\' is not a duration (use 20s, 5m, 1h, 1d, 500ms or a number of seconds)',
    ),
    "fractional-period": (
        "monitors: [{name: a, kind: heartbeat, period: 1500ms}]",
        'monitors[0] "a": period: must be a whole number of seconds',
    ),
    "port-as-text": (
        "monitors: [{name: a, kind: tcp, host: h.example, port: '80'}]",
        'monitors[0] "a": port: must be a whole number',
    ),
    "bool-as-text": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', public: 'yes'}]",
        'monitors[0] "a": public: must be true or false',
    ),
    "tags-not-a-list": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', tags: prod}]",
        'monitors[0] "a": tags: must be a list of strings',
    ),
    "tag-not-a-slug": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', tags: [Not a slug]}]",
        'monitors[0] "a": tags: \'Not a slug\': enter a valid “slug” consisting of letters, numbers, '
        "underscores or hyphens",
    ),
    "headers-not-a-mapping": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', headers: [x]}]",
        'monitors[0] "a": headers: must be a mapping',
    ),
    "status-wrong-type": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', expected_status: {a: 1}}]",
        'monitors[0] "a": expected_status: must be a code, a string like "200-299, 301" or a list of codes and ranges',
    ),
    "status-bad-range": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', expected_status: '200-2x'}]",
        'monitors[0] "a": expected_status: \'200-2x\' is not a status code or a range like 200-299',
    ),
    "model-kind-rule": (
        "monitors: [{name: a, kind: tcp, port: 22}]",
        'monitors[0] "a": host: a tcp monitor needs a host',
    ),
    "model-clean-rule": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', interval: 30s, timeout: 30}]",
        'monitors[0] "a": timeout: must be shorter than the interval',
    ),
    "bad-severity": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', severity: P9}]",
        'monitors[0] "a": severity: \'P9\' is not one of: P0, P1, P2, P3',
    ),
    "model-min-value": (
        "monitors: [{name: a, kind: http, url: 'https://x.example/', confirmations: 0}]",
        'monitors[0] "a": confirmations: must be at least 1',
    ),
    "port-too-high": (
        "monitors: [{name: a, kind: tcp, host: h.example, port: 70000}]",
        'monitors[0] "a": port: must be at most 65535',
    ),
    "postgres-without-dsn": (
        "monitors: [{name: a, kind: postgres}]",
        'monitors[0] "a": dsn: a postgres monitor needs a DSN',
    ),
}


@pytest.fixture
def existing(db):
    """Monitors already there, so 'nothing changed' is checked against real rows."""
    make("a", tags=["prod"], interval=120)
    make("keep", kind="tcp")


@pytest.mark.parametrize(("text", "line"), INVALID.values(), ids=INVALID.keys())
def test_an_invalid_file_names_the_problem_and_changes_nothing(existing, write, text, line):
    path = write(text)
    before = snapshot()

    lines = apply_fails(path, "--prune")

    assert lines == [line.format(path=path)]
    assert snapshot() == before


def test_a_valid_item_before_an_invalid_one_is_not_created(db, write):
    before = snapshot()
    path = write(
        """
        monitors:
          - name: good
            kind: http
            url: https://good.example/
          - name: api-health
            kind: http
            url: https://api.example/
            interval: 10s
            timeout: 5s
        """
    )

    assert apply_fails(path) == ['monitors[1] "api-health": interval: must be at least 20s']
    assert snapshot() == before
    assert not Monitor.objects.exists()


def test_an_invalid_update_leaves_a_valid_update_unsaved(existing, write):
    before = snapshot()
    path = write(
        """
        monitors:
          - {name: a, kind: http, url: 'https://x.example/', interval: 5m}
          - {name: keep, kind: tcp, host: db.example.com, port: 0}
        """
    )

    assert apply_fails(path, "--prune") == ['monitors[1] "keep": port: a tcp monitor needs a port']
    assert snapshot() == before


def test_every_problem_of_a_file_is_listed_one_a_line_in_file_order(db, write):
    path = write(
        """
        channel: []
        monitors:
          - name: api-health
            kind: http
            url: ftp://example.com/
            interval: 10s
            timeout: 5
            colour: red
          - kind: http
          - name: db
            kind: tcp
            host: db.example.com
            port: '5432'
            severity: P7
          - name: db
            kind: heartbeat
            period: 1h
        """
    )

    assert apply_fails(path) == [
        "channel: unknown top-level key (known: channels, monitors, alert_rules, maintenance, backup_sources, sentry_projects)",
        'monitors[0] "api-health": colour: unknown key',
        'monitors[0] "api-health": interval: must be at least 20s',
        'monitors[0] "api-health": url: only http:// and https:// URLs can be checked',
        "monitors[1]: name: required",
        "monitors[1]: url: an http monitor needs a URL",
        'monitors[2] "db": port: must be a whole number',
        "monitors[2] \"db\": severity: 'P7' is not one of: P0, P1, P2, P3",
        'monitors[3] "db": name: duplicate of monitors[2] "db"',
    ]
    assert not Monitor.objects.exists()


def test_a_missing_file_is_one_line(db, tmp_path):
    path = tmp_path / "nowhere.yaml"

    assert apply_fails(path) == [f"{path}: no such file"]


# Secrets and ${ENV} ------------------------------------------------------------------


@pytest.fixture
def with_secrets(db):
    make("api", auth_user="bot", auth_password=PASSWORD, headers={"Authorization": TOKEN})
    make("db", kind="postgres", dsn=DSN, interval=300)


def test_a_secret_the_file_leaves_out_keeps_its_value(with_secrets, write):
    output = apply(write("monitors: [{name: db, kind: postgres, interval: 10m}]"))

    assert output[0] == 'updated monitor "db": interval'
    assert Monitor.objects.get(name="db").dsn == DSN


def test_secrets_come_from_the_environment(db, write, monkeypatch):
    monkeypatch.setenv("VIGIL_TEST_DSN", DSN)
    monkeypatch.setenv("VIGIL_TEST_TOKEN", "tok-1")
    path = write(
        """
        monitors:
          - name: db
            kind: postgres
            dsn: ${VIGIL_TEST_DSN}
          - name: api
            kind: http
            url: https://api.example/
            auth_password: pre-${VIGIL_TEST_TOKEN}-post
            headers: {Authorization: "Bearer ${VIGIL_TEST_TOKEN}", X-Plain: plain}
        """
    )

    output = apply(path)

    assert output[-1] == "2 created, 0 updated, 0 deleted, 0 unchanged."
    assert Monitor.objects.get(name="db").dsn == DSN
    api = Monitor.objects.get(name="api")
    assert api.auth_password == "pre-tok-1-post"
    assert api.headers == {"Authorization": "Bearer tok-1", "X-Plain": "plain"}
    assert apply(path) == ["No changes (2 unchanged)."]


def test_a_changed_secret_is_named_but_never_printed(with_secrets, write, monkeypatch):
    monkeypatch.setenv("VIGIL_TEST_DSN", "postgresql://vigil:new-Secret@db/app")

    output = apply(write("monitors: [{name: db, kind: postgres, interval: 5m, dsn: '${VIGIL_TEST_DSN}'}]"), "--dry-run")

    assert output[0] == 'would update monitor "db": dsn'
    assert "new-Secret" not in "\n".join(output)
    assert Monitor.objects.get(name="db").dsn == DSN


def test_an_unset_environment_variable_is_an_error(db, write, monkeypatch):
    monkeypatch.delenv("VIGIL_TEST_UNSET", raising=False)
    before = snapshot()
    path = write("monitors: [{name: db, kind: postgres, dsn: 'postgresql://u:${VIGIL_TEST_UNSET}@h/d'}]")

    assert apply_fails(path) == ['monitors[0] "db": dsn: environment variable VIGIL_TEST_UNSET is not set']
    assert snapshot() == before


# Export --------------------------------------------------------------------


def test_export_leaves_secrets_out(with_secrets):
    text = export()

    for secret in (DSN, PASSWORD, TOKEN, "dsn-Secret", "pw-Secret", "tok-Secret"):
        assert secret not in text
    entries = {entry["name"]: entry for entry in yaml.safe_load(text)["monitors"]}
    for secret_key in ("auth_password", "dsn", "headers"):
        assert all(secret_key not in entry for entry in entries.values())
    assert entries["api"]["auth_user"] == "bot"


def test_export_omits_defaults_and_writes_durations_in_units(db):
    make("plain", url="https://plain.example/")
    make("tuned", url="https://tuned.example/", interval=3600, timeout=1.5, severity="P0", tags=["prod", "eu"],
         expected_status="200-299, 301")
    nightly = make("nightly", kind="heartbeat", period=86400, grace=300, interval=20)

    entries = yaml.safe_load(export())["monitors"]

    assert entries == [
        {"name": "nightly", "kind": "heartbeat", "interval": "20s", "period": "1d", "grace": "5m",
         "ping_uuid": str(nightly.ping_uuid)},
        {"name": "plain", "kind": "http", "url": "https://plain.example/"},
        {"name": "tuned", "kind": "http", "interval": "1h", "timeout": "1.5s", "severity": "P0",
         "tags": ["eu", "prod"], "url": "https://tuned.example/", "expected_status": "200-299, 301"},
    ]


def test_export_then_apply_changes_nothing(with_secrets, write):
    make("tuned", url="https://tuned.example/", interval=3600, timeout=1.5, severity="P0", tags=["prod"],
         method="POST", body="line one\nline two\n", expected_status="200, 204", keyword="ok", public=True)
    make("cert", kind="tls", host="example.com", port=443, server_name="www.example.com", expiry_warning_days=14)
    make("nightly", kind="heartbeat", period=86400, grace=1800, paused=True)
    before = snapshot()

    # 5 monitors and the 6 shipped alert rules (the tiers), which export writes too
    assert apply(write(export()), "--prune") == ["No changes (11 unchanged)."]
    assert snapshot() == before


def test_an_export_rebuilds_the_same_monitors_in_an_empty_database(db, write):
    make("tuned", url="https://tuned.example/", interval=3600, timeout=1.5, tags=["prod"], expected_status="204")
    make("cert", kind="tls", host="example.com", port=443, slow_ms=800)
    ping_url = make("nightly", kind="heartbeat", period=86400, grace=1800).ping_url
    first = export()
    Monitor.objects.all().delete()

    # the 6 shipped alert rules are there already
    assert apply(write(first))[-1] == "3 created, 0 updated, 0 deleted, 6 unchanged."
    assert export() == first
    assert Monitor.objects.get(name="nightly").ping_url == ping_url, "cron jobs keep pinging the same URL"


def test_a_heartbeat_file_without_ping_uuid_keeps_the_current_one(db, write):
    ping_url = make("nightly", kind="heartbeat", period=86400, grace=1800).ping_url
    path = write("monitors: [{name: nightly, kind: heartbeat, period: 1d, grace: 30m}]")

    assert apply(path) == ["No changes (1 unchanged)."]
    assert Monitor.objects.get(name="nightly").ping_url == ping_url


def test_export_writes_to_a_file(db, tmp_path):
    make("plain")
    path = tmp_path / "out.yaml"

    assert export("--output", str(path)) == ""
    assert yaml.safe_load(path.read_text())["monitors"][0]["name"] == "plain"


# A real process: exit codes and stderr -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_with_one_line_per_problem(write):
    invalid = write(
        """
        monitors:
          - {kind: http, url: 'https://x.example/'}
          - {name: api-health, kind: http, url: 'https://x.example/', interval: 10s, timeout: 5}
        """
    )
    valid = write("monitors: [{name: api-health, kind: http, url: 'https://x.example/'}]", name="valid.yaml")

    failed = manage("apply_config", str(invalid))
    done = manage("apply_config", str(valid))

    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "CommandError: monitors[0]: name: required",
        'monitors[1] "api-health": interval: must be at least 20s',
    ]
    assert failed.stdout == ""
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ['created monitor "api-health"', "1 created, 0 updated, 0 deleted, 0 unchanged."]
    assert Monitor.objects.get(name="api-health").url == "https://x.example/"


@pytest.mark.django_db(transaction=True)
def test_a_missing_file_exits_non_zero(tmp_path):
    result = manage("apply_config", str(tmp_path / "nowhere.yaml"))

    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"CommandError: {tmp_path / 'nowhere.yaml'}: no such file"]


@pytest.mark.django_db
def test_an_item_without_a_name_still_has_its_other_fields_judged(write):
    path = write("monitors: [{kind: smtp, interval: 5s, timeout: 1s}]")
    assert apply_fails(path) == [
        "monitors[0]: name: required",
        "monitors[0]: kind: 'smtp' is not one of: " + ", ".join(KINDS),
        "monitors[0]: interval: must be at least 20s",
    ]
    assert not Monitor.objects.exists()


def test_an_objective_round_trips_and_a_bad_one_names_the_key(db, write):
    path = write("""
        monitors:
          - name: shop
            kind: http
            url: https://shop.example.com/
            slo_target: 99.9%
            slo_window_days: 7
    """)
    apply(path)
    shop = Monitor.objects.get()
    assert (str(shop.slo_target), shop.slo_window_days) == ("99.900", 7)
    assert "slo_target: 99.9\n" in export()
    assert apply(write(export(), name="again.yaml"))[0].startswith("No changes")
    bad = write("monitors:\n  - {name: shop, kind: http, url: 'https://shop.example.com/', slo_target: lots}\n")
    assert apply_fails(bad) == ['monitors[0] "shop": slo_target: must be a percentage such as 99.9']
    too_high = write("monitors:\n  - {name: shop, kind: http, url: 'https://shop.example.com/', slo_target: 100}\n")
    assert apply_fails(too_high)[0].startswith('monitors[0] "shop": slo_target:')
