from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app may use; installed for its system checks and management commands."""

    name = "core"

    def ready(self):
        from core import checks  # noqa: F401  (registers the system checks)
