from django.core.management.base import BaseCommand, CommandError

from core.config import ConfigError, apply_plan, plan_file


class Command(BaseCommand):
    help = (
        "Create or update monitors, channels and alert rules from a YAML file, matched by name. "
        "Nothing is changed unless the whole file is valid; rows whose settings already match are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The YAML file (see export_config for the format).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; change nothing.")
        parser.add_argument("--prune", action="store_true", help="Delete what the file no longer names.")

    def handle(self, *, file, dry_run, prune, **options):
        try:
            plan = plan_file(file, prune=prune)
            if not dry_run:
                apply_plan(plan)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        for change in plan.changes:
            self.stdout.write(change.describe(dry_run=dry_run))
        self.stdout.write(plan.summary(dry_run=dry_run))
