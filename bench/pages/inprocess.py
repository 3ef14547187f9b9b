"""In-process measurements (Django's test Client, no network): the status page and the
dashboard, timed and their queries counted."""

import re
import secrets
import zlib

from bench.pages.config import HOST, timed


# In-process measurements -----------------------------------------------------------------


def count_queries(fn):
    """Queries run by `fn()` (a wrapper on the connection: survives the reconnects a
    request makes, unlike connection.queries, which request_started resets)."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    return count


def status_keys():
    from portal.status import data as status_data
    from portal.status import views as status_page

    return [status_data.CACHE_KEY, status_page.BODY_CACHE_KEY, status_page.PAGE_CACHE_KEY, status_page.GZIP_PAGE_CACHE_KEY]


def status_in_process(n, *, label, parts=True):
    """The status page through Django's test Client (no network, no server)."""
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.test import Client
    from django.utils.text import compress_string

    from portal.status import data as status_data

    from portal.status import views as status_page

    client = Client(HTTP_HOST=HOST)
    keys = status_keys()

    def uncached():
        cache.delete_many(keys)
        response = client.get("/status/", HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, response.status_code

    uncached()  # templates compiled, connection opened
    figures = {"label": label, "uncached": timed(uncached, n["inprocess_uncached"])}
    cache.delete_many(keys)
    figures["queries_uncached"] = count_queries(lambda: client.get("/status/", HTTP_ACCEPT_ENCODING="gzip"))
    figures["queries_cached"] = count_queries(lambda: client.get("/status/", HTTP_ACCEPT_ENCODING="gzip"))
    figures["cached"] = timed(lambda: client.get("/status/", HTTP_ACCEPT_ENCODING="gzip"), n["inprocess_cached"])
    if not parts:
        return figures
    repeats = max(5, n["inprocess_uncached"] // 2)
    status = status_data.build_public_status()
    figures["parts"] = {
        "data_build": timed(status_data.build_public_status, repeats),
        "body_render": timed(lambda: render_to_string("status/_body.html", status_page.page_context(status)), repeats),
    }
    cache.delete_many(keys)
    plain = client.get("/status/").content
    gzipped = client.get("/status/", HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip"
    assert zlib.decompress(gzipped.content, 16 + zlib.MAX_WBITS) == plain
    figures["parts"]["gzip"] = timed(lambda: compress_string(plain), repeats)
    html = plain.decode()
    figures["size"] = {"html_bytes": len(plain), "gzip_bytes": len(gzipped.content),
                       "body_bytes": len(render_to_string("status/_body.html", status_page.page_context(status)))}
    figures["sections"] = {
        "components": html.count('class="status-component"'),
        "groups": html.count("<h2>") - html.count("<h2>Maintenance</h2>") - html.count("incidents</h2>"),
        "maintenance": html.count('id="maintenance-'),
        "past_incidents": html.count('class="status-incident"'),
        "bars_with_incident_days": html.count("data-incidents="),
        "latency_charts": html.count('class="status-latency"'),
        "headline": re.search(r'id="status-overall">([^<]*)<', html).group(1),
    }
    return figures


def superadmin_client():
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.invalid", secrets.token_hex(12))
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


def dashboard_in_process(client, n):
    figures = {}
    for name, path in (("page", "/dashboard/monitoring/"), ("panels", "/dashboard/monitoring/panels")):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        queries = count_queries(lambda path=path: client.get(path))

        def get(path=path):
            assert client.get(path).status_code == 200

        figures[name] = {**timed(get, n["dashboard_requests"], budget=n["dashboard_budget_s"]),
                         "bytes": len(response.content),
                         "queries": queries,
                         "tiles": response.content.decode().count('class="dash-tile ')}
    return figures
