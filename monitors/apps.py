from django.apps import AppConfig
from django.db.models.signals import post_delete


class MonitorsConfig(AppConfig):
    name = "monitors"

    def ready(self):
        from incidents.postmortems import register_error_budgets
        from monitors.error_budgets import error_budgets
        from monitors.event_kinds import declare_kinds
        from monitors.models import Monitor
        from monitors.services import monitor_forget_source

        post_delete.connect(monitor_forget_source, sender=Monitor, dispatch_uid="monitors.forget_source")
        declare_kinds()
        register_error_budgets(error_budgets)
