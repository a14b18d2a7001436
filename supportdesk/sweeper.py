"""The sweeper: work a lost worker left unfinished is queued again.

A task acknowledged late is redelivered by RabbitMQ when its worker dies, but not by every
broker (the embedded filesystem broker forgets a task once a worker took it; Redis only
after its visibility timeout), and a task can be lost between a commit and its enqueue.
So every unfinished piece of work a person waits for carries the time it was last queued
(or is next due), and the sweeper, run by beat every few minutes and by
`manage.py sweep_jobs`, queues again what stayed unfinished beyond
JOBS_STUCK_AFTER_SECONDS:

- data requests still "verified" (access exports, erasures, objections): audited per request;
- training runs still "training" beyond the task time limit (their worker died);
- webhook and messenger deliveries pending (attempts 0 included), retrying or sending
  long after they were due;
- outbox events (event_pipeline/outbox.py) a process left undispatched.

Each kind is re-queued in bounded batches with a conditional update (two sweepers at once
queue an item once); the tasks themselves are idempotent, so a redelivered task beside a
re-queued one still does the work once. Staff retry one item from the admin
(`*_retry`, beside each kind's code: event_pipeline.webhooks, bot.channels.delivery), audited.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bot.channels.delivery import channel_deliveries_stuck, channel_delivery_retry
from bot.learning import training_lease_seconds
from bot.models import BotModel
from bot.tasks import bot_model_train_task
from event_pipeline.outbox import outbox_drain
from event_pipeline.webhooks import webhook_deliveries_stuck, webhook_delivery_retry
from platform_core.heartbeats import SWEEP, job_heartbeat_record
from privacy.services import audit_record, data_request_retry, data_requests_stuck


def _cutoff(now: datetime, stuck_after: float | None) -> datetime:
    seconds = settings.JOBS_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    return now - timedelta(seconds=seconds)


# Data requests: privacy.services.data_requests_stuck and data_request_retry (audited).


# Training runs ------------------------------------------------------------------------------


def training_runs_stuck(*, now: datetime):
    lease_start = now - timedelta(seconds=training_lease_seconds())
    return BotModel.objects.filter(status=BotModel.Status.TRAINING, created_at__lt=lease_start)


def _training_sweep(*, now: datetime, batch_size: int) -> int:
    # The task marks the dead run failed and trains the language again (once, however
    # often it is queued: a fresh run of the same examples makes the others give up).
    languages = list(
        training_runs_stuck(now=now).values_list("language", flat=True).distinct()[:batch_size]
    )
    for language in languages:
        transaction.on_commit(lambda language=language: bot_model_train_task.delay(language))
    return len(languages)


# Webhook deliveries -------------------------------------------------------------------------


# The sweep -------------------------------------------------------------------------------


def jobs_sweep(
    *,
    now: datetime | None = None,
    stuck_after: float | None = None,
    batch_size: int | None = None,
) -> dict[str, int]:
    """Queue again what is stuck, at most `batch_size` of each kind; returns the counts.

    Records the sweeper's heartbeat, and one audit row when anything was queued again.
    """
    now = now or timezone.now()
    cutoff = _cutoff(now, stuck_after)
    batch_size = batch_size or settings.JOBS_SWEEP_BATCH_SIZE
    counts = dict.fromkeys(
        ("data_requests", "training_runs", "webhook_deliveries", "channel_deliveries"), 0
    )
    # Pushes and deliveries whose process died between commit and dispatch.
    counts["outbox_events"] = outbox_drain()
    for request in data_requests_stuck(cutoff=cutoff).select_related("subject")[:batch_size]:
        counts["data_requests"] += data_request_retry(
            request=request, acting_user=None, cutoff=cutoff
        )
    with transaction.atomic():
        counts["training_runs"] = _training_sweep(now=now, batch_size=batch_size)
    for delivery in webhook_deliveries_stuck(cutoff=cutoff)[:batch_size]:
        counts["webhook_deliveries"] += webhook_delivery_retry(
            delivery=delivery, acting_user=None, cutoff=cutoff
        )
    for delivery in channel_deliveries_stuck(now=now, cutoff=cutoff)[:batch_size]:
        counts["channel_deliveries"] += channel_delivery_retry(
            delivery=delivery, acting_user=None, cutoff=cutoff
        )
    with transaction.atomic():
        if any(counts.values()):
            audit_record(action="jobs.swept", acting_user=None, details=counts)
        job_heartbeat_record(name=SWEEP, now=now)
    return counts
