"""The public status page, its Atom feed and the status badges, all drawn from
`portal.status.data.public_status` (names and states only).

The page's body is rendered once per data build and shared by everyone; the frame around
it (nav, system banner) is each visitor's own. Anonymous visitors, whose frame is the
same, share the whole page, cached as bytes.
"""

import json
import math
import re
import time
from collections import Counter
from functools import lru_cache
from itertools import groupby
from typing import NamedTuple

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import compress_string
from django.views.decorators.http import require_safe

from core.permissions import public
from portal.status import stale_cache
from portal.status import data as status_data

# Versioned: a release that changes what they hold must not read an older one's.
BODY_CACHE_KEY = "vigil:status:body:2"
PAGE_CACHE_KEY = "vigil:status:page:2"
GZIP_PAGE_CACHE_KEY = "vigil:status:page.gz:2"
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Bars: one day every BAR_PITCH units, BAR_HEIGHT high; the stylesheet's dash pattern
# (3 on, 1 off) cuts each run of same-coloured days into bars, so a run is one segment.
BAR_PITCH, BAR_HEIGHT = 4, 30
CHART_STEP, CHART_HEIGHT = 10, 40
BADGE_COLOURS = {
    "operational": "#2e7d32", "degraded": "#8d6708", "outage": "#c62828",
    "maintenance": "#1565c0", "paused": "#5f6673", "unknown": "#5f6673",
}


# Views ----------------------------------------------------------------------------------


@public
@require_safe
def public_status(request):
    """A visitor with messages waiting (just signed out) is not served the shared page,
    and their page is not shared, so nobody's message reaches anyone else."""
    if request.user.is_authenticated or len(get_messages(request)):
        return render(request, "status/public.html", {"body": mark_safe(_body()[0])})
    gzipped = bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    key = GZIP_PAGE_CACHE_KEY if gzipped else PAGE_CACHE_KEY
    response = HttpResponse(stale_cache.get_or_rebuild(key, lambda: _shared_page(request, gzipped)))
    if gzipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _shared_page(request, gzipped):
    """(the anonymous page as bytes, fresh until): the same for every anonymous visitor, so
    it is gzipped once (it holds no secret, such as a CSRF token, for BREACH to guess).
    The two encodings are cached apart, so a request reads only the one it sends."""
    body, fresh_until = _body()
    content = render(request, "status/public.html", {"body": mark_safe(body)}).content
    return (compress_string(content) if gzipped else content), max(fresh_until, time.time() + 1)


def _body():
    """(the page's body, fresh until), rendered once per build of the data it shows."""
    status = status_data.public_status()
    cached = cache.get(BODY_CACHE_KEY)
    if cached is None or cached[0] != status.generated_at:
        cached = (status.generated_at, render_to_string("status/_body.html", page_context(status)))
        cache.set(BODY_CACHE_KEY, cached, status_data.CACHE_SECONDS + stale_cache.KEEP_STALE_SECONDS)
    return cached[1], status.generated_at.timestamp() + status_data.CACHE_SECONDS


@public
@require_safe
def status_feed(request):
    """Incidents (open and recent) and maintenance (current and upcoming), as Atom."""
    status = status_data.public_status()
    page_url = settings.VIGIL_BASE_URL + reverse("status-public")
    feed = Atom1Feed(
        title=f"{settings.BRANDING['name']} status",
        link=page_url,
        description=f"Incidents and maintenance of {settings.BRANDING['name']}",
        feed_url=settings.VIGIL_BASE_URL + reverse("status-feed"),
        author_name=settings.BRANDING["name"],
        language="en",
    )
    for incident in status.incidents:
        _add_incident(feed, incident, page_url)
    for window in status.maintenance:
        _add_maintenance(feed, window, page_url)
    return HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type)


@public
@require_safe
def status_badge(request, slug):
    component = status_data.public_status().component(slug)
    if component is None:
        raise Http404("No public monitor has this badge.")
    response = HttpResponse(badge_svg(component.name, component.state), content_type="image/svg+xml")
    response["Cache-Control"] = f"public, max-age={status_data.CACHE_SECONDS}"
    return response


