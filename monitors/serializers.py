"""The API's shape of a monitor. Saving goes through `monitors.services.monitor_save`."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from django import forms

from monitors.kinds import declaring_kinds, kind_of, setting_names
from monitors.models import Monitor
from monitors.services import monitor_save
from monitors.uptime import EMPTY, objective, summaries


# For the OpenAPI schema: a percentage, null when there is no data.
PERCENT = serializers.FloatField(allow_null=True, min_value=0, max_value=100)


class TagNamesField(serializers.ListField):
    """Tags as a list of names; unknown names are created on save."""

    child = serializers.SlugField(max_length=64)

    def to_representation(self, value):
        return [tag.name for tag in value.all()]


class WithHistoryList(serializers.ListSerializer):
    """Reads a page's uptime figures in two queries, whatever its length."""

    def to_representation(self, data):
        monitors = list(data.all() if hasattr(data, "all") else data)
        found = summaries([monitor.pk for monitor in monitors])
        for monitor in monitors:
            monitor.summary = found.get(monitor.pk, EMPTY)
        return super().to_representation(monitors)


def _api_field(name):
    """A kind setting as an API field, from its form field; write-only where every kind
    that has it keeps it secret (others are left out per monitor: see to_representation)."""
    field = declaring_kinds(name)[0].Settings.base_fields[name]
    options = {"required": False, "help_text": field.help_text or None,
               "write_only": all(name in kind.SECRETS for kind in declaring_kinds(name))}
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**options)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(allow_null=not field.required, min_value=field.min_value,
                                        max_value=field.max_value, **options)
    if isinstance(field, forms.JSONField):
        # What the schema says the value is (the kind's form may say: headers are a mapping of strings).
        return extend_schema_field(getattr(field, "json_schema", {}))(serializers.JSONField(**options))
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=field.choices, **options)
    return serializers.CharField(allow_blank=True, max_length=field.max_length, **options)


class MonitorSerializer(serializers.ModelSerializer):
    """Durations (interval, timeout, period, grace) are in seconds; secrets are write-only.
    `status` is `maintenance` while a window covers the monitor; uptimes are percentages
    (null: no data in the window)."""

    tags = TagNamesField(required=False)
    status = serializers.CharField(source="shown_status", read_only=True)
    status_code = serializers.IntegerField(read_only=True)
    ping_url = serializers.URLField(read_only=True, allow_null=True)
    uptime_24h = serializers.SerializerMethodField()
    uptime_7d = serializers.SerializerMethodField()
    uptime_30d = serializers.SerializerMethodField()
    uptime_90d = serializers.SerializerMethodField()
    response_time_avg_24h = serializers.SerializerMethodField()
    error_budget_remaining = serializers.SerializerMethodField()

    class Meta:
        model = Monitor
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "interval",
            "timeout",
            "confirmations",
            "slow_ms",
            "severity",
            "tags",
            "public",
            "paused",
            # state
            "status",
            "status_code",
            "last_checked_at",
            "response_time_ms",
            "ping_url",
            "next_check_at",
            # history
            "uptime_24h",
            "uptime_7d",
            "uptime_30d",
            "uptime_90d",
            "response_time_avg_24h",
            "slo_target",
            "slo_window_days",
            "error_budget_remaining",
            "slo_burning",
        ]
        read_only_fields = ["slug", "last_checked_at", "response_time_ms", "next_check_at", "slo_burning"]
        extra_kwargs = {"slo_target": {"coerce_to_string": False}}
        list_serializer_class = WithHistoryList

    def get_fields(self):
        """The shared fields, with every kind's settings after `paused`."""
        fields = {}
        for name, field in super().get_fields().items():
            fields[name] = field
            if name == "paused":
                fields.update((setting, _api_field(setting)) for setting in setting_names())
        return fields

    def to_representation(self, instance):
        """Never a secret, whatever the kind that keeps it."""
        data = super().to_representation(instance)
        kind = kind_of(instance.kind)
        for name in kind.SECRETS if kind else ():
            data.pop(name, None)
        return data

    def _summary(self, monitor):
        if not hasattr(monitor, "summary"):
            monitor.summary = summaries([monitor.pk]).get(monitor.pk, EMPTY)
        return monitor.summary

    @extend_schema_field(PERCENT)
    def get_uptime_24h(self, monitor):
        return self._summary(monitor).uptime("24h")

    @extend_schema_field(PERCENT)
    def get_uptime_7d(self, monitor):
        return self._summary(monitor).uptime("7d")

    @extend_schema_field(PERCENT)
    def get_uptime_30d(self, monitor):
        return self._summary(monitor).uptime("30d")

    @extend_schema_field(PERCENT)
    def get_uptime_90d(self, monitor):
        return self._summary(monitor).uptime("90d")

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_response_time_avg_24h(self, monitor):
        value = self._summary(monitor).response_ms_24h
        return None if value is None else round(value, 1)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_error_budget_remaining(self, monitor):
        slo = objective(monitor, self._summary(monitor))
        return slo.budget_remaining if slo else None

    def create(self, validated_data):
        tags = validated_data.pop("tags", None)
        return _save(Monitor(**validated_data), tags)

    def update(self, instance, validated_data):
        """Fields left out (a secret, say) keep their stored value."""
        tags = validated_data.pop("tags", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return _save(instance, tags)


def _save(monitor, tags):
    try:
        return monitor_save(monitor, tags=tags)
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise serializers.ValidationError(detail) from exc
