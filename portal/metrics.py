"""GET /metrics: Prometheus metrics, built from the database at each scrape.

A collector reads everything afresh per scrape (no counters kept in a process, so any
gunicorn worker answers the same) in a fixed number of queries, however many monitors:

- per monitor (labels `id`, `name`, `kind`; never a URL, host or secret), a series for
  every monitor in each of: `vigil_monitor_up` (0 exactly when Vigil alerts that the
  monitor is down: its state is down, it is not paused and no maintenance window covers
  it; 1 otherwise, so also while paused, in maintenance or not checked yet),
  `vigil_monitor_paused` and `vigil_monitor_in_maintenance` (1 or 0: why an `up` of 1
  may not mean up), `vigil_monitor_status_code` (as in the API);
  `vigil_monitor_response_time_seconds` (last check; absent before the first) and
  `vigil_monitor_uptime_ratio{window}` (24h, 30d; absent with no data).
  `vigil_monitor_response_time_ms` is the same response time under its old name, for
  existing dashboards (deprecated; off with METRICS_DEPRECATED_NAMES=false);
- `vigil_checks_last_hour`: checks run in the last full clock hour;
- `vigil_notifications_sent_total`, `vigil_notifications_failed_total` (gave up),
  `vigil_notifications_pending`, `vigil_delivery_attempts_total{outcome}`;
- `vigil_queue_depth`: tasks waiting in the django-q2 broker.

Only a scraper holding METRICS_TOKEN (`Authorization: Bearer …`) or calling from
METRICS_ALLOWED_IPS may read it; with neither set, /metrics is off (404).
"""

import hmac
import ipaddress
import logging
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from incidents.models import DeliveryAttempt, Notification
from monitors.history import hour_of
from monitors.models import STATUS_CODES, HourlyRollup, Monitor, Status
from monitors.uptime import EMPTY, summaries
from portal.client_ip import client_ip

log = logging.getLogger(__name__)

UPTIME_WINDOWS = ("24h", "30d")
MONITOR_LABELS = ["id", "name", "kind"]
STATUS_CODE_HELP = ", ".join(f"{code} {Status(status).label.lower()}" for status, code in sorted(
    STATUS_CODES.items(), key=lambda item: item[1]))


# Access -----------------------------------------------------------------------


