from django.apps import AppConfig
from django.db.models.signals import post_delete


class BackupsConfig(AppConfig):
    name = "backups"
    verbose_name = "Backup verification"

    def ready(self):
        from backups.events import declare_kinds
        from backups.models import BackupSource
        from backups.services import backup_source_forget

        post_delete.connect(backup_source_forget, sender=BackupSource, dispatch_uid="backups.forget_source")
        declare_kinds()
