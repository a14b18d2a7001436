from django.core.management.base import BaseCommand, CommandError

from privacy.selectors import encryption_status_get


class Command(BaseCommand):
    help = (
        "Count, per encrypted field and per encrypted file store, the values each key in "
        "FIELD_ENCRYPTION_KEY opens and those no key opens. Exits 1 while anything is "
        "under a key other than the first, or under none: an old key may go only at 0."
    )

    def handle(self, *args, **options):
        status = encryption_status_get(refresh=True)
        headers = [f"key {position}" for position in range(status.keys)]
        self.stdout.write("\t".join(["what", *headers, "no key"]))
        for entry in status.entries:
            self.stdout.write(
                "\t".join([entry.name, *map(str, entry.per_key), str(entry.unreadable)])
            )
        if status.ok:
            self.stdout.write(
                self.style.SUCCESS("Everything is under the newest key (position 0).")
            )
            return
        left = "; ".join(f"{entry.name}: {entry.left_description()}" for entry in status.left)
        # CommandError: one line on stderr and exit status 1, for deployment scripts.
        raise CommandError(f"Not everything is under the newest key: {left}.")
