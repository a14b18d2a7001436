from pathlib import Path

from django.core.management.base import BaseCommand

from bot.knowledge_base import DEMO_KNOWLEDGE_BASE, knowledge_base_import_file


class Command(BaseCommand):
    help = "Import a knowledge base from JSON (default: the demo shop's). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=DEMO_KNOWLEDGE_BASE)

    def handle(self, *args, path: Path, **options):
        counts = knowledge_base_import_file(path=path)
        self.stdout.write(
            self.style.SUCCESS(
                f"Knowledge base {path.name}: {counts['intents']} new intents, "
                f"{counts['answers']} new answers, {counts['examples']} new example questions."
            )
        )
