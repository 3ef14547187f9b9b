"""The alerts scenario: how long from a state change to the Slack-shaped receiver's POST.

- Stream 1: HTTP monitors (confirmations 1, 20 s interval) whose loopback targets this
  process turns down and up, one target every few seconds. Each monitor has a Slack
  channel and a rule of its own, so Slack's one-message-a-second pacing never delays
  one monitor's message behind another's. Latency: the POST's arrival minus the
  event's `received_at` (written in the transaction that records the state change).
- Stream 2: heartbeats that are never pinged, their deadlines a few seconds apart, all
  on one channel. Latency: the POST's arrival minus the heartbeat's deadline.

Each target changes at most once every TOGGLE_EVERY seconds, well under the flap-start
rate, so no message is held back as flapping.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import setup
from bench.measure import summary

HOST = setup.HOST


class Receiver:
    """A Slack-incoming-webhook-shaped server in a process of its own (the bench process
    samples CPU and would delay its threads), logging (arrival, path, every string in the
    body) as JSON lines; `posts` reads them back."""

    def __init__(self, log_dir):
        import multiprocessing

        self.port = setup.free_port()
        self.log_path = f"{log_dir}/receiver.jsonl"
        ready = multiprocessing.get_context("spawn").Event()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_serve_receiver, args=(self.port, self.log_path, ready), daemon=True
        )
        self.process.start()
        ready.wait(30)

    @property
    def base_url(self):
        return f"http://{HOST}:{self.port}"

    @property
    def posts(self):
        with open(self.log_path) as log:
            return [tuple(json.loads(line)) for line in log if line.strip()]

    def stop(self):
        self.process.terminate()
        self.process.join(5)


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops the SYNs of a burst of senders, which
    # then retry after a second: the bench would measure TCP's retry, not Vigil.
    request_queue_size = 1024


def _serve_receiver(port, log_path, ready):
    server = _Server((HOST, port), _ReceiverHandler)
    server.daemon_threads = True
    server.log = open(log_path, "a")
    server.lock = threading.Lock()
    ready.set()
    server.serve_forever()


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        text = " ".join(_strings(json.loads(body or b"{}")))
        with self.server.lock:
            self.server.log.write(json.dumps([arrived, self.path, text]) + "\n")
            self.server.log.flush()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class SwitchableTarget(ThreadingHTTPServer):
    """GET /<i> answers 200 while target i is up and 500 while it is down."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self):
        super().__init__((HOST, 0), _TargetHandler)
        self.down = set()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, index):
        return f"http://{HOST}:{self.server_address[1]}/{index}"


class _TargetHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        index = int(self.path.strip("/"))
        code = 500 if index in self.server.down else 200
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def create_http_monitors(count, target, receiver):
    """One monitor, channel and rule per target; returns the monitors."""
    from incidents.models import AlertRule, Channel, Source
    from monitors.models import Monitor
    from monitors.services import monitor_save

    # The default rule would send every monitor's change to every channel.
    AlertRule.objects.filter(all_channels=True).update(enabled=False)
    monitors = []
    for i in range(count):
        monitor = monitor_save(Monitor(name=f"web{i:03d}", kind="http", url=target.url(i), interval=20, timeout=3,
                                       confirmations=1, severity="P1"))
        channel = Channel.objects.create(name=f"slack-web{i:03d}", kind="slack", url=f"{receiver.base_url}/web/{i}")
        rule = AlertRule.objects.create(name=f"web{i:03d} to its channel", event_kinds=["monitor_down", "monitor_up"])
        rule.sources.set([Source.objects.get(key=monitor.source_key)])
        rule.channels.set([channel])
        monitors.append(monitor)
    return monitors


