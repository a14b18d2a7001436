from django.core.management.base import BaseCommand

from supportdesk.sweeper import jobs_sweep


class Command(BaseCommand):
    help = (
        "Queue again work a lost worker left unfinished (the same sweep Celery beat runs "
        "every five minutes): data requests, training runs, webhook and messenger deliveries."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stuck-after",
            type=float,
            default=None,
            help="Seconds after which unfinished work counts as stuck (default: "
            "JOBS_STUCK_AFTER_SECONDS). 0 right after a crash re-queues everything unfinished.",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, stuck_after: float | None, batch_size: int | None, **options):
        counts = jobs_sweep(stuck_after=stuck_after, batch_size=batch_size)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} queued again")
