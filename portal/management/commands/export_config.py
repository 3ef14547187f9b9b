from pathlib import Path

from django.core.management.base import BaseCommand

from core.config import export_yaml


class Command(BaseCommand):
    help = (
        "Write the current monitors, channels and alert rules as a YAML file for apply_config. "
        "Secrets are left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *, output, **options):
        text = export_yaml()
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
