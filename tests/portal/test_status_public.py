"""The public face: /status/, its Atom feed, the badges and /api/monitoring/public-status
show public monitors' names and states, never a secret, an error text or a private monitor,
and cost the same queries for 3 or 30 monitors."""

import gzip
import importlib
import json
import re
import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.lifecycle import incident_resolve
from incidents.models import Incident, TimelineEntry
from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.history import day_of
from monitors.models import MaintenanceWindow, Monitor
from monitors.services import monitor_save
from portal.status.views import latency_path, percent_text

pytestmark = pytest.mark.django_db

PAGE, FEED, API = "/status/", "/status/feed.atom", "/api/monitoring/public-status"
ATOM = "{http://www.w3.org/2005/Atom}"
SECRET_URL = "https://checkout-7.internal.example:8443/health?token=s3cr3t-t0ken"
SECRET_HOST = "db-primary.internal.example"
ERROR_TEXT = "connection refused by 10.9.8.7"


@pytest.fixture(autouse=True)
def fresh_cache():
    """The page, its data and the API throttle live in the cache; each test starts empty."""
    cache.clear()
    yield
    cache.clear()


def make(name, *, public=True, tags=None, **fields):
    fields = {"kind": "http", "url": SECRET_URL, **fields}
    return monitor_save(Monitor(name=name, public=public, interval=60, confirmations=1, **fields), tags=tags)


def story(monitor, start, pattern, ms=100.0):
    """One check a minute: "u" up, "d" down (with an error text), "s" slow."""
    for minute, mark in enumerate(pattern):
        outcome = Outcome.down(ERROR_TEXT, 50.0) if mark == "d" else Outcome.up(ms if mark == "u" else 5000.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=minute))])


def recent(minutes=30):
    return timezone.now() - timedelta(minutes=minutes)


def text_of(client, url):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def bars_of(page, name):
    """The data-days tokens of the component called `name`."""
    block = page.split(f"<strong>{name}</strong>", 1)[1]
    return re.search(r'data-days="([^"]*)"', block).group(1).split(" ")


