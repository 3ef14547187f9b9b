"""Demo alerting for `make run`: an email channel whose mail is printed in the console
(EMAIL_URL defaults to consolemail://), an app event source to post events with, and a
rule sending that source's events to the channel (monitor events go to every channel
through the default rule)."""

from incidents.sources.routing_keys import event_source_create
from incidents.models import AlertRule, Channel, Source

DEMO_CHANNEL = "Demo: email printed in this console"
DEMO_SOURCE = "demo-app"
DEMO_RULE = "Demo: app events to the console"


def load_demo_alerting():
    """Create what is missing; returns (names created, the demo source's routing key)."""
    created = []
    if not Channel.objects.filter(name=DEMO_CHANNEL).exists():
        channel = Channel(name=DEMO_CHANNEL, kind="email", recipients="oncall@example.com")
        channel.full_clean()
        channel.save()
        created.append(DEMO_CHANNEL)
    source = Source.objects.filter(kind=Source.Kind.APP, name=DEMO_SOURCE).first()
    if source is None:
        source = event_source_create(name=DEMO_SOURCE, tags=["demo"])
        created.append(DEMO_SOURCE)
    if not AlertRule.objects.filter(name=DEMO_RULE).exists():
        rule = AlertRule.objects.create(name=DEMO_RULE, event_kinds=["external"])
        rule.sources.set([source])
        rule.channels.set(Channel.objects.filter(name=DEMO_CHANNEL))
        created.append(DEMO_RULE)
    return created, source.routing_key
