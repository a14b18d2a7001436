"""The outbox: what others must hear of is written in the transaction, fanned out after it.

A service records an event (`outbox_event_record`) inside its transaction: a row holding
the event's actions, each one of

- ("group", group name, channel-layer message): a push to the customer's socket or the
  agents' groups (group names and frames: event_pipeline.events);
- ("task", Celery task name, [ids]): a messenger or webhook delivery, queued;
- ("call", handler name, {ids}): a listener another app registered
  (`outbox_handler_register`), e.g. agents routing an escalation.

After commit one dispatcher carries the actions out, in order, and deletes the row. The
live dispatch reads the actions from memory (the row is only the insurance), so the
hot path costs one INSERT in the transaction and one DELETE after it. A process that
dies between commit and dispatch leaves the row: `outbox_drain`, run when a worker
starts and by the sweeper, claims rows older than OUTBOX_DRAIN_AFTER_SECONDS (so it
never races a live dispatch) and dispatches them. Each row is dispatched by one
dispatcher (the live one, or the drain that claimed it) and deleted afterwards; only a
crash in the middle of the actions themselves can repeat some of them, and every task
and listener is idempotent. A failed action (broker down) keeps its row for a later
drain, after a back-off that doubles with each failure; after OUTBOX_MAX_ATTEMPTS the row
is marked failed (kept, reported by /health/, dispatched again from the admin), never
dropped. A failed push is logged, not repeated: the page shows the change on reload.

Rows hold ids and frames; the actions are encrypted (a frame may carry a message text).
"""

import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from event_pipeline.models import OutboxEvent
from platform_core.health import HealthResult
from privacy.registry import subject_references
from privacy.services import audit_record

logger = logging.getLogger(__name__)

GROUP, TASK, CALL = "group", "task", "call"
# A drain's claim on a row it dispatches; after it, a dead drain's rows are taken over.
CLAIM_SECONDS = 120

Action = list  # [GROUP | TASK | CALL, name, argument]

_handlers: dict[str, Callable[..., None]] = {}


def outbox_handler_register(name: str, handler: Callable[..., None]) -> None:
    """A listener of another app (registered in its AppConfig.ready()), called with the
    keyword arguments of a "call" action."""
    _handlers[name] = handler


def group_action(group: str, message: dict) -> Action:
    return [GROUP, group, message]


def task_action(task_name: str, *ids: int) -> Action:
    return [TASK, task_name, list(ids)]


def call_action(handler: str, **ids: int) -> Action:
    return [CALL, handler, ids]


def outbox_event_record(
    *, kind: str, actions: list[Action], reference: uuid.UUID | None = None
) -> OutboxEvent | None:
    """Record the event in the current transaction; it is dispatched after commit.
    `reference`: the public id of the conversation it is about (erasure finds it)."""
    if not actions:
        return None
    event = OutboxEvent.objects.create(kind=kind, actions=actions, reference=reference)
    # A savepoint rolled back takes the row and this callback with it.
    transaction.on_commit(lambda: outbox_events_dispatch([(event.pk, actions)]))
    return event


def outbox_events_dispatch(events: list[tuple[int, list[Action]]]) -> int:
    """Carry out the events' actions, then delete the rows of those that went through."""
    done = []
    for event_id, actions in events:
        try:
            for action in actions:
                _action_run(action)
        except Exception as error:  # left for a later drain; the others go on
            logger.exception("Outbox event %s could not be dispatched", event_id)
            _outbox_event_failure_record(event_id=event_id, error=error)
            continue
        done.append(event_id)
    if done:
        OutboxEvent.objects.filter(pk__in=done).delete()
    return len(done)


def outbox_retry_delay(*, attempts: int) -> timedelta:
    """The back-off after the `attempts`-th failure: doubling, at most an hour."""
    seconds = settings.OUTBOX_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


def _outbox_event_failure_record(*, event_id: int, error: Exception) -> None:
    """Count the failure; back off, or give up after OUTBOX_MAX_ATTEMPTS (kept, reported)."""
    event = OutboxEvent.objects.filter(pk=event_id).only("attempts").first()
    if event is None:  # erased meanwhile
        return
    attempts = event.attempts + 1
    now = timezone.now()
    given_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    OutboxEvent.objects.filter(pk=event_id).update(
        attempts=attempts,
        last_error=type(error).__name__[:200],
        claimed_until=now + outbox_retry_delay(attempts=attempts),
        failed_at=now if given_up else None,
    )
    if given_up:
        logger.error(
            "Outbox event %s failed %s times and is no longer retried: dispatch it again "
            "from the admin once the cause is fixed",
            event_id,
            attempts,
        )


