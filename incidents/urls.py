"""The incidents app's pages and event intake; included at the root by portal.urls."""

from django.urls import path, re_path

from incidents import runbooks, views
from incidents.change_events_api import ChangeEventsView
from incidents.events_api import EventsView

urlpatterns = [
    re_path(r"^api/events/?$", EventsView.as_view(), name="events-api"),
    # Where PagerDuty's own clients post, given Vigil's base URL.
    re_path(r"^v2/enqueue/?$", EventsView.as_view(), name="events-api-v2"),
    re_path(r"^v2/change/enqueue/?$", ChangeEventsView.as_view(), name="change-events-api"),
    path("incidents/ack/<str:token>/", views.acknowledge, name="incident-ack-link"),
    path("incidents/", views.incident_list, name="incidents-list"),
    path("incidents/new/", views.incident_new, name="incidents-new"),
    path("incidents/<str:ref>/", views.incident_detail, name="incidents-page"),
    path("incidents/<str:ref>/acknowledge/", views.incident_ack, name="incidents-acknowledge"),
    path("incidents/<str:ref>/status/", views.incident_status, name="incidents-status"),
    path("incidents/<str:ref>/severity/", views.incident_severity, name="incidents-severity"),
    path("incidents/<str:ref>/resolve/", views.incident_close, name="incidents-resolve"),
    path("incidents/<str:ref>/postmortem/", views.postmortem_edit, name="incidents-postmortem"),
    path("incidents/<str:ref>/postmortem.md", views.postmortem_export, name="incidents-postmortem-md"),
    path("incidents/<str:ref>/postmortem/public/", views.postmortem_public, name="incidents-postmortem-public"),
    path("runbooks/", runbooks.runbook_list, name="runbooks"),
    path("runbooks/<int:pk>/", runbooks.runbook_page, name="runbook"),
    path("runbooks/match/", runbooks.runbook_match, name="runbook-match"),
]
