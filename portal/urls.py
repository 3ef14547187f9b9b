"""Every URL: the portal's own pages here, each app's from its urls.py (included at the root,
so paths and names are the same as before), the JSON API from portal.api_urls."""

from django.contrib import admin
from django.urls import include, path, re_path

from portal.accounts import views as accounts

from portal.dashboards import views as dashboard

from portal.status import internal

from portal.status import views as status_page
from portal.health import health
from portal.metrics import metrics
from portal.status.api import PublicStatusView
from portal.sentry.test_error import send_test_error

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
    path("dashboard/monitoring/kpis.csv", dashboard.kpis_csv, name="dashboard-kpis-csv"),
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("sentry/test-error", send_test_error, name="sentry-test-error"),
    path("", include("monitors.urls")),
    path("", include("incidents.urls")),
    path("api/", include("portal.api_urls")),
]
