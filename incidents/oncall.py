"""Who is on call: rotation turns, hand-offs on the rotation's wall clock, overrides; and the
email the on-call user gets.

Hand-offs are computed on the local calendar of the rotation's time zone (zoneinfo), so
"Monday 09:00 Europe/Berlin" stays 09:00 in Berlin across daylight-saving changes.

Delivery: each rotation has an email Channel (made on first use, named "On-call: <name>").
When a P0/P1 incident opens or escalates, `oncall_channels` sets that channel's recipient to
the user on call now and the caller writes an ordinary outbox row for it in its own
transaction, so the on-call email has every guarantee of the outbox (written with its
cause, retried, every attempt recorded).
"""

import zoneinfo
from datetime import datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from incidents.models import Channel, Rotation, RotationMember, RotationOverride, Severity

PAGED_SEVERITIES = (Severity.P0, Severity.P1)
EMAIL = "email"  # the channel kind of on-call messages
WEEK = timedelta(days=7)


def _local(rotation, day):
    """The hand-off moment on local date `day`, as an aware datetime in the rotation's zone."""
    return datetime.combine(day, rotation.handoff_time, tzinfo=zoneinfo.ZoneInfo(rotation.time_zone))


def last_handoff(rotation, at):
    """The latest hand-off moment at or before `at` (it may be before the rotation starts)."""
    local = at.astimezone(zoneinfo.ZoneInfo(rotation.time_zone))
    day = local.date() - timedelta(days=(local.weekday() - rotation.handoff_weekday) % 7)
    moment = _local(rotation, day)
    return moment if moment <= at else _local(rotation, day - WEEK)


def next_handoff(rotation, at):
    """The first hand-off moment after `at`."""
    return _local(rotation, last_handoff(rotation, at).date() + WEEK)


def turn(rotation, at):
    """How many turns have passed at `at`: 0 from the start until the first hand-off; None before the start."""
    start = _local(rotation, rotation.start_date)
    if at < start:
        return None
    latest = last_handoff(rotation, at)
    if latest <= start:
        return 0
    return (latest.date() - last_handoff(rotation, start).date()).days // 7


def _members(rotation):
    return [member.user for member in rotation.members.all()]


def _override(rotation, at):
    found = [o for o in rotation.overrides.all() if o.starts_at <= at < o.ends_at]
    return max(found, key=lambda o: o.pk).user if found else None


def oncall_now(rotation, at=None):
    """The user on call at `at` (an override first, else the member whose turn it is), or None."""
    at = at or timezone.now()
    override = _override(rotation, at)
    if override is not None:
        return override
    members, passed = _members(rotation), turn(rotation, at)
    if not members or passed is None:
        return None
    return members[passed % len(members)]


def oncall_next(rotation, at=None):
    """The user on call from the next hand-off (overrides counted), or None."""
    return oncall_now(rotation, next_handoff(rotation, at or timezone.now()))


def rotations():
    return Rotation.objects.prefetch_related(
        Prefetch("members", queryset=RotationMember.objects.select_related("user")),
        Prefetch("overrides", queryset=RotationOverride.objects.select_related("user")),
    )


def on_call_summary(at=None):
    """[(rotation name, user on call now, user on call next, next hand-off)] for the dashboard
    and the internal status page; users may be None. Three queries however many rotations."""
    at = at or timezone.now()
    return [
        (rotation.name, oncall_now(rotation, at), oncall_next(rotation, at), next_handoff(rotation, at))
        for rotation in rotations()
    ]


def oncall_channels(at):
    """The email channels of the rotations whose on-call user has an address, each addressed
    to that user now. Call inside the transaction that writes the outbox rows for them."""
    channels = []
    for rotation in rotations().select_related("channel"):
        user = oncall_now(rotation, at)
        if user is None or not user.email:
            continue
        channel = rotation.channel or _make_channel(rotation)
        if channel is None:
            continue
        if channel.settings != {"recipients": user.email}:
            channel.settings = {"recipients": user.email}
            Channel.objects.filter(pk=channel.pk).update(settings=channel.settings)
        if channel.enabled:
            channels.append(channel)
    return channels


def _make_channel(rotation):
    channel, _ = Channel.objects.get_or_create(
        name=f"On-call: {rotation.name}"[:200], defaults={"kind": EMAIL}
    )
    if channel.kind != EMAIL:  # someone's own channel of that name: not ours to readdress
        return None
    Rotation.objects.filter(pk=rotation.pk).update(channel=channel)
    rotation.channel = channel
    return channel
