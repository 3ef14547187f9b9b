"""The JSON API: one DRF router for every app."""

from rest_framework.routers import DefaultRouter

from incidents.api import IncidentViewSet
from monitors.api import MonitorViewSet

router = DefaultRouter(trailing_slash=True)
router.register("monitors", MonitorViewSet, basename="monitor")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
