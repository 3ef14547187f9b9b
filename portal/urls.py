from django.contrib import admin
from django.urls import include, path, re_path

from incidents import runbooks as incident_runbooks
from incidents import views as incident_views
from incidents import pages as incident_pages
from incidents.change_events_api import ChangeEventsView
from incidents.events_api import EventsView
from monitors import views as monitor_views
from portal import accounts, dashboard, internal, status_page
from portal import postmortem_rules
from portal import kpi_views
from portal.health import health
from portal.metrics import metrics
from portal.public_api import PublicStatusView
from portal.test_error import send_test_error

handler404 = "portal.api_errors.not_found"

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
    path("dashboard/monitoring/kpis.csv", kpi_views.kpis_csv, name="dashboard-kpis-csv"),
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("sentry/test-error", send_test_error, name="sentry-test-error"),
    path("ping/<uuid:ping_uuid>", monitor_views.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/start", monitor_views.ping, {"kind": "start"}, name="ping-start"),
    path("ping/<uuid:ping_uuid>/fail", monitor_views.ping, {"kind": "fail"}, name="ping-fail"),
    re_path(r"^api/events/?$", EventsView.as_view(), name="events-api"),
    # Where PagerDuty's own clients post, given Vigil's base URL.
    re_path(r"^v2/enqueue/?$", EventsView.as_view(), name="events-api-v2"),
    re_path(r"^v2/change/enqueue/?$", ChangeEventsView.as_view(), name="change-events-api"),
    path("incidents/ack/<str:token>/", incident_views.acknowledge, name="incident-ack-link"),
    path("incidents/", incident_pages.incident_list, {"expected": postmortem_rules.postmortems_due}, name="incidents-list"),
    path("incidents/new/", incident_pages.incident_new, name="incidents-new"),
    path("incidents/<str:ref>/", incident_pages.incident_detail, name="incidents-page"),
    path("incidents/<str:ref>/acknowledge/", incident_pages.incident_ack, name="incidents-acknowledge"),
    path("incidents/<str:ref>/status/", incident_pages.incident_status, name="incidents-status"),
    path("incidents/<str:ref>/severity/", incident_pages.incident_severity, name="incidents-severity"),
    path("incidents/<str:ref>/resolve/", incident_pages.incident_close, name="incidents-resolve"),
    path("incidents/<str:ref>/postmortem/", incident_pages.postmortem_edit, name="incidents-postmortem"),
    path("incidents/<str:ref>/postmortem.md", incident_pages.postmortem_export, name="incidents-postmortem-md"),
    path("incidents/<str:ref>/postmortem/public/", incident_pages.postmortem_public, name="incidents-postmortem-public"),
    path("runbooks/", incident_runbooks.runbook_list, name="runbooks"),
    path("runbooks/<int:pk>/", incident_runbooks.runbook_page, name="runbook"),
    path("runbooks/match/", incident_runbooks.runbook_match, name="runbook-match"),
    path("api/", include("portal.api_urls")),
]
