from django.core.management.base import BaseCommand

from privacy.services import encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value with the newest key in FIELD_ENCRYPTION_KEY. "
        "Batched and resumable: run it again after an interruption. Afterwards the old "
        "keys can be removed from the list."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        def progress(label: str, seen: int, rotated: int) -> None:
            self.stdout.write(f"{label}: {seen} rows checked, {rotated} values re-encrypted")

        rotated = encryption_keys_rotate(batch_size=batch_size, progress=progress)
        for label, count in rotated.items():
            self.stdout.write(self.style.SUCCESS(f"{label}: {count} values re-encrypted"))
