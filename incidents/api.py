"""/api/incidents/: list, read, acknowledge and resolve, through `incidents.lifecycle`."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import IsSuperAdmin
from incidents.lifecycle import incident_acknowledge, incident_resolve
from incidents.models import Incident, TimelineEntry
from incidents.serializers import (
    IncidentChangeSerializer, IncidentDetailSerializer, IncidentSerializer, ResolveSerializer,
)


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Incidents, newest first; `?status=resolved` (or investigating, identified, monitoring, open)."""

    permission_classes = [IsSuperAdmin]
    lookup_field = "ref"

    def get_queryset(self):
        incidents = Incident.objects.select_related("acknowledged_by").order_by("-opened_at", "-pk")
        if self.action != "list":
            timeline = TimelineEntry.objects.select_related("user")
            return incidents.prefetch_related(Prefetch("timeline", queryset=timeline))
        status = self.request.query_params.get("status")
        if status == "open":
            return incidents.exclude(status=Incident.Status.RESOLVED)
        if status:
            if status not in Incident.Status.values:
                choices = ", ".join([*Incident.Status.values, "open"])
                raise serializers.ValidationError({"status": f"{status!r} is not one of: {choices}"})
            return incidents.filter(status=status)
        return incidents

    def get_serializer_class(self):
        return IncidentSerializer if self.action == "list" else IncidentDetailSerializer

    @extend_schema(request=None, responses=IncidentChangeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, ref=None):
        incident = self.get_object()
        done = incident_acknowledge(incident, user=request.user, via="API")
        return Response({"changed": done, "incident": IncidentDetailSerializer(incident).data})

    @extend_schema(request=ResolveSerializer, responses=IncidentChangeSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, ref=None):
        incident = self.get_object()
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = incident_resolve(incident, user=request.user, via="API", note=body.validated_data["note"])
        return Response({"changed": done, "incident": IncidentDetailSerializer(incident).data})
