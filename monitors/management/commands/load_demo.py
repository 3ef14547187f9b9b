from django.core.management.base import BaseCommand

from monitors.demo import load_demo


class Command(BaseCommand):
    help = "Create the demo monitors that are missing (Vigil's own /health and one of each kind)."

    def handle(self, **options):
        created = load_demo()
        self.stdout.write(f"Demo monitors created: {', '.join(created)}" if created else "Demo monitors present.")
