# In the project: the demo spans the apps (agents, bot, the e-mail channel).
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.demo import DEMO_LOGINS, demo_data_create
from bot.learning import bot_model_train
from email_channel.demo import demo_mailbox_create


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
        # The German queue's mailbox reads var/maildir (a sample mail waits there).
        demo_mailbox_create()
        # The demo bot answers with its trained intent models from the first question
        # (a few seconds per language; skipped while the knowledge base is unchanged).
        for language, _name in settings.LANGUAGES:
            self.stdout.write(f"Training the {language} intent model …")
            model = bot_model_train(language=language)
            if model is None:
                self.stdout.write("  the active model already knows these examples")
            else:
                self.stdout.write(f"  version {model.version}: {model.status}")
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Logins:"))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<16} {login.username:<12} {login.password}")
