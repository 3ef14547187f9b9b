"""`manage.py verify_backups [NAME …]`: verify backup sources now, in this process.

Prints a report per source; exits 1 when any verification failed. Runs are recorded and
alert exactly as scheduled ones do. Disabled sources (`enabled: false`) are skipped, and
the command says so.
"""

from django.core.management.base import BaseCommand, CommandError

from backups.models import BackupSource, Status
from backups.report import run_report
from backups.services import backup_verify_now


class Command(BaseCommand):
    help = "Verify backup sources now (all, or those named) and print a report; exit 1 when any failed."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="NAME", help="A backup source's name (default: all).")

    def handle(self, *, names, **options):
        sources = self._sources(names)
        failed = skipped = 0
        for source in sources:
            if not source.enabled:
                self.stdout.write(f"{source.name}: skipped, disabled (enabled: false)")
                skipped += 1
                continue
            run = backup_verify_now(source)
            if run is None:
                self.stdout.write(f"{source.name}: skipped, another verification of it is running")
                continue
            self.stdout.write(run_report(source, run))
            failed += run.status == Status.FAILURE
        disabled = f" {skipped} disabled source(s) skipped." if skipped else ""
        self.stdout.write(f"{len(sources) - skipped} source(s) verified, {failed} failed.{disabled}")
        if failed:
            raise SystemExit(1)

    def _sources(self, names):
        sources = list(BackupSource.objects.filter(name__in=names) if names else BackupSource.objects.all())
        unknown = sorted(set(names) - {source.name for source in sources})
        if unknown:
            known = ", ".join(BackupSource.objects.values_list("name", flat=True)) or "none defined"
            raise CommandError(f"Unknown backup source: {', '.join(unknown)} (known: {known}).")
        if not sources:
            raise CommandError("No backup sources defined: add them in the admin or under backup_sources: in a config file.")
        return sources
