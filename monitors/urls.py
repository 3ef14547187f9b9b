"""The monitors app's URLs (heartbeat pings); included at the root by portal.urls."""

from django.urls import path

from monitors import views

urlpatterns = [
    path("ping/<uuid:ping_uuid>", views.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/start", views.ping, {"kind": "start"}, name="ping-start"),
    path("ping/<uuid:ping_uuid>/fail", views.ping, {"kind": "fail"}, name="ping-fail"),
]
