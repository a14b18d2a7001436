from celery import shared_task

from bot.services import conversations_close_resolved


@shared_task(acks_late=True)
def conversations_close_resolved_task() -> int:
    # Safe to run twice: only conversations still "resolved" are closed.
    return conversations_close_resolved()