# The page -------------------------------------------------------------------------------


# A component's bars and chart are drawn here rather than in the template: 200 components
# times a template's nodes would cost more than the rest of the page.
BARS = (
    '<svg class="status-bars" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
    'aria-label="Daily uptime" data-days="{days}"{incidents}>{paths}</svg>'
)
CHART = (
    '<details class="status-latency"><summary>Response time</summary><div class="status-chart">'
    '<span class="status-y"><span>{peak} ms</span><span>0 ms</span></span><div class="status-plot">'
    '<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" aria-label="Hourly response time">'
    '<path d="{path}"/></svg><div class="status-axis"><span>&minus;{hours} h</span><span>now</span></div></div>'
    '</div></details>'
)


class ComponentView(NamedTuple):
    component: status_data.Component
    uptimes: str  # HTML
    bars: str  # SVG
    chart: str  # HTML with an SVG; empty without any response time


def page_context(status):
    return {
        "status": status,
        "first_day": status.first_day.strftime("%Y-%m-%d"),  # UTC, as the bars are
        "groups": [(name, [component_view(c) for c in components]) for name, components in status.groups],
        "bar_days": status_data.BAR_DAYS,
        "latency_hours": status_data.LATENCY_HOURS,
    }


def component_view(component):
    uptimes = (("24 h", component.uptime_24h), ("30 days", component.uptime_30d), ("90 days", component.uptime_90d))
    return ComponentView(
        component,
        format_html_join("", "<span>{} <small>{}</small></span>", ((percent_text(v), w) for w, v in uptimes)),
        bars_svg(component),
        chart_html(component.latency),
    )


def bars_svg(component):
    """One bar per day; the tooltip script reads `data-days` (a token a day: percent, ""
    for 100, "-" no data, "m" maintenance) and `data-incidents` ({day index: titles}).
    Everything but the escaped incident titles is made of numbers and fixed words."""
    incidents = component.day_incidents and json.dumps(component.day_incidents, separators=(",", ":"))
    paths = "".join(f'<path class="status-{level}" d="{path}"/>' for level, path in bar_paths(component.days))
    return mark_safe(BARS.format(
        width=BAR_PITCH * len(component.days),
        height=BAR_HEIGHT,
        days=" ".join(map(day_token, component.days)),
        incidents=f' data-incidents="{escape(incidents)}"' if incidents else "",
        paths=paths,
    ))


def chart_html(latency):
    path, peak = latency_path(latency)
    if not path:
        return ""
    return format_html(CHART, peak=peak, path=path, width=CHART_STEP * (len(latency) - 1), height=CHART_HEIGHT,
                       hours=len(latency))


def percent_text(value):
    """Rounded down, so a day with any downtime never reads 100."""
    if value is None:
        return "no data"
    return "100%" if value >= 100 else f"{math.floor(value * 100 + 1e-6) / 100:.2f}%"


@lru_cache(maxsize=1024)
def day_level(day):
    if day is None:
        return "none"
    if day == "maintenance":
        return "maintenance"
    return "good" if day >= 99.9 else "fair" if day >= 99 else "poor" if day >= 95 else "bad"


@lru_cache(maxsize=1024)
def day_token(day):
    """Short, since 90 of them per component add up: most days are a plain 100."""
    if day is None:
        return "-"
    if day == "maintenance":
        return "m"
    return "" if day >= 100 else percent_text(day).removesuffix("%")


def bar_paths(days):
    """[(level, path data)]: the most common colour drawn across every day, then one path
    per other colour with a segment per run of days, drawn over it."""
    levels = [day_level(day) for day in days]
    common = Counter(levels).most_common(1)[0][0]
    paths, index = {common: [f"M0 {BAR_HEIGHT // 2}h{len(levels) * BAR_PITCH}"]}, 0
    for level, run in groupby(levels):
        length = len(list(run))
        if level != common:
            paths.setdefault(level, []).append(f"M{index * BAR_PITCH} {BAR_HEIGHT // 2}h{length * BAR_PITCH}")
        index += length
    return [(level, "".join(parts)) for level, parts in paths.items()]


