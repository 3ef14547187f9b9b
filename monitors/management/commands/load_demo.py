from django.conf import settings
from django.core.management.base import BaseCommand

from incidents.demo import load_demo_alerting
from monitors.demo import load_demo


class Command(BaseCommand):
    help = (
        "Create the demo data that is missing: monitors (Vigil's own /health and one of each kind), a recurring "
        "maintenance window, "
        "an email channel printed in the console, and an app event source."
    )

    def handle(self, **options):
        created = load_demo()
        self.stdout.write(f"Demo monitors created: {', '.join(created)}" if created else "Demo monitors present.")
        created, routing_key = load_demo_alerting()
        if created:
            self.stdout.write(f"Demo alerting created: {', '.join(created)}")
        self.stdout.write(
            "Alerts are emailed to the console below; try an event from an app:\n"
            f"  curl -X POST {settings.VIGIL_BASE_URL}/api/events -H 'Content-Type: application/json' "
            f"-d '{{\"routing_key\": \"{routing_key}\", \"event_action\": \"trigger\", "
            f"\"payload\": {{\"summary\": \"Checkout is failing\", \"source\": \"demo\", \"severity\": \"critical\"}}}}'"
        )
