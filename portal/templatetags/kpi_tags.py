"""`{% kpi_history now as history %}`: the dashboard's KPI history (portal.dashboards.kpis.history)."""

from django import template

from portal.dashboards import kpis

register = template.Library()


@register.simple_tag
def kpi_history(now):
    return kpis.history(now)
