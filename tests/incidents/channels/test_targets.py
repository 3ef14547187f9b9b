"""The channel address policy, and what each kind needs before a channel is saved."""

import pytest
from django.core.exceptions import ValidationError

from core import net
from incidents.channels import DeliveryError
from incidents.models import Channel
from tests.incidents.channels.common import payload, send


# The channel address policy ---------------------------------------------------------

CHANNEL_REFUSED = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("100.64.0.1", "private"),
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
]


@pytest.mark.parametrize("address, reason", CHANNEL_REFUSED)
def test_channels_refuse_everything_but_public_addresses(settings, address, reason):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_channels_allow_public_addresses(settings, address):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.channel_blocked_reason(address) is None


def test_the_setting_allows_private_addresses_but_never_metadata_multicast_or_unspecified(settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = True
    for address in ("127.0.0.1", "10.1.2.3", "fd12::1", "169.254.0.1"):
        assert net.channel_blocked_reason(address) is None
    for address in ("169.254.169.254", "224.0.0.1", "0.0.0.0"):
        assert net.channel_blocked_reason(address) is not None


def test_checks_keep_their_own_policy(settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert net.blocked_reason("127.0.0.1") is None
    assert net.blocked_reason("10.1.2.3") is None


def test_connect_with_the_channel_policy_refuses_loopback_before_connecting(settings, slack_webhook):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    with net.Deadline(2) as deadline, pytest.raises(net.BlockedAddress, match=r"\(loopback\)$"):
        net.connect("127.0.0.1", slack_webhook.port, deadline=deadline, policy=net.channel_blocked_reason)
    assert slack_webhook.requests == []


# What a channel needs ---------------------------------------------------------------


def errors_of(channel):
    with pytest.raises(ValidationError) as caught:
        channel.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, missing",
    [
        ("slack", {"url"}),
        ("slack_bot", {"token", "slack_channel"}),
        ("email", {"recipients"}),
        ("webhook", {"url", "signing_secret"}),
    ],
)
def test_each_kind_names_the_fields_it_needs(kind, missing):
    errors = errors_of(Channel(name="c", kind=kind))
    assert set(errors) == missing


@pytest.mark.django_db
def test_recipients_must_be_email_addresses():
    errors = errors_of(Channel(name="c", kind="email", recipients="ops@example.com\nnot-an-address"))
    assert errors == {"recipients": ["Not an email address: not-an-address."]}
    Channel(name="ok", kind="email", recipients="ops@example.com, lead@example.com").full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://hooks.example/x", "hooks.example/x", "javascript:alert(1)", "http:///x"])
def test_a_url_must_be_http_with_a_host(url):
    errors = errors_of(Channel(name="c", kind="slack", url=url))
    assert list(errors) == ["url"]
    assert url not in errors["url"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1:9", "[::1]", "10.0.0.8", "169.254.169.254", "localhost:8000"])
def test_private_targets_are_refused_at_save_time_without_quoting_the_url(settings, host):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    url = f"http://{host}/services/T000/B000/secret-part"
    errors = errors_of(Channel(name="c", kind="webhook", url=url, signing_secret="s"))
    assert list(errors) == ["url"]
    assert "refused address" in errors["url"][0]
    assert "secret-part" not in errors["url"][0] and host not in errors["url"][0]


def saved_after_full_clean(channel):
    """full_clean() then save(); the row as read back. A ValidationError fails the test."""
    channel.full_clean()
    channel.save()
    return Channel.objects.get(pk=channel.pk)


@pytest.mark.django_db
def test_loopback_is_accepted_when_the_setting_allows_it(settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    assert list(errors_of(Channel(name="c", kind="slack", url="http://127.0.0.1:9/hook"))) == ["url"]
    settings.CHANNELS_ALLOW_PRIVATE_IPS = True
    saved = saved_after_full_clean(Channel(name="c", kind="slack", url="http://127.0.0.1:9/hook"))
    assert saved.secrets["url"] == "http://127.0.0.1:9/hook"


def test_invalid_names_are_answered_without_asking_the_resolver():
    # With no time left, a name that needs the resolver (localhost: /etc/hosts, nothing
    # leaves the machine) raises DeadlineExceeded; RFC 6761 .invalid names are refused before.
    with net.Deadline(0) as deadline, pytest.raises(net.NameNotResolved, match="could not resolve host"):
        net.resolve("hooks.nothing.invalid", 443, deadline=deadline, policy=net.channel_blocked_reason)
    with net.Deadline(0) as deadline, pytest.raises(net.DeadlineExceeded):
        net.resolve("localhost", 443, deadline=deadline, policy=net.channel_blocked_reason)


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_now_is_accepted_and_judged_at_connect_time():
    saved = saved_after_full_clean(Channel(name="c", kind="slack", url="https://hooks.nothing.invalid/x"))
    assert saved.secrets["url"] == "https://hooks.nothing.invalid/x"
    with pytest.raises(DeliveryError) as caught:
        send(saved, payload())
    assert not caught.value.permanent
    assert "could not resolve host" in caught.value.detail
