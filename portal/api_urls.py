"""The JSON API: one DRF router for every app."""

from django.urls import re_path
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from core.permissions import IsStaffMember
from incidents.api import IncidentViewSet
from monitors.api import MonitorViewSet
from portal.sentry.api import ErrorStatsView
from portal.dashboards import api as monitoring_api

router = DefaultRouter(trailing_slash=True)
router.register("monitors", MonitorViewSet, basename="monitor")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
urlpatterns += [
    re_path(r"^monitoring/error-stats/?$", ErrorStatsView.as_view(), name="monitoring-error-stats"),
    # The schema and its docs: staff and above (SPECTACULAR_SETTINGS says the same).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsStaffMember]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[IsStaffMember]),
         name="api-docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="schema", permission_classes=[IsStaffMember]),
         name="api-redoc"),
]
urlpatterns += [
    re_path(r"^monitoring/system-status/?$", monitoring_api.SystemStatusView.as_view(), name="monitoring-system-status"),
    re_path(r"^monitoring/incidents/?$", monitoring_api.IncidentsView.as_view(), name="monitoring-incidents"),
    re_path(r"^monitoring/backup-status/?$", monitoring_api.BackupStatusView.as_view(), name="monitoring-backup-status"),
]
