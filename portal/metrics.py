"""GET /metrics: Prometheus metrics, built from the database at each scrape.

A collector reads everything afresh per scrape (no counters kept in a process, so any
gunicorn worker answers the same) in a fixed number of queries, however many monitors:

- per monitor (labels `id`, `name`, `kind`; never a URL, host or secret):
  `vigil_monitor_up` (1 up, degraded or seems down, 0 down; absent while paused, not
  checked yet or in maintenance), `vigil_monitor_status_code` (as in the API),
  `vigil_monitor_response_time_ms` (last check), `vigil_monitor_uptime_ratio{window}`
  (24h, 30d; absent with no data);
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

UP = {Status.UP: 1, Status.DEGRADED: 1, Status.SEEMS_DOWN: 1, Status.DOWN: 0}
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
    up = GaugeMetricFamily("vigil_monitor_up", "1 if the monitor is up, 0 if down", labels=MONITOR_LABELS)
    code = GaugeMetricFamily("vigil_monitor_status_code", STATUS_CODE_HELP, labels=MONITOR_LABELS)
    latency = GaugeMetricFamily("vigil_monitor_response_time_ms", "Response time of the last check",
                                labels=MONITOR_LABELS)
    uptime = GaugeMetricFamily("vigil_monitor_uptime_ratio", "Uptime over the window, 0 to 1",
                               labels=[*MONITOR_LABELS, "window"])
    for monitor in monitors:
        labels = [str(monitor.pk), monitor.name, monitor.kind]
        _monitor_samples(monitor, labels, found.get(monitor.pk, EMPTY), up, code, latency, uptime)
    return [up, code, latency, uptime]


def _monitor_samples(monitor, labels, summary, up, code, latency, uptime):
    code.add_metric(labels, monitor.status_code)
    if not monitor.paused and monitor.shown_status in UP:
        up.add_metric(labels, UP[monitor.shown_status])
    if monitor.response_time_ms is not None:
        latency.add_metric(labels, monitor.response_time_ms)
    for window in UPTIME_WINDOWS:
        percent = summary.windows[window].uptime
        if percent is not None:
            uptime.add_metric([*labels, window], percent / 100)


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
