from celery import shared_task

from bot.services import conversations_close_resolved


# Idempotent (only conversations still "resolved" are closed), so it may be
# acknowledged late and redelivered if the worker dies mid-run.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def conversations_close_resolved_task() -> int:
    return conversations_close_resolved()
