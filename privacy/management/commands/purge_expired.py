from django.core.management.base import BaseCommand

from privacy.services import retention_purge


class Command(BaseCommand):
    help = "Delete data past its retention period (the same service Celery beat runs)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count only, delete nothing.")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        run = retention_purge(batch_size=batch_size, dry_run=dry_run)
        verb = "due for deletion" if dry_run else "deleted"
        for category, count in sorted(run.counts.items()):
            self.stdout.write(f"{category}: {count} {verb}")
        if not run.counts:
            self.stdout.write("No retention policy is active.")
