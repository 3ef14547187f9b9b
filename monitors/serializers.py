"""The API's shape of a monitor. Saving goes through `monitors.services.monitor_save`."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.settings import api_settings

from monitors.models import Monitor
from monitors.services import monitor_save


class TagNamesField(serializers.ListField):
    """Tags as a list of names; unknown names are created on save."""

    child = serializers.SlugField(max_length=64)

    def to_representation(self, value):
        return [tag.name for tag in value.all()]


class MonitorSerializer(serializers.ModelSerializer):
    """Durations (interval, timeout, period, grace) are in seconds; secrets are write-only."""

    tags = TagNamesField(required=False)
    status_code = serializers.ReadOnlyField()
    ping_url = serializers.ReadOnlyField()

    class Meta:
        model = Monitor
        fields = [
            "id",
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
            # http
            "url",
            "method",
            "body",
            "expected_status",
            "keyword",
            "keyword_absent",
            "headers",
            "auth_user",
            "auth_password",
            "tls_verify",
            # tcp, tls
            "host",
            "port",
            "server_name",
            "expiry_warning_days",
            # heartbeat
            "period",
            "grace",
            # postgres
            "dsn",
            "query",
            # state
            "status",
            "status_code",
            "last_checked_at",
            "response_time_ms",
            "ping_url",
            "next_check_at",
        ]
        read_only_fields = ["status", "last_checked_at", "response_time_ms", "next_check_at"]
        extra_kwargs = {name: {"write_only": True} for name in Monitor.SECRET_FIELDS}

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
