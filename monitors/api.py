"""The monitors API: super admins manage monitors; every write goes through `monitors.services`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import IsSuperAdmin
from monitors.models import Monitor
from monitors.serializers import MonitorSerializer
from monitors.services import monitor_pause, monitor_resume, monitors_check_now


class CheckReportSerializer(serializers.Serializer):
    """The answer to check now: how many checks ran and how they ended, and the monitor after."""

    checked = serializers.IntegerField()
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    monitor = MonitorSerializer()


class MonitorViewSet(viewsets.ModelViewSet):
    """CRUD on monitors, plus pause, resume and check now."""

    permission_classes = [IsSuperAdmin]
    serializer_class = MonitorSerializer
    queryset = Monitor.objects.prefetch_related("tags").order_by("name")

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        monitor = self.get_object()
        monitor_pause(monitor)
        return Response(self.get_serializer(monitor).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        monitor = self.get_object()
        monitor_resume(monitor)
        return Response(self.get_serializer(monitor).data)

    @extend_schema(request=None, responses=CheckReportSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """Check at once; `checked` is 0 when paused or a heartbeat still awaits its first ping."""
        monitor = self.get_object()
        report = monitors_check_now([monitor.pk])
        monitor.refresh_from_db()
        return Response(
            {
                "checked": report.checked,
                "up": report.up,
                "down": report.down,
                "monitor": self.get_serializer(monitor).data,
            }
        )
