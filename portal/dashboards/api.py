"""/api/monitoring/…: the monitoring dashboard's figures as JSON, in the seed's shapes.

Read through `portal.dashboards.data`, so the API and the pages agree; the serializers
below both render the answers and describe them in the OpenAPI schema.
"""

import math

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsEngineer, IsSuperAdmin
from incidents.models import Incident, Severity
from monitors.models import Status
from portal.dashboards import data


def guide_uptime(percent):
    """The guide's uptime: a string with two decimals ("99.95"), rounded down so that any
    downtime never reads "100.00"; None without data."""
    if percent is None:
        return None
    return "100.00" if percent >= 100 else f"{math.floor(percent * 100 + 1e-6) / 100:.2f}"


def whole_ms(value):
    return None if value is None else round(value)


class MonitorStatusSerializer(serializers.Serializer):
    """A monitor in the guide's shape (`status` "up" or "down", `uptime` over 30 days as
    "99.95", `response_time` the 24-hour average in whole ms), plus Vigil's `state` and
    figures. Renders a `dashboard_data.MonitorRow`."""

    name = serializers.CharField(source="monitor.name")
    status = serializers.SerializerMethodField(help_text='"down" while Vigil\'s state is down, else "up".')
    # Not an enum in the schema: "status" already names the incidents' choices there.
    state = serializers.CharField(source="status", help_text=f"Vigil's state, one of: {', '.join(Status.values)}.")
    uptime = serializers.SerializerMethodField(help_text='Over 30 days, e.g. "99.95"; null without data.')
    response_time = serializers.SerializerMethodField(help_text="The 24-hour average in whole ms; null without checks.")
    uptime_24h = serializers.FloatField(allow_null=True)
    uptime_30d = serializers.FloatField(allow_null=True)
    last_response_time = serializers.FloatField(source="monitor.response_time_ms", allow_null=True,
                                                help_text="The last check's, in ms.")

    def get_status(self, row) -> str:
        return "down" if row.status == Status.DOWN else "up"

    def get_uptime(self, row) -> str | None:
        return guide_uptime(row.uptime_30d)

    def get_response_time(self, row) -> int | None:
        return whole_ms(row.summary.response_ms_24h)


class SystemStatusSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    monitors = MonitorStatusSerializer(many=True)
    overall_status = serializers.ChoiceField(choices=["operational", "degraded"])


class IncidentSummarySerializer(serializers.Serializer):
    """`id` is the reference (INC-YYYY-NNN) /api/incidents/ looks incidents up by;
    `duration_minutes` is in whole minutes, null while the incident is open."""

    id = serializers.CharField(source="ref")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    started_at = serializers.DateTimeField(source="opened_at")
    resolved_at = serializers.DateTimeField(allow_null=True)
    duration_minutes = serializers.SerializerMethodField()
    severity = serializers.ChoiceField(choices=Severity.choices)

    def get_duration_minutes(self, incident) -> int | None:
        if incident.resolved_at is None:
            return None
        return int(data.incident_duration(incident, self.context["now"]).total_seconds() // 60)


class IncidentsSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    incidents = IncidentSummarySerializer(many=True)


class BackupStatusSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    sources = serializers.ListField(child=serializers.DictField(), help_text="The latest verification per source.")


class SystemStatusView(APIView):
    """Every monitor's status, uptime and response time, and the overall verdict:
    "degraded" while a monitor is down or slow, else "operational"."""

    permission_classes = [IsSuperAdmin]

    @extend_schema(responses=SystemStatusSerializer)
    def get(self, request):
        rows = data.monitor_rows()
        answer = {"success": True, "monitors": rows, "overall_status": data.overall_status(rows)}
        return Response(SystemStatusSerializer(answer).data)


class IncidentsView(APIView):
    """The latest 100 incidents, newest first."""

    permission_classes = [IsEngineer]

    @extend_schema(responses=IncidentsSerializer)
    def get(self, request):
        answer = {"success": True, "incidents": data.recent_incidents()}
        return Response(IncidentsSerializer(answer, context={"now": timezone.now()}).data)


class BackupStatusView(APIView):
    """The latest verification of each backup source (none until backups are configured)."""

    permission_classes = [IsSuperAdmin]

    @extend_schema(responses=BackupStatusSerializer)
    def get(self, request):
        return Response(BackupStatusSerializer({"success": True, "sources": data.latest_verifications()}).data)
