"""core.leases: one holder at a time, taken over only once the lease has run out, on a
nullable expiry column (a channel being sent for) and a non-null one (a runner slot)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.leases import Lease, holder_name
from incidents.models import Channel
from monitors.models import RunnerLease

TTL = timedelta(seconds=30)
CHANNEL = Lease("sending_holder", "sending_until", ttl=lambda: TTL)
SLOT = Lease("holder", "expires_at", ttl=TTL, renewed="renewed_at")


@pytest.fixture
def channel():
    return Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")


@pytest.mark.django_db
def test_a_held_lease_is_refused_to_others_until_released(channel):
    rows = Channel.objects.filter(pk=channel.pk)
    assert CHANNEL.claim(rows, "a") and not CHANNEL.claim(rows, "b")
    assert CHANNEL.renew(rows, "a") and not CHANNEL.renew(rows, "b")
    CHANNEL.release(rows, "b")  # not b's to release
    assert rows.get().sending_holder == "a"
    CHANNEL.release(rows, "a")
    assert (rows.get().sending_holder, rows.get().sending_until) == ("", None)
    assert CHANNEL.claim(rows, "b")


@pytest.mark.django_db
def test_a_lease_that_ran_out_is_taken_over_and_the_old_holder_cannot_renew_it(channel):
    rows = Channel.objects.filter(pk=channel.pk)
    then = timezone.now() - 2 * TTL
    assert CHANNEL.claim(rows, "dead", now=then)
    assert CHANNEL.claim(rows, "alive")
    assert not CHANNEL.renew(rows, "dead")


@pytest.mark.django_db
def test_a_non_null_expiry_is_set_to_the_release_time_and_renewals_are_stamped():
    now = timezone.now()
    RunnerLease.objects.create(slot=0, holder="", expires_at=now, renewed_at=now)
    rows = RunnerLease.objects.filter(slot=0)
    assert SLOT.claim(rows, "a", now=now) and rows.get().expires_at == now + TTL
    later = now + timedelta(seconds=5)
    assert SLOT.renew(rows, "a", now=later)
    assert (rows.get().renewed_at, rows.get().expires_at) == (later, later + TTL)
    SLOT.release(rows, "a", now=later)
    assert (rows.get().holder, rows.get().expires_at) == ("", later)


def test_holder_names_differ():
    assert holder_name() != holder_name()