def scraper_only(view):
    """The view answers a scraper with METRICS_TOKEN or from METRICS_ALLOWED_IPS (either
    suffices); others get 401 (a token is configured) or 403; with neither set, 404."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        token, networks = settings.METRICS_TOKEN, allowed_networks()
        if not token and not networks:
            raise Http404("metrics are off")
        if (token and _has_token(request, token)) or (networks and _from(request, networks)):
            return view(request, *args, **kwargs)
        if token:
            response = HttpResponse("a valid bearer token is required\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return HttpResponse("not an allowed address\n", status=403, content_type="text/plain")

    guarded.access = "token"
    return guarded


def allowed_networks():
    return [ipaddress.ip_network(value, strict=False) for value in settings.METRICS_ALLOWED_IPS]


def _has_token(request, token):
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _from(request, networks):
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in networks)


# The view -----------------------------------------------------------------------


@never_cache
@require_GET
@scraper_only
def metrics(request):
    registry = CollectorRegistry(auto_describe=False)
    registry.register(VigilCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


# What is collected ---------------------------------------------------------------


class VigilCollector:
    """Collects once per scrape; every family in a constant number of queries."""

    def __init__(self, now=None):
        self.now = now or timezone.now()

    def collect(self):
        yield from monitor_families()
        yield checks_family(self.now)
        yield from notification_families()
        queue = queue_family()
        if queue is not None:
            yield queue


def monitor_families():
    """Per-monitor gauges, from one query for the monitors and two for their uptimes."""
    monitors = list(Monitor.objects.only(
        "id", "name", "kind", "status", "paused", "in_maintenance", "response_time_ms"
    ).order_by("pk"))
    found = summaries([monitor.pk for monitor in monitors])
    families = MonitorFamilies()
    for monitor in monitors:
        families.add(monitor, found.get(monitor.pk, EMPTY))
    return families.all()


class MonitorFamilies:
    """The per-monitor gauges, one sample per monitor added (a few only with data)."""

    def __init__(self):
        self.up = _gauge("vigil_monitor_up", "0 if Vigil alerts that the monitor is down (down, not paused, not "
                         "in maintenance), else 1")
        self.paused = _gauge("vigil_monitor_paused", "1 if the monitor is paused (not checked), else 0")
        self.in_maintenance = _gauge("vigil_monitor_in_maintenance",
                                     "1 while a maintenance window covers the monitor (not paused), else 0")
        self.code = _gauge("vigil_monitor_status_code", STATUS_CODE_HELP)
        self.latency = _gauge("vigil_monitor_response_time_seconds", "Response time of the last check")
        self.latency_ms = _gauge("vigil_monitor_response_time_ms", "Deprecated, use "
                                 "vigil_monitor_response_time_seconds: response time of the last check in ms")
        self.uptime = _gauge("vigil_monitor_uptime_ratio", "Uptime over the window, 0 to 1", "window")

    def add(self, monitor, summary):
        labels = [str(monitor.pk), monitor.name, monitor.kind]
        self.up.add_metric(labels, 0 if alerted_down(monitor) else 1)
        self.paused.add_metric(labels, int(monitor.paused))
        self.in_maintenance.add_metric(labels, int(monitor.shown_status == Status.MAINTENANCE))
        self.code.add_metric(labels, monitor.status_code)
        if monitor.response_time_ms is not None:
            self.latency.add_metric(labels, monitor.response_time_ms / 1000)
            self.latency_ms.add_metric(labels, monitor.response_time_ms)
        for window in UPTIME_WINDOWS:
            percent = summary.windows[window].uptime
            if percent is not None:
                self.uptime.add_metric([*labels, window], percent / 100)

    def all(self):
        families = [self.up, self.paused, self.in_maintenance, self.code, self.latency, self.uptime]
        return families + [self.latency_ms] if settings.METRICS_DEPRECATED_NAMES else families


def _gauge(name, documentation, *more_labels):
    return GaugeMetricFamily(name, documentation, labels=[*MONITOR_LABELS, *more_labels])


def alerted_down(monitor):
    """Down as Vigil alerts on it: not while paused or in maintenance."""
    return monitor.shown_status == Status.DOWN and not monitor.paused


def checks_family(now):
    last_hour = hour_of(now) - timedelta(hours=1)
    total = HourlyRollup.objects.filter(start=last_hour).aggregate(checks=Sum("checks"))["checks"] or 0
    return GaugeMetricFamily("vigil_checks_last_hour", "Checks run in the last full clock hour", value=total)


def notification_families():
    """Notifications by status, and delivery attempts by outcome: two queries."""
    by_status = dict(Notification.objects.values_list("status").annotate(n=Count("pk")).order_by())
    sent = CounterMetricFamily("vigil_notifications_sent", "Notifications delivered",
                               value=by_status.get(Notification.Status.DELIVERED, 0))
    failed = CounterMetricFamily("vigil_notifications_failed", "Notifications given up on",
                                 value=by_status.get(Notification.Status.FAILED, 0))
    pending = GaugeMetricFamily("vigil_notifications_pending", "Notifications waiting to be delivered",
                                value=by_status.get(Notification.Status.PENDING, 0))
    attempts = CounterMetricFamily("vigil_delivery_attempts", "Tries at delivering to a channel", labels=["outcome"])
    by_outcome = dict(DeliveryAttempt.objects.values_list("outcome").annotate(n=Count("pk")).order_by())
    for outcome in DeliveryAttempt.Outcome.values:
        attempts.add_metric([outcome], by_outcome.get(outcome, 0))
    return [sent, failed, pending, attempts]


def queue_family():
    """Tasks waiting in the broker (ORM or Redis); None if the broker does not answer."""
    from django_q.brokers import get_broker

    try:
        depth = get_broker().queue_size()
    except Exception as exc:  # noqa: BLE001 - a broken broker must not break the scrape
        log.warning("Queue depth not read: %s", type(exc).__name__)
        return None
    return GaugeMetricFamily("vigil_queue_depth", "Tasks waiting in the django-q2 broker", value=depth)
