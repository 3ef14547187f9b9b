"""The monitors' error budgets, for the incidents' post-mortem rule (registered in
MonitorsConfig.ready, since incidents never imports monitors)."""

from incidents.postmortems import BUDGET_WINDOW


def error_budgets(source_keys):
    """{monitor source key: its 30-day error budget as a duration}, for monitors with an objective."""
    from monitors.models import Monitor

    ids = [int(key.split(":", 1)[1]) for key in source_keys if key.startswith("monitor:") and key[8:].isdigit()]
    rows = Monitor.objects.filter(pk__in=ids, slo_target__isnull=False).values_list("pk", "slo_target")
    return {f"monitor:{pk}": BUDGET_WINDOW * (1 - float(target) / 100) for pk, target in rows}
