"""Outgoing webhooks: operators subscribe URLs to events; Celery delivers them signed.

Signature: header `X-Supportdesk-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256 of "<t>.<raw body>" under the subscription's secret; a receiver
rejects a timestamp older than a few minutes (replay). Payloads carry ids and
non-personal fields unless the subscription allows personal data, which needs an
active processing agreement with the receiver.
"""

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from event_pipeline.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription
from event_pipeline.outbox import Action, outbox_event_record, task_action
from privacy.models import ProcessingAgreement
from privacy.registry import subject_references
from privacy.services import audit_record
from privacy.services.retention import queryset_purge

SIGNATURE_HEADER = "X-Supportdesk-Signature"
# event_pipeline.tasks imports this module; the outbox finds the task by its name.
WEBHOOK_DELIVER_TASK = "supportdesk.tasks.webhook_deliver_task"
# Subscriptions are read per event; this keeps the hot path (message.created) cheap.
_SUBSCRIPTIONS_RECHECK_SECONDS = 5.0
_subscriptions_cache: dict[str, object] = {"checked_at": float("-inf"), "events": set()}


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_signature_verify(
    *, secret: str, header: str, body: bytes, tolerance_seconds: int = 300, now: int | None = None
) -> bool:
    """For receivers (and tests): a valid signature, not older than the tolerance."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, header)


@transaction.atomic
def webhook_subscription_create(
    *, name: str, url: str, events: list[str], include_personal_data: bool = False, processor=None
) -> tuple[WebhookSubscription, str]:
    """A subscription and its signing secret (shown once to the operator)."""
    unknown = set(events) - set(WEBHOOK_EVENTS)
    if unknown or not events:
        raise ValidationError({"events": f"Choose from: {', '.join(WEBHOOK_EVENTS)}."})
    if include_personal_data:
        webhook_personal_data_check(processor=processor)
    secret = secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        name=name,
        url=url,
        events=sorted(set(events)),
        secret=secret,
        include_personal_data=include_personal_data,
        processor=processor,
    )
    subscription.full_clean()
    subscription.save()
    webhook_subscriptions_forget()
    return subscription, secret


def webhook_personal_data_check(*, processor) -> None:

    covered = (
        processor is not None
        and ProcessingAgreement.objects.filter(
            processor=processor,
            status__in=[ProcessingAgreement.Status.ACTIVE, ProcessingAgreement.Status.EXPIRING],
        ).exists()
    )
    if not covered:
        raise ValidationError(
            {
                "processor": "Personal data goes only to a receiver with an active processing "
                "agreement (Art. 28)."
            }
        )


def webhook_subscriptions_forget() -> None:
    """Read the subscriptions again at the next event (after this process changed them, and
    between tests: what it remembers must not outlive a rolled-back subscription)."""
    _subscriptions_cache.update(checked_at=float("-inf"), events=set())


def _events_subscribed() -> set[str]:
    now = time.monotonic()
    if now - _subscriptions_cache["checked_at"] > _SUBSCRIPTIONS_RECHECK_SECONDS:
        events: set[str] = set()
        for subscribed in WebhookSubscription.objects.filter(is_active=True).values_list(
            "events", flat=True
        ):
            events.update(subscribed)
        _subscriptions_cache.update(checked_at=now, events=events)
    return _subscriptions_cache["events"]


def webhook_event_emit(
    *,
    event: str,
    payload: dict,
    personal: dict | None = None,
    subject_public_id: uuid.UUID | None = None,
) -> None:
    """Queue the event for every subscription to it: the deliveries are written in the
    caller's transaction (a crash after its commit cannot lose them), their tasks queued
    from the outbox after commit (and by its drain, or the sweeper, should that fail).

    `personal` (e.g. a message's text) is added only for subscriptions allowed it.
    Each delivery remembers whom it concerns: `subject_public_id` when the caller knows
    the subject, and the conversation the payload names (a conversation may get its
    subject only later), so the subject's export lists it and erasure removes it.
    """
    outbox_event_record(
        kind=f"webhook.{event}"[:50],
        actions=webhook_event_actions(
            event=event, payload=payload, personal=personal, subject_public_id=subject_public_id
        ),
        reference=_uuid_or_none(payload.get("conversation")),
    )


def webhook_event_actions(
    *,
    event: str,
    payload: dict,
    personal: dict | None = None,
    subject_public_id: uuid.UUID | None = None,
) -> list[Action]:
    """webhook_event_emit's deliveries, written now, and the outbox actions queueing them:
    for a caller recording them in an event of its own (a status move)."""
    if event not in _events_subscribed():
        return []
    reference = _uuid_or_none(payload.get("conversation"))
    deliveries = [
        WebhookDelivery.objects.create(
            subscription=subscription,
            event=event,
            payload=(
                {**payload, **(personal or {})} if subscription.include_personal_data else payload
            ),
            subject_public_id=subject_public_id,
            reference=reference,
        )
        for subscription in WebhookSubscription.objects.filter(is_active=True)
        if event in subscription.events
    ]
    return [task_action(WEBHOOK_DELIVER_TASK, delivery.pk) for delivery in deliveries]


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


class WebhookRetry(Exception):
    def __init__(self, countdown: int):
        super().__init__(f"retry in {countdown} s")
        self.countdown = countdown


def webhook_deliver(*, delivery: WebhookDelivery) -> None:
    """POST the event. Raises WebhookRetry for a transient failure (the task retries).

    Idempotent: a delivered event is not sent again, and of two runs at once only one
    sends (a conditional update claims the attempt); receivers deduplicate by event_id.
    A delivery erased meanwhile (its subject's erasure, retention) is not sent (the claim
    finds no row), and its outcome is written with UPDATE, which cannot bring an erased
    row back.
    """
    if delivery.status != WebhookDelivery.Status.PENDING:
        return
    # Claim this attempt: of two runs at once (a redelivered task beside one the sweeper
    # queued) only the one whose conditional update wins sends.
    claimed_until = timezone.now() + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=delivery.next_attempt_at,
    ).update(next_attempt_at=claimed_until)
    if not claimed:
        return
    delivery.next_attempt_at = claimed_until
    subscription = delivery.subscription
    body = json.dumps(
        {
            "id": str(delivery.event_id),
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        },
        separators=(",", ":"),
    ).encode("utf-8")
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Supportdesk-Webhooks/1",
            SIGNATURE_HEADER: webhook_signature(
                secret=subscription.secret, timestamp=int(time.time()), body=body
            ),
        },
    )
    delivery.attempts += 1
    status_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            status_code = answer.status
    except urllib.error.HTTPError as failure:
        status_code, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        error = f"{type(failure).__name__}"[:300]
    delivery.last_status_code, delivery.last_error = status_code, error
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, timezone.now()
        _outcome_save(delivery)
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        return
    permanent = status_code is not None and 400 <= status_code < 500 and status_code != 429
    if permanent or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        _outcome_save(delivery)
        _failure_count(subscription)
        return
    backoff = settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1)
    countdown = int(min(backoff, settings.WEBHOOK_BACKOFF_MAX_SECONDS))
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=countdown)
    if not _outcome_save(delivery):
        return  # erased while it was being sent: nothing left to retry
    raise WebhookRetry(countdown=countdown)


def _outcome_save(delivery: WebhookDelivery) -> bool:
    return bool(
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=delivery.status,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            next_attempt_at=delivery.next_attempt_at,
        )
    )


def _failure_count(subscription: WebhookSubscription) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    subscription.refresh_from_db()
    if subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            is_active=False,
            disabled_reason=f"{subscription.consecutive_failures} deliveries failed in a row",
        )
        webhook_subscriptions_forget()


# Personal data (the registry's provider "supportdesk.webhooks") ------------------------------


def _deliveries_of_subject(subject) -> QuerySet[WebhookDelivery]:
    references = subject_references(subject)
    return WebhookDelivery.objects.filter(
        Q(subject_public_id=subject.public_id) | Q(reference__in=references)
    )


def subject_webhook_deliveries_export(subject) -> dict:
    """Who received which event about the subject, and when (Art. 15(1)(c)): the receiver,
    the fields the payload carried (not their values), the time and the outcome."""
    deliveries = _deliveries_of_subject(subject).select_related("subscription__processor")
    return {
        "webhook_deliveries": [
            {
                "receiver": delivery.subscription.name,
                "receiver_host": urlsplit(delivery.subscription.url).hostname or "",
                "processor": (
                    delivery.subscription.processor.name
                    if delivery.subscription.processor_id
                    else ""
                ),
                "event": delivery.event,
                "fields": sorted(delivery.payload or {}),
                "occurred_at": delivery.created_at.isoformat(),
                "status": delivery.status,
                "delivered_at": (
                    delivery.delivered_at.isoformat() if delivery.delivered_at else None
                ),
            }
            for delivery in deliveries.order_by("created_at", "pk")
        ]
    }


def subject_webhook_deliveries_erase(subject) -> dict[str, int]:
    """Erasure: the subject's deliveries, sent or pending. A retry already queued finds
    no row and sends nothing (webhook_deliver)."""
    pending = _deliveries_of_subject(subject).filter(status=WebhookDelivery.Status.PENDING).count()
    deleted, _by_model = _deliveries_of_subject(subject).delete()
    return {"webhook_deliveries": deleted, "pending_cancelled": pending}


def webhook_deliveries_purge(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Retention ("webhook_deliveries"): deliveries older than the period, whatever their
    outcome; a retry queued for one of them finds nothing to send."""
    return queryset_purge(
        WebhookDelivery.objects.filter(created_at__lt=cutoff),
        batch_size=batch_size,
        max_batches=max_batches,
        dry_run=dry_run,
    )


# Stuck and retried deliveries (the sweeper, the admin's retry) ------------------------------


def webhook_deliveries_stuck(*, cutoff: datetime):
    return WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(
        Q(next_attempt_at__lt=cutoff) | Q(next_attempt_at__isnull=True, created_at__lt=cutoff)
    )


@transaction.atomic
def webhook_delivery_retry(
    *,
    delivery: WebhookDelivery,
    acting_user: AbstractBaseUser | None,
    cutoff: datetime | None = None,
) -> bool:
    """Queue a pending delivery again (staff also a failed one, with fresh attempts)."""
    now = timezone.now()
    if cutoff is not None:
        queued = webhook_deliveries_stuck(cutoff=cutoff).filter(pk=delivery.pk)
        updated = queued.update(next_attempt_at=now)
    else:
        queued = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        )
        updated = queued.update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now
        )
        if updated:
            audit_record(
                action="webhook_delivery.retried", acting_user=acting_user, target=delivery
            )
    if updated:
        transaction.on_commit(lambda: current_app.tasks[WEBHOOK_DELIVER_TASK].delay(delivery.pk))
    return bool(updated)