def painted(page, name):
    """The colour each day's bar ends up with: the paths painted in order, 4 units a day."""
    svg = page.split(f"<strong>{name}</strong>", 1)[1].split("</svg>", 1)[0]
    days = [None] * 90
    for level, path in re.findall(r'<path class="status-(\w+)" d="([^"]+)"', svg):
        for x, width in re.findall(r"M(\d+) 15h(\d+)", path):
            days[int(x) // 4:(int(x) + int(width)) // 4] = [level] * (int(width) // 4)
    return days


# Reading the page -------------------------------------------------------------------------


def test_every_role_reads_the_page_feed_and_badges_with_the_public_components_only(role_clients):
    checkout = make("Checkout API", tags=["shop"])
    story(checkout, recent(), "uuu")
    story(make("Billing DB", public=False, kind="tcp", url="", host=SECRET_HOST, port=5432), recent(), "uuu")

    for role, client in role_clients.items():
        page = text_of(client, PAGE)
        assert "Checkout API" in page and "<h2>shop</h2>" in page, role
        assert "Billing DB" not in page, role
        assert "<feed" in text_of(client, FEED) and "Checkout API" in text_of(client, f"/badge/{checkout.slug}.svg")
    assert "Sign in" in text_of(role_clients["anonymous"], PAGE)
    assert "Sign out root" in text_of(role_clients["super_admin"], PAGE)


def test_branding_comes_from_settings(client, settings):
    settings.BRANDING = {"name": "Acme Cloud", "logo_url": "https://cdn.example/logo.svg", "accent": "#aa3300"}
    page = text_of(client, PAGE)
    assert "<title>Acme Cloud status</title>" in page
    assert 'src="https://cdn.example/logo.svg"' in page and "--accent: #aa3300" in page


def test_names_are_escaped_on_every_surface(client):
    monitor = make("<b>Shop</b> & more")
    story(monitor, recent(), "ud")
    for url in (PAGE, FEED, f"/badge/{monitor.slug}.svg"):
        text = text_of(client, url)
        assert "<b>Shop</b>" not in text and "&lt;b&gt;Shop&lt;/b&gt; &amp; more" in text, url
    assert json.loads(text_of(client, API))["components"][0]["name"] == "<b>Shop</b> & more"


def test_untagged_components_are_grouped_under_other_after_the_tags(client):
    for name, tags in (("Web", None), ("Search", ["api"]), ("Checkout", ["shop", "api"])):
        story(make(name, tags=tags), recent(), "u")
    page = text_of(client, PAGE)
    assert page.index("<h2>api</h2>") < page.index("<strong>Checkout</strong>") < page.index("<strong>Search</strong>")
    assert page.index("<strong>Search</strong>") < page.index("<h2>Other</h2>") < page.index("<strong>Web</strong>")
    assert "<h2>shop</h2>" not in page  # one group per component: its first tag


# The overall banner ------------------------------------------------------------------------


def banner(client):
    return re.search(r'id="status-overall">([^<]*)<', text_of(client, PAGE)).group(1)


def test_all_up_is_all_systems_operational(client):
    for name in ("A", "B"):
        story(make(name), recent(), "uuu")
    make("Paused", paused=True)
    assert banner(client) == "All systems operational"
    assert "Paused</span>" in text_of(client, PAGE)


def test_one_down_of_two_is_a_partial_outage_and_all_down_a_major_one(client):
    story(make("A"), recent(), "uuu")
    b = make("B")
    story(b, recent(), "uud")
    assert banner(client) == "Partial outage"
    assert ">Outage</span>" in text_of(client, PAGE)
    story(Monitor.objects.get(name="A"), recent(5), "d")
    assert banner(client) == "Major outage"


def test_a_slow_monitor_is_degraded_performance(client):
    story(make("A", slow_ms=1000), recent(), "us")
    story(make("B"), recent(), "u")
    assert banner(client) == "Degraded performance"


def test_a_window_shows_under_maintenance_with_its_public_note_only(client):
    covered = make("API", tags=["api"])
    story(make("Web"), recent(), "u")
    window = MaintenanceWindow.objects.create(name="Upgrade db-prod-3", note="Ticket OPS-1234, host 10.1.2.3",
                                              public_note="Expect short read-only periods.",
                                              starts=recent(10), ends=timezone.now() + timedelta(hours=1))
    window.tags.add(covered.tags.get())
    story(covered, recent(5), "uu")

    assert banner(client) == "Under maintenance"
    page = text_of(client, PAGE)
    assert "Scheduled maintenance" in page and "Expect short read-only periods." in page and "In progress" in page
    assert "db-prod-3" not in page and "OPS-1234" not in page


def test_upcoming_maintenance_within_a_week_is_listed_and_later_or_private_ones_are_not(client):
    public_monitor = make("API")
    private = make("Internal tool", public=False)
    soon = MaintenanceWindow.objects.create(name="Network work", starts=timezone.now() + timedelta(days=2),
                                            ends=timezone.now() + timedelta(days=2, hours=2))
    soon.monitors.add(public_monitor)
    later = MaintenanceWindow.objects.create(name="Far away", starts=timezone.now() + timedelta(days=20))
    later.monitors.add(public_monitor)
    hidden = MaintenanceWindow.objects.create(name="Private window", starts=timezone.now() + timedelta(days=1))
    hidden.monitors.add(private)
    MaintenanceWindow.objects.create(name="Every Sunday", cron="0 2 * * sun", duration=3600, all_monitors=True)

    page = text_of(client, PAGE)
    assert page.count("Scheduled maintenance") == 2  # "Network work" and "Every Sunday"
    for name in ("Network work", "Every Sunday", "Far away", "Private window"):
        assert name not in page


# Bars, uptime and response time --------------------------------------------------------------


def test_ninety_bars_one_per_day_with_a_no_data_day(client, settings):
    settings.TIME_ZONE = "America/New_York"  # bars are UTC days wherever the server is
    monitor = make("API")
    today = day_of(timezone.now())
    story(monitor, today - timedelta(days=2) + timedelta(hours=12), "uuuuuuddddu")  # 6 minutes up, 4 down
    story(monitor, max(today, recent(3)), "uuu")

    page = text_of(client, PAGE)
    days = bars_of(page, "API")
    assert len(days) == 90
    assert days == ["-"] * 87 + ["60.00", "-", ""]  # "" is 100 %
    assert painted(page, "API") == ["none"] * 87 + ["bad", "none", "good"]
    assert 'data-first-day="%s"' % (today - timedelta(days=89)).date().isoformat() in page


def test_uptime_figures_and_the_response_time_chart(client):
    story(make("API"), recent(), "uuuuuuuuuuuuuuuuuuddu")  # 2 of 20 minutes down
    page = text_of(client, PAGE)
    assert page.count("90.00% <small>") == 3
    assert "Response time" in page and re.search(r'<path d="M\d+ \d+( \d+ \d+)*(h0)?"/>', page)
    peak = int(re.search(r'class="status-y"><span>(\d+) ms</span><span>0 ms</span>', page).group(1))
    assert 95 <= peak <= 100  # the hourly average of 19 checks at 100 ms and 2 at 50 ms


def test_the_drawing_helpers():
    assert latency_path([None, 10, 20, None, 5] + [None] * 19) == ("M10 20 20 1M40 30h0", 20)
    assert latency_path([None] * 24) == ("", None)
    assert [percent_text(v) for v in (None, 100.0, 99.999, 99.95, 66.6667)] == [
        "no data", "100%", "99.99%", "99.95%", "66.66%"]


def test_the_day_of_an_incident_carries_its_neutral_title(client):
    monitor = make("Checkout API")
    story(monitor, recent(), "ud")
    opened = Incident.objects.get(source_key=monitor.source_key).opened_at
    block = text_of(client, PAGE).split("<strong>Checkout API</strong>", 1)[1]
    incidents = json.loads(re.search(r'data-incidents="([^"]*)"', block).group(1).replace("&quot;", '"'))
    first_bar = day_of(timezone.now()) - timedelta(days=89)
    still_open = range((day_of(opened) - first_bar).days, 90)  # from the day it opened to today
    assert incidents == {str(day): ["Checkout API: outage"] for day in still_open}


# Incidents ---------------------------------------------------------------------------------------


def open_incident_with_updates(name="Checkout API"):
    monitor = make(name)
    story(monitor, recent(), "uudd")
    incident = Incident.objects.get(source_key=monitor.source_key)
    assert ERROR_TEXT in incident.title  # what must never be shown
    now = timezone.now()
    TimelineEntry.objects.create(incident=incident, at=now, kind="update", public=True,
                                 text="We are looking into failed checkouts.")
    TimelineEntry.objects.create(incident=incident, at=now, kind="update", public=False,
                                 text="Restarted worker on db-7, secret ops note.")
    return monitor, incident


def test_an_open_incident_shows_its_neutral_title_and_public_updates_only(client):
    open_incident_with_updates()
    page = text_of(client, PAGE)
    current = page.split("Current incidents", 1)[1].split("Past incidents", 1)[0]
    assert "Checkout API: outage" in current and "Investigating" in current
    assert "We are looking into failed checkouts." in current
    assert "secret ops note" not in page and ERROR_TEXT not in page


def test_a_resolved_incident_is_listed_as_past(client):
    _, incident = open_incident_with_updates()
    incident_resolve(incident, via="test", note="all good")
    page = text_of(client, PAGE)
    assert "Current incidents" not in page
    past = page.split("Past incidents", 1)[1]
    assert "Checkout API: outage" in past and "Resolved" in past and "all good" not in page


def test_incidents_of_private_monitors_are_not_shown(client):
    story(make("Secret backend", public=False), recent(), "ud")
    page = text_of(client, PAGE)
    assert "Secret backend" not in page and "No incidents in the last 14 days." in page


# No leaks on any public surface --------------------------------------------------------------------


def test_no_secret_error_text_or_private_monitor_on_the_page_feed_badge_or_api(client):
    public_monitor, incident = open_incident_with_updates()
    tcp = make("Postgres", kind="tcp", url="", host=SECRET_HOST, port=5432)
    story(tcp, recent(), "ud")
    private = make("Hidden billing", public=False, kind="tcp", url="", host="billing.internal", port=6432)
    story(private, recent(), "ud")
    MaintenanceWindow.objects.create(name="Upgrade", note="Short pause.", all_monitors=True,
                                     public_note="We are upgrading.", starts=timezone.now() + timedelta(hours=1))

    surfaces = {
        url: text_of(client, url)
        for url in (PAGE, FEED, API, f"/badge/{public_monitor.slug}.svg", f"/badge/{tcp.slug}.svg")
    }
    for url, text in surfaces.items():
        for secret in (SECRET_URL, "checkout-7.internal", "s3cr3t", SECRET_HOST, "billing.internal",
                       "Hidden billing", ERROR_TEXT, incident.title, "secret ops note", ":5432"):
            assert secret not in text, (url, secret)
    for url in (PAGE, FEED, API):
        assert "We are looking into failed checkouts." in surfaces[url], url
        assert "Checkout API: outage" in surfaces[url] and "We are upgrading." in surfaces[url], url
        assert "Short pause." not in surfaces[url], url


# The feed and the badges ------------------------------------------------------------------------------


def test_the_feed_is_atom_with_incidents_and_maintenance(client):
    open_incident_with_updates()
    MaintenanceWindow.objects.create(name="Upgrade", all_monitors=True, starts=timezone.now() + timedelta(hours=1),
                                     ends=timezone.now() + timedelta(hours=2))
    cache.clear()
    response = client.get(FEED)
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    titles = [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]
    assert titles == ["Checkout API: outage (investigating)", "Scheduled maintenance"]
    assert all(entry.find(f"{ATOM}id").text for entry in root.findall(f"{ATOM}entry"))
    assert 'rel="alternate" type="application/atom+xml"' in text_of(client, PAGE)


def badge(client, slug):
    cache.clear()
    return client.get(f"/badge/{slug}.svg")


def test_a_badge_is_an_svg_with_the_name_and_a_state_coloured_value(client):
    up = make("Checkout API")
    story(up, recent(), "u")
    down = make("Search")
    story(down, recent(), "d")

    response = badge(client, up.slug)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    svg = ET.fromstring(response.content)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "Checkout API: operational"
    assert 'fill="#2e7d32"' in response.content.decode()
    down_svg = badge(client, down.slug).content.decode()
    assert "Search: outage" in down_svg and 'fill="#c62828"' in down_svg


def test_a_badge_of_a_private_or_unknown_monitor_is_404(client):
    private = make("Hidden", public=False)
    assert badge(client, private.slug).status_code == 404
    assert badge(client, "no-such-monitor").status_code == 404


def test_slugs_are_set_once_from_the_name_and_made_unique():
    first = make("Checkout API")
    second = make("checkout api!")
    assert (first.slug, second.slug) == ("checkout-api", "checkout-api-2")
    first.name = "Checkout"
    monitor_save(first)
    first.refresh_from_db()
    assert first.slug == "checkout-api"  # renaming keeps badge addresses working


def test_the_migration_fills_slugs_of_existing_monitors():
    for name in ("Web", "web", "Ω"):
        make(name)
    Monitor.objects.update(slug=None)
    importlib.import_module("monitors.migrations.0005_monitor_slug").fill_slugs(apps, None)
    assert sorted(Monitor.objects.values_list("slug", flat=True)) == ["monitor", "web", "web-2"]


# The API -------------------------------------------------------------------------------------------


def test_the_api_gives_the_page_data_in_its_documented_shape(client, role_clients):
    monitor, _ = open_incident_with_updates()
    story(make("Web", tags=["site"]), recent(), "uuuu")
    MaintenanceWindow.objects.create(name="Upgrade", note="Short.", all_monitors=True,
                                     starts=timezone.now() + timedelta(hours=1))
    body = json.loads(text_of(client, API))

    assert set(body) == {"success", "overall_status", "monitors", "components", "incidents", "maintenance"}
    assert body["success"] is True and body["overall_status"] == "outage"
    assert body["monitors"] == [  # the guide's shape: up or down, uptime "99.95", whole ms over 24 h
        {"name": "Checkout API", "status": "down", "state": "outage", "uptime": "66.66", "response_time": 75},
        {"name": "Web", "status": "up", "state": "operational", "uptime": "100.00", "response_time": 100},
    ]
    assert body["components"] == [
        {"name": "Checkout API", "group": "Other", "status": "outage",
         "uptime_24h": 66.6667, "uptime_30d": 66.6667, "uptime_90d": 66.6667},
        {"name": "Web", "group": "site", "status": "operational",
         "uptime_24h": 100.0, "uptime_30d": 100.0, "uptime_90d": 100.0},
    ]
    [incident] = body["incidents"]
    assert set(incident) == {"title", "status", "started_at", "resolved_at", "updates"}
    assert incident["title"] == "Checkout API: outage" and incident["status"] == "investigating"
    assert incident["resolved_at"] is None
    assert [update["text"] for update in incident["updates"]] == ["We are looking into failed checkouts."]
    [window] = body["maintenance"]
    assert set(window) == {"name", "note", "starts", "ends"} and window["name"] == "Scheduled maintenance"
    assert window["note"] == ""  # the team's note stays private
    for role, other in role_clients.items():
        assert other.get(API + "/").status_code == 200, role


def test_the_api_is_throttled_per_anonymous_client(client):
    for _ in range(60):
        assert client.get(API).status_code == 200
    assert client.get(API).status_code == 429
    assert client.get(API, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


# Cost and caching ----------------------------------------------------------------------------------


def test_the_page_and_api_cost_the_same_queries_for_3_or_30_monitors(client, role_clients):
    def queries(url, who):
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert who.get(url).status_code == 200
        return len(captured)

    def add(names):
        for i in names:
            monitor = make(f"m{i}", tags=[f"t{i % 4}"])
            story(monitor, recent() - timedelta(days=i % 3), "uud")

    add(range(3))
    open_incident_with_updates()
    MaintenanceWindow.objects.create(name="Upgrade", all_monitors=True, starts=timezone.now() + timedelta(hours=1))
    few = {(url, who): queries(url, role_clients[who]) for url in (PAGE, API) for who in ("anonymous", "staff")}
    add(range(3, 30))
    many = {(url, who): queries(url, role_clients[who]) for url in (PAGE, API) for who in ("anonymous", "staff")}
    assert many == few
    assert few[(PAGE, "anonymous")] <= 12


def test_anonymous_visitors_share_a_cached_page_and_signed_in_ones_keep_their_frame(client, role_clients):
    story(make("API"), recent(), "u")
    assert "Sign out root" in role_clients["super_admin"].get(PAGE).content.decode()
    first = client.get(PAGE).content
    assert b"Sign out" not in first
    make("Added later")
    with CaptureQueriesContext(connection) as captured:
        again = Client().get(PAGE).content
    assert again == first and len(captured) == 0
    assert b"Sign out staffmember" in role_clients["staff"].get(PAGE).content


def test_the_shared_page_is_gzipped_once_for_clients_that_accept_it(client):
    story(make("API"), recent(), "u")
    plain = client.get(PAGE)
    packed = client.get(PAGE, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content and b"<strong>API</strong>" in plain.content
    assert len(packed.content) < len(plain.content)


def test_a_visitor_with_a_message_waiting_gets_it_and_the_shared_page_does_not(client):
    story(make("API"), recent(), "u")
    storage = CookieStorage(HttpRequest())
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "You are signed out.")])
    assert "You are signed out." in client.get(PAGE).content.decode()
    assert "You are signed out." not in Client().get(PAGE).content.decode()


def test_once_stale_the_page_is_rebuilt_by_one_request_while_the_others_get_the_last_one(client, monkeypatch):
    from portal.status import stale_cache
    from portal.status import data as status_data
    from portal.status import views as status_page

    api = make("API")
    story(api, recent(), "u")
    assert b"All systems operational" in client.get(PAGE).content
    record_outcomes([(api, Outcome.down(ERROR_TEXT, 5.0), timezone.now())])
    assert b"All systems operational" in client.get(PAGE).content  # fresh for CACHE_SECONDS

    later = time.time() + status_data.CACHE_SECONDS + 1
    monkeypatch.setattr(stale_cache, "time", SimpleNamespace(time=lambda: later))  # all cached is stale now
    lock = f"{status_page.PAGE_CACHE_KEY}:rebuilding"
    cache.add(lock, 1, 60)  # another request is rebuilding the page
    with CaptureQueriesContext(connection) as captured:
        assert b"All systems operational" in client.get(PAGE).content
    assert len(captured) == 0
    cache.delete(lock)
    page = client.get(PAGE).content
    assert b"Major outage" in page and ERROR_TEXT.encode() not in page