def create_heartbeats(count, *, first_deadline, spacing, receiver, period=20, grace=5):
    """Heartbeats never pinged, deadlines `spacing` s apart from `first_deadline`; all on one channel."""
    from incidents.models import AlertRule, Channel
    from monitors.models import Monitor
    from monitors.services import monitor_save

    channel = Channel.objects.create(name="slack-heartbeats", kind="slack", url=f"{receiver.base_url}/heartbeats")
    rule = AlertRule.objects.create(name="heartbeats", event_kinds=["heartbeat_missed"], tags=["bench-hb"])
    rule.channels.set([channel])
    deadlines = {}
    for i in range(count):
        monitor = monitor_save(Monitor(name=f"hb{i:03d}", kind="heartbeat", period=period, grace=grace), tags=["bench-hb"])
        since = setup.at(first_deadline + i * spacing - period - grace)
        Monitor.objects.filter(pk=monitor.pk).update(
            monitoring_since=since, status_changed_at=since, next_check_at=setup.at(first_deadline + i * spacing)
        )
        deadlines[monitor.name] = first_deadline + i * spacing
    return deadlines


def toggle(target, monitors, *, until, every):
    """Turn one target down or up every `every` seconds, round robin, until `until`."""
    index = 0
    while time.time() < until:
        i = index % len(monitors)
        target.down.symmetric_difference_update({i})
        index += 1
        time.sleep(every)


def change_latencies(receiver, *, since):
    """Per monitor_down / monitor_up event of the HTTP monitors: its POST's arrival − received_at,
    and the part of it before the sender started (commit, queue, pick-up, lease)."""
    from incidents.models import DeliveryAttempt, Event

    events = Event.objects.filter(kind__in=["monitor_down", "monitor_up"], received_at__gte=setup.at(since))
    attempts = DeliveryAttempt.objects.filter(notifications__event__in=events)
    started = dict(attempts.values_list("notifications__event", "started_at"))

    latencies, before_send, unmatched = [], [], 0
    for event in events.order_by("received_at"):
        name = event.details.get("monitor", "")
        recorded = event.received_at.timestamp()
        arrival = _first_post(receiver, path_prefix=f"/web/{int(name[3:])}", after=recorded, needle=name)
        if arrival is None:
            unmatched += 1
            continue
        latencies.append(arrival - recorded)
        if event.pk in started:
            before_send.append(started[event.pk].timestamp() - recorded)
    return latencies, before_send, unmatched


def heartbeat_latencies(receiver, deadlines):
    latencies, unmatched = [], 0
    for name, deadline in deadlines.items():
        arrival = _first_post(receiver, path_prefix="/heartbeats", after=deadline, needle=name)
        if arrival is None:
            unmatched += 1
        else:
            latencies.append(arrival - deadline)
    return latencies, unmatched


def _first_post(receiver, *, path_prefix, after, needle):
    posts = receiver.posts
    return next(
        (arrived for arrived, path, text in posts if path == path_prefix and arrived >= after and needle in text), None
    )


def alerts(cfg, stage_class):
    """Run both streams for `window` seconds; return the latency figures."""
    window = 60 if cfg.quick else (cfg.duration or 240)
    toggle_every = 2.0
    with stage_class(cfg) as stage:
        receiver, target = Receiver(stage.workdir), SwitchableTarget()
        stage.stack.callback(receiver.stop)
        http_count = 10 if cfg.quick else 40
        monitors = create_http_monitors(http_count, target, receiver)
        t0 = time.time() + 25
        deadlines = create_heartbeats(int(window // 3), first_deadline=t0 + 5, spacing=3.0, receiver=receiver)
        stage.start_clusters()
        time.sleep(max(0.0, t0 - time.time()))  # every monitor up and checked once
        toggle(target, monitors, until=t0 + window, every=toggle_every)
        time.sleep(10)  # the last changes' checks and messages
        stage.stop_clusters()
        changes, before_send, changes_unmatched = change_latencies(receiver, since=t0)
        beats, beats_unmatched = heartbeat_latencies(receiver, deadlines)
        result = {
            "scenario": "alerts",
            "config": {**stage.describe(), "http_monitors": http_count, "heartbeats": len(deadlines),
                       "window_s": window, "toggle_every_s": toggle_every},
            "state_change_to_post_s": summary(changes),
            "state_change_unmatched": changes_unmatched,
            "state_change_to_send_start_s": summary(before_send),
            "heartbeat_deadline_to_post_s": summary(beats),
            "heartbeat_unmatched": beats_unmatched,
            "posts": len(receiver.posts),
        }
    result.update(stage.info)
    return result
