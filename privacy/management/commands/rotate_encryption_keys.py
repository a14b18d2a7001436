from django.core.management.base import BaseCommand, CommandError

from privacy.selectors import encryption_status_forget
from privacy.services.keys import RotationStopped, encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (every model, secrets included) and every "
        "encrypted file with the newest key in FIELD_ENCRYPTION_KEY. Batched and "
        "resumable: run it again after an interruption. Remove an old key only once "
        "`encryption_status` exits 0."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        def progress(label: str, seen: int, rotated: int) -> None:
            self.stdout.write(f"{label}: {seen} checked, {rotated} re-encrypted")

        try:
            rotated = encryption_keys_rotate(batch_size=batch_size, progress=progress)
        except RotationStopped as stopped:
            # One line, no traceback: what was rotated before stays rotated.
            raise CommandError(str(stopped)) from None
        finally:
            encryption_status_forget()
        for label, count in rotated.items():
            self.stdout.write(self.style.SUCCESS(f"{label}: {count} re-encrypted"))
        self.stdout.write(
            "Done. Check `manage.py encryption_status` (exit 0) before removing an old key."
        )
