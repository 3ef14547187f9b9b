from django.contrib import admin
from django.urls import include, path, re_path

from incidents import views as incident_views
from incidents.events_api import EventsView
from monitors import views as monitor_views
from portal import accounts, dashboard, internal, status_page
from portal.health import health
from portal.metrics import metrics
from portal.public_api import PublicStatusView
from portal.test_error import send_test_error

admin.site.site_header = "Vigil administration"
admin.site.site_title = "Vigil"
admin.site.index_title = "Monitoring"

urlpatterns = [
    path("", accounts.home, name="home"),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/password/", accounts.password_change, name="password-change"),
    path("accounts/password/done/", accounts.password_change_done, name="password-change-done"),
    path("accounts/two-factor/", accounts.two_factor, name="two-factor"),
    path("status/", status_page.public_status, name="status-public"),
    path("status/feed.atom", status_page.status_feed, name="status-feed"),
    path("badge/<slug:slug>.svg", status_page.status_badge, name="status-badge"),
    re_path(r"^api/monitoring/public-status/?$", PublicStatusView.as_view(), name="public-status-api"),
    path("status/internal/", internal.internal_status, name="status-internal"),
    path("dashboard/monitoring/", dashboard.dashboard, name="dashboard"),
    path("dashboard/monitoring/panels", dashboard.dashboard_panels, name="dashboard-panels"),
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("sentry/test-error", send_test_error, name="sentry-test-error"),
    path("ping/<uuid:ping_uuid>", monitor_views.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/start", monitor_views.ping, {"kind": "start"}, name="ping-start"),
    path("ping/<uuid:ping_uuid>/fail", monitor_views.ping, {"kind": "fail"}, name="ping-fail"),
    re_path(r"^api/events/?$", EventsView.as_view(), name="events-api"),
    path("incidents/ack/<str:token>/", incident_views.acknowledge, name="incident-ack-link"),
    path("api/", include("portal.api_urls")),
]
