"""The API's shape of an incident (its timeline on the detail view only)."""

from rest_framework import serializers

from core.fields import StrictCharField
from incidents.models import Incident, TimelineEntry


class TimelineEntrySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["at", "kind", "text", "user"]


class IncidentSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "ref", "title", "severity", "status", "opened_at", "acknowledged_at", "acknowledged_by",
            "resolved_at", "source_key",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class IncidentChangeSerializer(serializers.Serializer):
    """The answer to acknowledge and resolve: `changed` is false when it was already done."""

    changed = serializers.BooleanField()
    incident = IncidentDetailSerializer()
