from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.demo import DEMO_LOGINS, demo_data_create


class Command(BaseCommand):
    help = "Create the demo staff, queues, knowledge base and customers. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo logins have known passwords: refusing with DEBUG off.")
        demo_data_create()
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Logins:"))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<16} {login.username:<12} {login.password}")
