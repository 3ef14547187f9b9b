"""Channels: where notifications go (a kind and its settings), with their delivery state."""

from django.db import models

from core.crypto import EncryptedJSONField
from core.kinds import clean_settings
from incidents.channels import KINDS, kind_choices, secret_names, setting_names


class ChannelQuerySet(models.QuerySet):
    def for_routing(self):
        """Channels as routing needs them: without their secrets, so a secret that cannot
        be decrypted (ENCRYPTION_KEYS changed too soon) never stops a state change from
        being recorded. Only the sender reads them."""
        return self.defer("secrets")


class Channel(models.Model):
    """Where notifications go: a channel kind (`incidents.channels.KINDS`) and its settings,
    kept as two documents the kind's `Settings` form validates: `settings` (plain) and
    `secrets` (encrypted at rest, write-only everywhere).

    `Channel(kind="slack", url=…)` takes a kind's settings by name, as config files write them.

    The delivery columns are written only by `incidents.delivery`: a worker holds
    `sending_until` while it sends for the channel, so one worker at a time sends for it
    (and can coalesce what is waiting into one message).
    """

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=kind_choices)
    enabled = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    secrets = EncryptedJSONField(default=dict, blank=True)

    # delivery state
    failing = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    next_send_at = models.DateTimeField(null=True, blank=True, help_text="Not before (rate limit, Retry-After).")
    sending_until = models.DateTimeField(null=True, blank=True)
    sending_holder = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __init__(self, *args, **kwargs):
        named = {name: kwargs.pop(name) for name in list(kwargs) if name in setting_names()}
        super().__init__(*args, **kwargs)
        if named:
            self.assign(named)

    def __str__(self):
        return self.name

    def assign(self, values):
        """Set some of the kind's settings by name; they are validated by `clean`. A name
        that is a secret of any kind goes to `secrets`, so it is never stored in plaintext."""
        secrets = secret_names()
        self.settings = {**self.settings, **{k: v for k, v in values.items() if k not in secrets}}
        self.secrets = {**self.secrets, **{k: v for k, v in values.items() if k in secrets}}

    def value(self, name):
        """One of the kind's settings, secret or not ("" if unset)."""
        return self.secrets.get(name, self.settings.get(name, ""))

    def clean(self):
        """The kind's `Settings` form judges the settings (required ones, the address guard
        on URLs); what the kind does not declare is dropped."""
        if self.kind not in KINDS:
            return  # the kind's own field error says so
        self.settings, self.secrets = clean_settings(KINDS[self.kind], {**self.settings, **self.secrets})
