from pathlib import Path

from django.core.management.base import BaseCommand

from privacy.services import erasure_replay


class Command(BaseCommand):
    help = (
        "After restoring a backup: erase again everyone the erasure ledger lists "
        "(the database's and the ledger file's entries). Safe to run more than once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ledger",
            type=Path,
            help="The ledger file to read (default: the ERASURE_LEDGER_PATH setting).",
        )

    def handle(self, *args, ledger: Path | None, **options):
        counts = erasure_replay(ledger_path=ledger)
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
