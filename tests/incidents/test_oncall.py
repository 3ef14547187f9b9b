"""On-call rotations: hand-offs on the local wall clock, overrides, and who gets paged."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents.delivery import serve_channel
from incidents.events import NewEvent, receive_events
from incidents.lifecycle import escalate_and_remind
from incidents.models import AlertRule, Channel, Incident, Notification, Rotation, RotationMember, RotationOverride
from incidents.oncall import next_handoff, on_call_summary, oncall_next, oncall_now

User = get_user_model()


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def people(db):
    return [User.objects.create_user(name, f"{name}@example.com") for name in ("alice", "bob", "carol", "dave")]


@pytest.fixture
def rotation(people):
    """Europe/Berlin, Monday 09:00; alice from Monday 16 March 2026, then bob, then carol."""
    rotation = Rotation.objects.create(
        name="primary", time_zone="Europe/Berlin", handoff_weekday=0, handoff_time=time(9), start_date=date(2026, 3, 16)
    )
    for position, user in enumerate(people[:3]):
        RotationMember.objects.create(rotation=rotation, user=user, position=position)
    return rotation


def names(*users):
    return [user.username if user else None for user in users]


@pytest.mark.django_db
def test_hand_off_follows_berlin_wall_clock_across_the_spring_dst_change(rotation):
    # Before 29 March 2026 Berlin is UTC+1, so 09:00 is 08:00 UTC; after it, UTC+2: 07:00 UTC.
    assert names(oncall_now(rotation, utc(2026, 3, 16, 7, 59))) == [None]  # before the start
    assert names(oncall_now(rotation, utc(2026, 3, 16, 8, 0))) == ["alice"]
    assert names(oncall_now(rotation, utc(2026, 3, 23, 7, 59))) == ["alice"]
    assert names(oncall_now(rotation, utc(2026, 3, 23, 8, 0))) == ["bob"]
    assert names(oncall_now(rotation, utc(2026, 3, 30, 6, 59))) == ["bob"]
    assert names(oncall_now(rotation, utc(2026, 3, 30, 7, 0))) == ["carol"]  # 09:00 CEST, not 08:00 UTC
    assert names(oncall_now(rotation, utc(2026, 4, 6, 7, 0))) == ["alice"]  # round again
    assert next_handoff(rotation, utc(2026, 3, 25, 12, 0)) == utc(2026, 3, 30, 7, 0)


@pytest.mark.django_db
def test_hand_off_follows_the_wall_clock_across_the_autumn_dst_change(rotation):
    # 25 October 2026 Berlin goes back to UTC+1: Monday the 26th hands off at 08:00 UTC.
    before = oncall_now(rotation, utc(2026, 10, 26, 7, 59))
    after = oncall_now(rotation, utc(2026, 10, 26, 8, 0))
    assert before != after
    assert oncall_now(rotation, utc(2026, 10, 19, 7, 0)) == before  # 09:00 CEST the Monday before
    assert next_handoff(rotation, utc(2026, 10, 20, 0, 0)) == utc(2026, 10, 26, 8, 0)


@pytest.mark.django_db
def test_a_start_date_off_the_hand_off_day_serves_until_the_first_hand_off(rotation):
    Rotation.objects.filter(pk=rotation.pk).update(start_date=date(2026, 3, 18))  # a Wednesday
    rotation.refresh_from_db()
    assert names(oncall_now(rotation, utc(2026, 3, 18, 7, 59))) == [None]
    assert names(oncall_now(rotation, utc(2026, 3, 18, 8, 0))) == ["alice"]
    assert names(oncall_now(rotation, utc(2026, 3, 23, 8, 0))) == ["bob"]


@pytest.mark.django_db
def test_overrides_win_for_their_period_only(rotation, people):
    dave = people[3]
    RotationOverride.objects.create(
        rotation=rotation, user=dave, starts_at=utc(2026, 3, 24, 0, 0), ends_at=utc(2026, 3, 26, 0, 0), note="holiday"
    )
    assert names(oncall_now(rotation, utc(2026, 3, 23, 23, 59))) == ["bob"]
    assert names(oncall_now(rotation, utc(2026, 3, 24, 0, 0))) == ["dave"]
    assert names(oncall_now(rotation, utc(2026, 3, 26, 0, 0))) == ["bob"]
    assert names(oncall_next(rotation, utc(2026, 3, 24, 12, 0))) == ["carol"]
    RotationOverride.objects.create(
        rotation=rotation, user=people[0], starts_at=utc(2026, 3, 30, 0, 0), ends_at=utc(2026, 4, 1, 0, 0)
    )
    assert names(oncall_next(rotation, utc(2026, 3, 24, 12, 0))) == ["alice"]


@pytest.mark.django_db
def test_a_rotation_without_members_has_nobody_on_call(db):
    rotation = Rotation.objects.create(name="empty", start_date=date(2026, 1, 1))
    assert oncall_now(rotation, utc(2026, 3, 1)) is None and oncall_next(rotation, utc(2026, 3, 1)) is None


@pytest.mark.django_db
def test_on_call_summary_gives_now_next_and_the_hand_off(rotation, django_assert_num_queries):
    with django_assert_num_queries(3):
        summary = on_call_summary(utc(2026, 3, 25, 12, 0))
    ((name, now, next_, handoff),) = summary
    assert (name, now.username, next_.username, handoff) == ("primary", "bob", "carol", utc(2026, 3, 30, 7, 0))


def down(severity, key="monitor:1"):
    return NewEvent(
        kind="monitor_down",
        source_key=key,
        severity=severity,
        summary=f"{key} is down",
        dedup_key=f"{key}:down",
        occurred_at=timezone.now(),
    )


@pytest.fixture
def current_rotation(people):
    """A rotation whose only member, bob, is on call now."""
    rotation = Rotation.objects.create(name="primary", time_zone="Europe/Berlin", start_date=date(2020, 1, 6))
    RotationMember.objects.create(rotation=rotation, user=people[1])
    return rotation


@pytest.mark.django_db
def test_the_on_call_user_gets_a_p0_by_email_through_the_outbox(current_rotation, smtp):
    with transaction.atomic():
        receive_events([down("P0")])
    row = Notification.objects.get()
    assert row.channel.settings["recipients"] == "bob@example.com" and row.kind == Notification.Kind.PROBLEM
    assert row.incident.timeline.filter(notification=row).exists()

    serve_channel(row.channel_id)

    row.refresh_from_db()
    assert row.status == Notification.Status.DELIVERED
    assert [message["to"] for message in smtp.messages] == [["bob@example.com"]]
    assert "monitor:1 is down" in smtp.messages[0]["data"]


@pytest.mark.django_db
def test_a_p2_does_not_page_the_on_call_user(current_rotation):
    with transaction.atomic():
        receive_events([down("P2")])
    assert Incident.objects.count() == 1 and not Notification.objects.exists()


@pytest.mark.django_db
def test_the_email_goes_to_whoever_is_on_call_when_it_is_written(current_rotation, people):
    with transaction.atomic():
        receive_events([down("P1")])
    RotationOverride.objects.create(
        rotation=current_rotation,
        user=people[3],
        starts_at=timezone.now() - timedelta(minutes=1),
        ends_at=timezone.now() + timedelta(days=1),
    )
    with transaction.atomic():
        receive_events([down("P1", key="monitor:2")])
    channel = Rotation.objects.get().channel
    assert channel.settings["recipients"] == "dave@example.com" and channel.notifications.count() == 2


@pytest.mark.django_db
def test_escalation_starts_from_the_on_call_user(current_rotation):
    with transaction.atomic():
        receive_events([down("P2")])
    assert escalate_and_remind(timezone.now() + timedelta(hours=5)) == (1, 0)
    row = Notification.objects.get()
    assert row.kind == Notification.Kind.ESCALATION and row.channel.settings["recipients"] == "bob@example.com"


@pytest.mark.django_db
def test_a_rule_sending_to_every_channel_does_not_page_the_on_call_user(current_rotation):
    Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    AlertRule.objects.create(name="all", all_channels=True)
    with transaction.atomic():
        receive_events([down("P0")])
    with transaction.atomic():
        receive_events([down("P3", key="monitor:2")])
    on_call = Rotation.objects.get().channel
    assert on_call.notifications.count() == 1  # the P0 only
    assert Notification.objects.filter(channel__name="ops").count() == 2


@pytest.mark.django_db
def test_the_admin_lists_rotations_and_runbooks_for_super_admins_only(rotation, role_clients):
    admin = role_clients["super_admin"]
    page = admin.get("/admin/incidents/rotation/")
    assert page.status_code == 200 and b"primary" in page.content
    for url in ("/admin/incidents/rotation/add/", f"/admin/incidents/rotation/{rotation.pk}/change/",
                "/admin/incidents/runbook/", "/admin/incidents/runbook/add/"):
        assert admin.get(url).status_code == 200, url
    assert role_clients["engineer"].get("/admin/incidents/rotation/").status_code in (302, 403)


@pytest.mark.django_db
def test_the_dashboard_and_internal_page_show_who_is_on_call(rotation, role_clients):
    now_user, next_user = oncall_now(rotation, timezone.now()), oncall_next(rotation, timezone.now())
    for client, path in ((role_clients["super_admin"], "/dashboard/monitoring/panels"),
                         (role_clients["staff"], "/status/internal/")):
        page = client.get(path).content.decode()
        assert 'id="on-call"' in page and "primary" in page
        assert now_user.username in page and next_user.username in page
