from celery import shared_task

from privacy.services import retention_purge

# Bounded work per run: a large backlog is worked off by re-enqueueing, so one run
# never holds a worker (or a table lock) for long.
PURGE_BATCH_SIZE = 1000
PURGE_MAX_BATCHES = 20


@shared_task(acks_late=True, reject_on_worker_lost=True)
def retention_purge_task() -> dict[str, int]:
    # Idempotent (deletes by id from a fresh query), so a redelivery is harmless.
    run = retention_purge(batch_size=PURGE_BATCH_SIZE, max_batches=PURGE_MAX_BATCHES)
    if run.more_pending:
        retention_purge_task.delay()
    return run.counts
