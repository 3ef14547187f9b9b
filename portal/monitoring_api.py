"""/api/monitoring/…: the monitoring dashboard's figures as JSON, in the seed's shapes.

Read through `portal.dashboard_data`, so the API and the pages agree; the serializers
below both render the answers and describe them in the OpenAPI schema.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsEngineer, IsSuperAdmin
from incidents.models import Incident, Severity
from monitors.models import Status
from portal import dashboard_data as data


class MonitorStatusSerializer(serializers.Serializer):
    """A monitor: uptime over the last 30 days in percent (null without data) and the
    last check's response time in ms. Renders a `dashboard_data.MonitorRow`."""

    name = serializers.CharField(source="monitor.name")
    # Not an enum in the schema: "status" already names the incidents' choices there.
    status = serializers.CharField(help_text=f"One of: {', '.join(Status.values)}.")
    uptime = serializers.FloatField(source="uptime_30d", allow_null=True)
    response_time = serializers.FloatField(source="monitor.response_time_ms", allow_null=True)


class SystemStatusSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    monitors = MonitorStatusSerializer(many=True)
    overall_status = serializers.ChoiceField(choices=["operational", "degraded"])


class IncidentSummarySerializer(serializers.Serializer):
    """`id` is the reference (INC-YYYY-NNN) /api/incidents/ looks incidents up by;
    `duration_minutes` (whole minutes) runs until now while the incident is open."""

    id = serializers.CharField(source="ref")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    started_at = serializers.DateTimeField(source="opened_at")
    resolved_at = serializers.DateTimeField(allow_null=True)
    duration_minutes = serializers.SerializerMethodField()
    severity = serializers.ChoiceField(choices=Severity.choices)

    def get_duration_minutes(self, incident) -> int:
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
