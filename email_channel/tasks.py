"""Celery tasks of the e-mail channel: ids in, one service call, safe to run twice."""

from celery import shared_task
from django.core.cache import cache

from email_channel.services import (
    mail_housekeeping,
    mail_send_attempt,
    mail_sends_requeue,
    mailbox_fetch,
    mailboxes_active_ids,
)

# One fetch per mailbox at a time (a second would only find duplicates); the lock
# expires on its own should a worker die holding it.
FETCH_LOCK_SECONDS = 300


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mailboxes_fetch_task() -> int:
    """Beat: one fetch task per active mailbox, and replies whose task was lost queued
    again (mail_sends_requeue)."""
    mail_sends_requeue()
    ids = mailboxes_active_ids()
    for mailbox_id in ids:
        mailbox_fetch_task.delay(mailbox_id)
    return len(ids)


# Idempotent: a fetched mail is stored once (its Message-ID index is unique).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def mailbox_fetch_task(mailbox_id: int) -> dict[str, int] | None:
    lock = f"email-fetch:{mailbox_id}"
    if not cache.add(lock, 1, timeout=FETCH_LOCK_SECONDS):
        return None
    try:
        return mailbox_fetch(mailbox_id=mailbox_id)
    finally:
        cache.delete(lock)


# Idempotent: mail_send_attempt claims the mail with a conditional update and never sends
# a sent one again; attempts are bounded by EMAIL_SEND_MAX_ATTEMPTS, hence no max_retries.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def mail_send_task(self, mail_id: int) -> None:
    retry_in = mail_send_attempt(mail_id=mail_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mail_housekeeping_task() -> dict[str, int]:
    return mail_housekeeping()
