from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.sources.routing_keys import event_source_create, event_source_curl


class Command(BaseCommand):
    help = (
        "Create an event source for one of the team's apps and print its routing key, "
        "the credential the app sends to POST /api/events."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help='The app\'s name, e.g. "billing" (its key becomes app:billing).')
        parser.add_argument(
            "--tag", action="append", default=[], dest="tags", help="A tag alert rules can match (repeatable)."
        )

    def handle(self, *, name, tags, **options):
        try:
            source = event_source_create(name=name, tags=tags)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        self.stdout.write(f'Created event source "{source.name}" ({source.key}).')
        self.stdout.write(f"Routing key: {source.routing_key}")
        self.stdout.write("Send a test event:")
        self.stdout.write(f"  {event_source_curl(source)}")
