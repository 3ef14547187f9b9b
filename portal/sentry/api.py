"""GET /api/monitoring/error-stats: errors per Sentry project over the last 24 hours, for
super admins (the dashboard polls it). 503 with the reason when there are no figures.

Besides `projects`, each project's figure is a key of its own, `<label>_errors_24h`, as
the guide's dashboard reads it (`backend_errors_24h` for the project labelled, or slugged
`…-backend`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsSuperAdmin
from portal.sentry.stats import SentryUnavailable, error_stats


class ProjectErrorsSerializer(serializers.Serializer):
    slug = serializers.CharField()
    label = serializers.CharField(help_text="Names its `<label>_errors_24h` key.")
    errors_24h = serializers.IntegerField()
    hourly = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="Sentry's hourly buckets, oldest first: [unix timestamp, errors].",
    )


class ErrorStatsSerializer(serializers.Serializer):
    """`stale`: Sentry failed, these are the last figures it gave (`error` says why). One
    `<label>_errors_24h` integer per project besides these keys."""

    success = serializers.BooleanField()
    projects = ProjectErrorsSerializer(many=True)
    total_24h = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    stale = serializers.BooleanField()
    error = serializers.CharField(required=False)


class ErrorStatsUnavailableSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    error = serializers.CharField()


class ErrorStatsView(APIView):
    permission_classes = [IsSuperAdmin]
    serializer_class = ErrorStatsSerializer

    @extend_schema(responses={200: ErrorStatsSerializer, 503: ErrorStatsUnavailableSerializer})
    def get(self, request):
        try:
            return Response(error_stats())
        except SentryUnavailable as exc:
            return Response({"success": False, "error": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
