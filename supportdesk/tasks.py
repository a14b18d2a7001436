from celery import shared_task

from supportdesk.sweeper import jobs_sweep


# Conditional updates only (an item is queued again once per period however often this
# runs), so a redelivery is harmless.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def jobs_sweep_task() -> dict[str, int]:
    return jobs_sweep()
