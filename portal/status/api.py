"""GET /api/monitoring/public-status: the public status page's data, for anyone, and
nothing more (see `portal.status.data`). The serializers render the answer and describe
it in the OpenAPI schema."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.permissions import IsAnyone
from incidents.models import Incident
from portal.client_ip import client_ip
from portal.dashboards.api import guide_uptime, whole_ms
from portal.status.data import OVERALL_ORDER, STATE_WORDS, public_status

# Plain strings with their values listed, not enums: other answers in the schema already
# name enums "status" and "overall_status" with other choices.
STATES = f"One of: {', '.join(STATE_WORDS)}."
OVERALL = f"One of: operational, {', '.join(OVERALL_ORDER)}."


class PublicComponentSerializer(serializers.Serializer):
    """A public monitor; uptimes in percent, null without data."""

    name = serializers.CharField()
    group = serializers.CharField(help_text='Its first tag, or "Other".')
    status = serializers.CharField(source="state", help_text=STATES)
    uptime_24h = serializers.FloatField(allow_null=True)
    uptime_30d = serializers.FloatField(allow_null=True)
    uptime_90d = serializers.FloatField(allow_null=True)


class PublicMonitorSerializer(serializers.Serializer):
    """A public monitor in the guide's shape, as in system-status: `status` "down" during
    an outage, else "up"; `uptime` over 30 days as "99.95"; `response_time` the 24-hour
    average in whole ms. `state` is the component's."""

    name = serializers.CharField()
    status = serializers.SerializerMethodField(help_text='"down" during an outage, else "up".')
    state = serializers.CharField(help_text=STATES)
    uptime = serializers.SerializerMethodField(help_text='Over 30 days, e.g. "99.95"; null without data.')
    response_time = serializers.SerializerMethodField(help_text="The 24-hour average in whole ms; null without checks.")

    def get_status(self, component) -> str:
        return "down" if component.state == "outage" else "up"

    def get_uptime(self, component) -> str | None:
        return guide_uptime(component.uptime_30d)

    def get_response_time(self, component) -> int | None:
        return whole_ms(component.response_ms_24h)


class PublicUpdateSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PublicIncidentSerializer(serializers.Serializer):
    """An incident of a public monitor: a neutral title ("Checkout API: outage") and the
    updates engineers made public."""

    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    started_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    updates = PublicUpdateSerializer(many=True)


class PublicMaintenanceSerializer(serializers.Serializer):
    name = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    starts = serializers.DateTimeField()
    ends = serializers.DateTimeField(allow_null=True, help_text="Null: until someone ends it.")


class PublicStatusSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    overall_status = serializers.CharField(help_text=OVERALL)
    monitors = PublicMonitorSerializer(many=True, help_text="The public monitors in the guide's shape.")
    components = PublicComponentSerializer(many=True)
    incidents = PublicIncidentSerializer(many=True, help_text="Open ones, then those resolved in the last 14 days.")
    maintenance = PublicMaintenanceSerializer(many=True, help_text="Active now or starting within 7 days.")


class PublicRateThrottle(AnonRateThrottle):
    """The `anon` rate per client address, read as the sign-in throttle reads it, so a
    made-up X-Forwarded-For does not buy a fresh allowance."""

    def get_ident(self, request):
        return client_ip(request)


class PublicStatusView(APIView):
    """The public status page's data: public monitors' names and states, incidents under
    neutral titles with their public updates, and maintenance. Throttled for anonymous
    callers."""

    permission_classes = [IsAnyone]
    throttle_classes = [PublicRateThrottle]
    renderer_classes = [JSONRenderer]

    @extend_schema(responses=PublicStatusSerializer)
    def get(self, request):
        status = public_status()
        answer = {"success": True, "overall_status": status.overall, "monitors": status.components,
                  "components": status.components,
                  "incidents": status.incidents, "maintenance": status.maintenance}
        return Response(PublicStatusSerializer(answer).data)
