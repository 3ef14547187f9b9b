from django.apps import AppConfig, apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Vigil portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        from portal.accounts import audit  # noqa: F401  (connects the audit log's receivers)
        from portal.schedules import install_schedules
        from portal.sentry.event_kinds import declare_kinds

        # Sent once per app with models; django_q owns the Schedule table.
        post_migrate.connect(install_schedules, sender=apps.get_app_config("django_q"))
        declare_kinds()
