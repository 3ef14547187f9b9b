"""The monitors API (filled in by the API work)."""

from rest_framework import viewsets
from rest_framework.permissions import IsAdminUser

from monitors.models import Monitor


class MonitorViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAdminUser]
    queryset = Monitor.objects.none()
