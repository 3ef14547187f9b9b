"""Send the weekly report now: the last 7 days, to the super admins or to --to."""

from django.core.management.base import BaseCommand, CommandError

from portal.dashboards.kpi_report import send_weekly_report


class Command(BaseCommand):
    help = "Email the weekly report (the last 7 days) now, to every super admin with an email or to --to."

    def add_arguments(self, parser):
        parser.add_argument("--to", action="append", metavar="EMAIL",
                            help="A recipient instead of the super admins (repeatable).")

    def handle(self, *args, to=None, **options):
        sent = send_weekly_report(to=to)
        if not sent:
            raise CommandError("No recipient: no super admin has an email address (use --to).")
        self.stdout.write(f"Weekly report sent to {sent} recipient(s).")
