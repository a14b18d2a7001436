import logging
import threading
from contextlib import contextmanager

from celery import shared_task
from django.db import transaction

from platform_core.heartbeats import PURGE, job_heartbeat_record
from privacy.models import DataRequest, DataSubject
from privacy.registry import active_channels
from privacy.services import (
    agreement_reviews_check,
    data_request_process,
    data_request_verification_send,
    database_compact,
    retention_purge,
    subject_verification_send,
)

logger = logging.getLogger(__name__)

# Bounded work per run: a large backlog is worked off by re-enqueueing, so one run
# never holds a worker (or a table lock) for long.
PURGE_BATCH_SIZE = 1000
PURGE_MAX_BATCHES = 20
# An erasure's VACUUM waits for older transactions (a long report, a backup) for up to
# COMPACT_MAX_RETRIES × COMPACT_WAIT_SECONDS (4 hours).
COMPACT_MAX_RETRIES = 48
COMPACT_WAIT_SECONDS = 300


@shared_task(acks_late=True, reject_on_worker_lost=True)
def retention_purge_task() -> dict[str, int]:
    # Idempotent (deletes by id from a fresh query), so a redelivery is harmless.
    run = retention_purge(batch_size=PURGE_BATCH_SIZE, max_batches=PURGE_MAX_BATCHES)
    # The heartbeat the health check watches: a purge that stops runs is an alarm.
    job_heartbeat_record(name=PURGE)
    if run.more_pending:
        retention_purge_task.delay()
    return run.counts


@shared_task(acks_late=True, reject_on_worker_lost=True)
def data_request_verification_send_task(request_id: int) -> None:
    request = DataRequest.objects.filter(pk=request_id).first()
    if request is not None:
        data_request_verification_send(request=request)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def data_request_process_task(request_id: int) -> None:
    # Only a request still "verified" is processed: a redelivery finds it completed.
    request = DataRequest.objects.select_related("subject").filter(pk=request_id).first()
    if request is not None:
        data_request_process(request=request)


# The marking is guarded by status; a repeated reminder is by design (see the service).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def agreement_reviews_check_task() -> dict[str, int]:
    return agreement_reviews_check(active_channels=active_channels())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def subject_verifications_send_task(requests: list[list]) -> None:
    """The verification mail of each [subject id, language]: once per subject (a
    redelivery sends none twice), each in its own transaction, so one that fails
    (logged) keeps none of the others from their mail."""
    for subject_id, language in requests:
        subject = DataSubject.objects.filter(pk=subject_id).first()
        if subject is None:  # erased meanwhile
            continue
        try:
            subject_verification_send(subject=subject, language=language)
        except Exception:  # noqa: BLE001  (the others still get theirs)
            logger.exception("Verification mail of subject %s not sent", subject_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def subject_verification_send_task(subject_id: int, language: str) -> None:
    # Messages queued before subject_verifications_send_task replaced it.
    subject_verifications_send_task([[subject_id, language]])


# The verification mails committed inside a verification_mails_batched() block, in its
# thread (the database thread that runs a batch of set-up steps); None outside one.
_batched = threading.local()


def subject_verification_mail_queue(*, subject_id: int, language: str) -> None:
    """Call inside the transaction that stores the subject: once it commits, its
    verification mail is queued (ids only), with the others of a
    verification_mails_batched() block in one task message at the block's end, else
    in a message of its own. A rolled-back transaction (or savepoint) queues none."""

    def committed() -> None:
        pending = getattr(_batched, "requests", None)
        if pending is None:
            subject_verifications_send_task.delay([[subject_id, language]])
        else:
            pending.append([subject_id, language])

    transaction.on_commit(committed)


@contextmanager
def verification_mails_batched():
    """The verification mails committed within, published together at its end: one task
    message, one broker round trip, for a batch of identifications (the chat's set-up
    steps waiting together). Their data is stored by then, so a broker failure is
    logged, not raised into steps that succeeded."""
    if getattr(_batched, "requests", None) is not None:  # nested: the outer one publishes
        yield
        return
    _batched.requests = []
    try:
        yield
    finally:
        requests, _batched.requests = _batched.requests, None
        if requests:
            try:
                subject_verifications_send_task.delay(requests)
            except Exception:  # noqa: BLE001  (committed: the customers' steps stand)
                logger.exception(
                    "Verification mails of subjects %s not queued",
                    [subject_id for subject_id, _language in requests],
                )


@shared_task(bind=True, max_retries=COMPACT_MAX_RETRIES)
def database_compact_task(self, after_xid: int | None = None) -> dict:
    # It compacts every table that holds personal data (after_xid: the deleting
    # transaction's id, never data). Repeating it is harmless. SQLite retries while a
    # reader keeps the checkpoint from finishing, PostgreSQL while an older snapshot would
    # keep VACUUM from removing the rows; the last try vacuums anyway (what it cannot
    # remove, autovacuum does once that transaction ends) and says so in the log.
    last_try = self.request.retries >= COMPACT_MAX_RETRIES
    result = database_compact(after_xid=None if last_try else after_xid)
    if result.get("checkpointed") is False and not last_try:
        raise self.retry(countdown=60)
    if result.get("waiting_for_transactions"):
        raise self.retry(countdown=COMPACT_WAIT_SECONDS)
    if last_try and after_xid is not None:
        logger.warning(
            "database_compact: vacuumed after %s tries while older transactions were still "
            "open; rows they can see stay until autovacuum",
            COMPACT_MAX_RETRIES,
        )
    return result
