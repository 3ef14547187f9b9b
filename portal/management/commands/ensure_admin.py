import secrets

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the super admin `admin` if missing (password from ADMIN_PASSWORD, else generated and printed once)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default=None, help="Defaults to $ADMIN_PASSWORD, else generated.")

    def handle(self, *, username, password, **options):
        import os

        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Super admin '{username}' exists; its password is unchanged.")
            return
        given = password or os.environ.get("ADMIN_PASSWORD")
        password = given or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if given:
            self.stdout.write(f"Created super admin '{username}' with the password from ADMIN_PASSWORD.")
        else:
            self.stdout.write(self.style.WARNING(f"Created super admin '{username}' with password: {password}"))
            self.stdout.write("This password is shown only once; change it in the admin.")