@transaction.atomic
def outbox_event_retry(*, event: OutboxEvent, acting_user) -> bool:
    """An admin's "dispatch again": a failed event goes to the next drain (the sweeper's)
    with fresh attempts; audited. False if it had not failed."""
    updated = OutboxEvent.objects.filter(pk=event.pk, failed_at__isnull=False).update(
        failed_at=None, attempts=0, claimed_until=None, last_error=""
    )
    if updated:
        audit_record(action="outbox_event.retried", acting_user=acting_user, target=event)
    return bool(updated)


def outbox_health() -> HealthResult:
    """Failed events (attempts ran out) are a problem a person must look at."""
    failed = OutboxEvent.objects.filter(failed_at__isnull=False).count()
    retrying = OutboxEvent.objects.filter(failed_at__isnull=True, attempts__gt=0).count()
    if failed:
        summary = _(
            "%(count)s event(s) could not be dispatched and are no longer retried: "
            "see the outbox events in the admin."
        ) % {"count": failed}
    else:
        summary = _("Every event is dispatched or being retried.")
    return HealthResult(
        name="outbox",
        ok=not failed,
        summary=summary,
        details={"failed": failed, "retrying": retrying},
    )


def outbox_actions_run(actions: list[Action]) -> None:
    """Carry out actions at once: for a listener that itself runs from the outbox."""
    for action in actions:
        _action_run(action)


def _action_run(action: Action) -> None:
    kind, name, argument = action
    if kind == GROUP:
        group_send(name, argument)
    elif kind == TASK:
        current_app.tasks[name].delay(*argument)
    elif kind == CALL:
        _handlers[name](**argument)
    else:
        raise ValueError(f"unknown outbox action {kind!r}")


def group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a push that fails must not undo or hide a committed change
        logger.exception("Could not push %s to group %s", message.get("type"), group)


def outbox_drain(*, older_than_seconds: float | None = None, batch_size: int = 200) -> int:
    """Dispatch what a dead process left in the outbox; returns how many events went out.

    Only rows older than OUTBOX_DRAIN_AFTER_SECONDS (their own process had its chance),
    claimed with a conditional update, so two drains at once dispatch each row once.
    """
    grace = (
        settings.OUTBOX_DRAIN_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    )
    now = timezone.now()
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    left = OutboxEvent.objects.filter(
        claimable, failed_at__isnull=True, created_at__lte=now - timedelta(seconds=grace)
    )
    # Unique to this drain: the rows it claimed are those carrying it.
    claim = now + timedelta(seconds=CLAIM_SECONDS, microseconds=secrets.randbelow(10**6))
    dispatched = 0
    while True:
        ids = list(left.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return dispatched
        OutboxEvent.objects.filter(claimable, pk__in=ids).update(claimed_until=claim)
        claimed = OutboxEvent.objects.filter(pk__in=ids, claimed_until=claim).order_by("pk")
        dispatched += outbox_events_dispatch([(event.pk, event.actions) for event in claimed])
        if len(ids) < batch_size:
            return dispatched


def outbox_drain_at_start() -> None:
    """What daphne and every Celery worker do when they start: dispatch what a process
    that died left in the outbox. Never stops the start (the sweeper drains too)."""
    if not settings.OUTBOX_DRAIN_AT_START:
        return
    try:
        dispatched = outbox_drain()
    except Exception:
        logger.exception("The outbox could not be drained at start; the sweeper will")
        return
    if dispatched:
        logger.warning("Outbox: %s event(s) a stopped process left were dispatched", dispatched)


# Personal data (the registry's provider "supportdesk.outbox") --------------------------------


def subject_outbox_events_export(subject) -> dict:
    """Nothing to report: an event lives until it is dispatched, seconds after its commit."""
    return {}


def outbox_events_forget(*, references) -> int:
    """Events about records being deleted (conversations retention takes): there is no one
    left to push them to, and a given-up one would otherwise be kept, with its frames."""
    deleted, _by_model = OutboxEvent.objects.filter(reference__in=references).delete()
    return deleted


def subject_outbox_events_erase(subject) -> dict[str, int]:
    """Erasure: undispatched events about the subject's conversations (a crash left them)."""

    deleted, _by_model = OutboxEvent.objects.filter(
        reference__in=subject_references(subject)
    ).delete()
    return {"outbox_events": deleted}