def latency_path(values):
    """(path data, peak ms) of hourly averages scaled to the peak. An hour without checks
    breaks the line; a lone hour between gaps is a dot (h0, drawn by round caps)."""
    peak = max((value for value in values if value is not None), default=None)
    if peak is None:
        return "", None
    segments = [[]]
    for index, value in enumerate(values):
        if value is None:
            segments.append([])
        else:
            y = round(CHART_HEIGHT - 1 - value / (peak or 1) * (CHART_HEIGHT - 2))
            segments[-1].append(f"{index * CHART_STEP} {y}")
    path = "".join("M" + " ".join(points) + ("h0" if len(points) == 1 else "") for points in segments if points)
    return path, math.ceil(peak)


# The feed -------------------------------------------------------------------------------


def _add_incident(feed, incident, page_url):
    state = "resolved" if not incident.is_open else incident.status_words.lower()
    lines = [(timezone.localtime(incident.started_at).strftime("%Y-%m-%d %H:%M %Z"), "Started")]
    lines += [(timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z"), text) for at, text in incident.updates]
    if incident.resolved_at:
        lines.append((timezone.localtime(incident.resolved_at).strftime("%Y-%m-%d %H:%M %Z"), "Resolved"))
    feed.add_item(
        title=f"{incident.title} ({state})",
        link=f"{page_url}#incident-{incident.pk}",
        unique_id=f"{page_url}#incident-{incident.pk}",
        description=format_html_join("", "<p><strong>{}</strong> {}</p>", lines),
        pubdate=incident.started_at,
        updateddate=max([incident.started_at, incident.resolved_at or incident.started_at,
                         *(at for at, _ in incident.updates)]),
    )


def _add_maintenance(feed, window, page_url):
    ends = timezone.localtime(window.ends).strftime("%Y-%m-%d %H:%M %Z") if window.ends else "until ended"
    starts = timezone.localtime(window.starts).strftime("%Y-%m-%d %H:%M %Z")
    feed.add_item(
        title=window.name + (" (in progress)" if window.active else ""),
        link=f"{page_url}#maintenance-{window.pk}",
        unique_id=f"{page_url}#maintenance-{window.pk}-{window.starts.timestamp():.0f}",
        description=format_html("<p>{} to {}. Affects {}.</p><p>{}</p>", starts, ends,
                                ", ".join(window.components), window.note),
        pubdate=window.starts,
        updateddate=window.starts,
    )


# The badge ------------------------------------------------------------------------------

BADGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {value}">'
    "<title>{label}: {value}</title>"
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
    '<stop offset="1" stop-opacity=".1"/></linearGradient>'
    '<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
    '<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
    '<rect x="{left}" width="{right}" height="20" fill="{colour}"/><rect width="{width}" height="20" fill="url(#s)"/></g>'
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
    '<text x="{label_x}" y="14" textLength="{label_length}" lengthAdjust="spacingAndGlyphs">{label}</text>'
    '<text x="{value_x}" y="14" textLength="{value_length}" lengthAdjust="spacingAndGlyphs">{value}</text>'
    "</g></svg>"
)


def badge_svg(label, state):
    """A shields.io-like badge: the name on grey, the state on its colour."""
    label_length, value_length = _text_length(label), _text_length(state)
    left, right = label_length + 12, value_length + 12
    return format_html(
        BADGE, width=left + right, left=left, right=right, colour=BADGE_COLOURS[state], label=label, value=state,
        label_x=left / 2, value_x=left + right / 2, label_length=label_length, value_length=value_length,
    )


def _text_length(text):
    """Roughly Verdana 11 px; the text is stretched to exactly this (textLength)."""
    return max(8, round(sum(8.5 if ch.isupper() or ch in "mwMW" else 6.5 for ch in text)))
