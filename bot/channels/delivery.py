"""Outgoing messenger messages: queued in the transaction that wrote them, sent by Celery.

- Bot answers, agent replies and system messages of a messenger conversation get a
  ChannelDelivery from message_append (bot/services.py); the text dialog's notices
  (consent question, "I can only read text") get one from notice_enqueue.
- delivery_send_task (ids only) calls delivery_attempt, which claims the delivery
  with a conditional update, so a delivery is sent at most once even when the task
  runs twice; a claim older than CLAIM_STALE_SECONDS (a dead worker) may be taken over.
- 429 and 5xx (and Meta's throttling codes) are retried with exponential backoff, or
  after the platform's Retry-After; other refusals fail at once with a reason the agent
  sees on the conversation page. WhatsApp's 24-hour customer service window (and
  Messenger's) is checked before sending: outside it nothing is sent.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from bot.channels.adapters import adapter_get
from bot.channels.base import SendError
from bot.channels.selectors import (
    channel_config_active,
    delivery_earlier_unfinished,
    platform_message_index,
)
from bot.channels.texts import suggestions_render
from bot.models import (
    ChannelConversation,
    ChannelDelivery,
    ChannelIdentity,
    Message,
)
from event_pipeline import events
from event_pipeline.outbox import outbox_event_record, task_action
from platform_core.answer_markup import answer_plain
from privacy.crypto import EncryptionKeyError
from privacy.services import audit_record

logger = logging.getLogger(__name__)

# bot.channels.tasks imports this module; the outbox finds the task by its name.
DELIVERY_SEND_TASK = "bot.channels.tasks.delivery_send_task"

# A "sending" claim older than this belongs to a worker that died mid-send (the task's
# hard time limit is 360 s): the delivery may be taken over. The part being sent then
# may reach the customer twice; losing it would be worse.
CLAIM_STALE_SECONDS = 400
# How often one delivery waits for an earlier one or for the rate limit before it goes
# anyway (each wait is about a second).
WAIT_MAX = 30
WAIT_SECONDS = 1.0
# A platform's Retry-After is honoured up to this; beyond it the answer is implausible.
RETRY_AFTER_CEILING_SECONDS = 24 * 60 * 60
UNFINISHED = (
    ChannelDelivery.Status.PENDING,
    ChannelDelivery.Status.RETRYING,
    ChannelDelivery.Status.SENDING,
)
REASONS = {
    "window_closed": ChannelDelivery.Reason.WINDOW_CLOSED,
    "unreachable": ChannelDelivery.Reason.UNREACHABLE,
    "credentials": ChannelDelivery.Reason.CREDENTIALS,
    "rejected": ChannelDelivery.Reason.REJECTED,
}
# The order statuses move in; a late "delivered" never overwrites "read".
STATUS_RANK = {
    ChannelDelivery.Status.SENT: 1,
    ChannelDelivery.Status.DELIVERED: 2,
    ChannelDelivery.Status.READ: 3,
}


@dataclass(frozen=True)
class Attempt:
    """What delivery_attempt did: finished (sent, failed or nothing to do), or try again
    in `retry_in` seconds. `waited` marks a wait that was no attempt (order, rate)."""

    retry_in: float | None = None
    waited: bool = False


# Enqueueing ----------------------------------------------------------------------------------


def message_delivery_enqueue(*, message: Message) -> ChannelDelivery | None:
    """Queue a conversation message for its messenger customer (after commit).

    Called by message_append inside its transaction; nothing for a conversation that
    is not linked to a messenger identity.
    """
    link = (
        ChannelConversation.objects.filter(conversation_id=message.conversation_id)
        .only("identity_id")
        .first()
    )
    if link is None:
        return None
    delivery = ChannelDelivery.objects.create(identity_id=link.identity_id, message=message)
    _task_enqueue(delivery)
    return delivery


def notice_enqueue(
    *, identity: ChannelIdentity, text: str, forget_identity: bool = False
) -> ChannelDelivery:
    """Queue one of the text dialog's notices (our own words, see texts.py)."""
    delivery = ChannelDelivery.objects.create(
        identity=identity, text=text, forget_identity=forget_identity
    )
    _task_enqueue(delivery)
    return delivery


def delivery_suggestions_set(*, message: Message, suggestions: list[str], language: str) -> None:
    """A bot reply with choices goes out with its numbered suggestions (our texts only)."""
    ChannelDelivery.objects.filter(message=message).update(
        text=suggestions_render(
            text=answer_plain(message.text), suggestions=suggestions, language=language
        )
    )


def _task_enqueue(delivery: ChannelDelivery) -> None:
    # Queued from the outbox after commit (and by its drain, should this process die first).
    outbox_event_record(
        kind="delivery.queued", actions=[task_action(DELIVERY_SEND_TASK, delivery.pk)]
    )


# Sending -----------------------------------------------------------------------------------


def backoff_seconds(*, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: the platform's Retry-After when it gave one,
    else base * 2^(attempts - 1), at most CHANNELS_DELIVERY_BACKOFF_MAX_SECONDS."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), RETRY_AFTER_CEILING_SECONDS)
    base = settings.CHANNELS_DELIVERY_BACKOFF_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.CHANNELS_DELIVERY_BACKOFF_MAX_SECONDS)


def rate_allows(*, channel: str) -> bool:
    """CHANNELS_RATE_PER_SECOND per platform, counted in the cache (shared by workers)."""
    limit = settings.CHANNELS_RATE_PER_SECOND.get(channel)
    if not limit:
        return True
    key = f"channels-rate:{channel}:{int(time.time())}"
    cache.add(key, 0, timeout=5)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr: a fresh second
        return True


def text_parts(text: str, *, limit: int) -> list[str]:
    """Split a long text at whitespace into parts of at most `limit` characters."""
    parts = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit + 1), rest.rfind(" ", 0, limit + 1))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [part for part in parts if part]


def delivery_attempt(*, delivery_id: int, waits: int = 0) -> Attempt:
    """Send one delivery if it is due; see the module docstring. Safe to call twice.

    A recipient, text or credential that no configured key decrypts leaves the delivery
    "retrying" (error code "encryption_key", due after the longest backoff) instead of
    failing the task with the delivery still waiting: the sweeper that re-enqueues due
    deliveries, or a later call, sends it once the key is back.
    """
    try:
        return _delivery_attempt(delivery_id=delivery_id, waits=waits)
    except EncryptionKeyError:
        _key_missing(delivery_id)
        return Attempt()


KEY_MISSING_CODE = "encryption_key"


def _key_missing(delivery_id: int) -> None:
    now = timezone.now()
    ChannelDelivery.objects.filter(pk=delivery_id, status__in=UNFINISHED).update(
        status=ChannelDelivery.Status.RETRYING,
        error_code=KEY_MISSING_CODE,
        next_attempt_at=now + timedelta(seconds=settings.CHANNELS_DELIVERY_BACKOFF_MAX_SECONDS),
        claimed_at=None,
        updated_at=now,
    )
    logger.error(
        "Channel delivery %s: a value cannot be decrypted with FIELD_ENCRYPTION_KEY (a key "
        "is missing); left to be sent again once it is back",
        delivery_id,
    )


def _delivery_attempt(*, delivery_id: int, waits: int) -> Attempt:
    now = timezone.now()
    delivery = (
        ChannelDelivery.objects.select_related("identity", "message").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status not in UNFINISHED:
        return Attempt()
    if delivery.status == ChannelDelivery.Status.SENDING:
        age = (now - (delivery.claimed_at or now)).total_seconds()
        if age < CLAIM_STALE_SECONDS:
            # Another worker is sending it; look again once its claim would be stale.
            return Attempt(retry_in=CLAIM_STALE_SECONDS - age, waited=True)
    identity = delivery.identity
    config = channel_config_active(channel=identity.channel)
    if config is None:
        _fail(delivery, ChannelDelivery.Reason.CHANNEL_INACTIVE)
        return Attempt()
    adapter = adapter_get(identity.channel)
    if waits < WAIT_MAX and delivery_earlier_unfinished(delivery=delivery):
        return Attempt(retry_in=WAIT_SECONDS, waited=True)
    human_agent = False
    window = adapter.reply_window(config=config, human_agent=False)
    if window is not None and not _within(identity, window, now):
        is_agent = delivery.message_id and delivery.message.sender == Message.Sender.AGENT
        longer = adapter.reply_window(config=config, human_agent=True) if is_agent else None
        if longer is not None and longer > window and _within(identity, longer, now):
            human_agent = True
        else:
            _fail(delivery, ChannelDelivery.Reason.WINDOW_CLOSED)
            return Attempt()
    if waits < WAIT_MAX and not rate_allows(channel=identity.channel):
        return Attempt(retry_in=WAIT_SECONDS, waited=True)
    stale = now - timedelta(seconds=CLAIM_STALE_SECONDS)
    claimed = (
        ChannelDelivery.objects.filter(pk=delivery.pk)
        .filter(
            Q(status__in=[ChannelDelivery.Status.PENDING, ChannelDelivery.Status.RETRYING])
            | Q(status=ChannelDelivery.Status.SENDING, claimed_at__lt=stale)
        )
        .update(
            status=ChannelDelivery.Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return Attempt()  # another worker took it meanwhile
    delivery.refresh_from_db(fields=["attempts", "parts_sent", "text"])
    return _send(delivery, adapter, config, human_agent)


def _within(identity: ChannelIdentity, window, now) -> bool:
    return identity.last_inbound_at is not None and now - identity.last_inbound_at <= window


def _message_text(message: Message) -> str:
    """A message as a messenger shows it: a bot answer's links, bold and lists as plain
    text with the addresses beside the words (platform_core.answer_markup)."""
    if message.sender == Message.Sender.BOT:
        return answer_plain(message.text)
    return message.text


def _send(delivery: ChannelDelivery, adapter, config, human_agent: bool) -> Attempt:
    text = delivery.text or (_message_text(delivery.message) if delivery.message_id else "")
    parts = text_parts(text, limit=adapter.text_limit)
    recipient = delivery.identity.external_id
    for number in range(delivery.parts_sent, len(parts)):
        try:
            result = adapter.send_text(
                config=config, recipient=recipient, text=parts[number], human_agent=human_agent
            )
        except SendError as error:
            return _send_failed(delivery, error)
        ChannelDelivery.objects.filter(pk=delivery.pk).update(
            parts_sent=number + 1,
            platform_message_index=(
                platform_message_index(
                    channel=adapter.channel, platform_message_id=result.platform_message_id
                )
                if result.platform_message_id
                else ""
            ),
            updated_at=timezone.now(),
        )
    now = timezone.now()
    ChannelDelivery.objects.filter(pk=delivery.pk).update(
        status=ChannelDelivery.Status.SENT,
        sent_at=now,
        next_attempt_at=None,
        failure_reason="",
        error_code="",
        updated_at=now,
    )
    logger.info("Channel delivery %s sent (%s)", delivery.pk, adapter.channel)
    if delivery.forget_identity:
        _identity_forget(delivery.identity_id)
    return Attempt()


def _send_failed(delivery: ChannelDelivery, error: SendError) -> Attempt:
    if error.retryable and delivery.attempts < settings.CHANNELS_DELIVERY_MAX_ATTEMPTS:
        retry_in = backoff_seconds(attempts=delivery.attempts, retry_after=error.retry_after)
        now = timezone.now()
        ChannelDelivery.objects.filter(pk=delivery.pk).update(
            status=ChannelDelivery.Status.RETRYING,
            error_code=error.code[:40],
            next_attempt_at=now + timedelta(seconds=retry_in),
            claimed_at=None,
            updated_at=now,
        )
        logger.warning(
            "Channel delivery %s: %s (%s), attempt %s, next in %.0f s",
            delivery.pk,
            error.kind,
            error.code,
            delivery.attempts,
            retry_in,
        )
        return Attempt(retry_in=retry_in)
    reason = REASONS.get(error.kind, ChannelDelivery.Reason.GAVE_UP)
    _fail(delivery, reason, code=error.code)
    return Attempt()


@transaction.atomic
def _fail(delivery: ChannelDelivery, reason: str, *, code: str = "") -> None:
    now = timezone.now()
    ChannelDelivery.objects.filter(pk=delivery.pk).update(
        status=ChannelDelivery.Status.FAILED,
        failure_reason=reason,
        error_code=code[:40],
        claimed_at=None,
        next_attempt_at=None,
        updated_at=now,
    )
    logger.warning("Channel delivery %s not delivered: %s %s", delivery.pk, reason, code)
    if delivery.forget_identity:
        _identity_forget(delivery.identity_id)
    elif delivery.message_id:
        _agents_tell(delivery.message, status=ChannelDelivery.Status.FAILED, reason=reason)


def _identity_forget(identity_id: int) -> None:
    """Declined consent: forget the identity, unless a conversation still needs it."""
    ChannelIdentity.objects.filter(pk=identity_id, conversation_links__isnull=True).delete()


def _agents_tell(message: Message, *, status: str, reason: str = "") -> None:
    """After commit (outbox): the agents watching the conversation see what became of a
    message."""
    conversation = message.conversation
    with translation.override(conversation.language):
        detail = str(ChannelDelivery.Reason(reason).label) if reason else ""
    payload = {
        "type": "delivery",
        "seq": message.seq,
        "status": status,
        "reason": reason,
        "detail": detail,
    }
    events.conversation_event_publish(public_hex=conversation.public_id.hex, payload=payload)


# Status news from the platforms ------------------------------------------------------------


@transaction.atomic
def delivery_status_update(
    *, channel: str, platform_message_id: str, status: str, error_code: str = ""
) -> bool:
    """Apply a platform's delivered / read / failed news; False when the id is not ours."""
    index = platform_message_index(channel=channel, platform_message_id=platform_message_id)
    delivery = (
        ChannelDelivery.objects.select_for_update(of=("self",))
        .select_related("message__conversation")
        .filter(platform_message_index=index, identity__channel=channel)
        .first()
    )
    if delivery is None:
        return False
    if status == "failed":
        if delivery.status != ChannelDelivery.Status.FAILED:
            window_codes = getattr(adapter_get(channel), "window_codes", set())
            kind = "window_closed" if error_code in window_codes else "rejected"
            _fail(delivery, REASONS[kind], code=error_code)
        return True
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(delivery.status, 0):
        ChannelDelivery.objects.filter(pk=delivery.pk).update(
            status=status, updated_at=timezone.now()
        )
        if delivery.message_id:
            _agents_tell(delivery.message, status=status)
    return True


# Stuck and retried deliveries (the sweeper, the admin's retry) ------------------------------


def channel_deliveries_stuck(*, now: datetime, cutoff: datetime):
    # A "sending" claim is left alone until it is stale (its worker may still be sending).
    claim_stale = now - timedelta(seconds=CLAIM_STALE_SECONDS)
    return ChannelDelivery.objects.filter(
        Q(status__in=[ChannelDelivery.Status.PENDING, ChannelDelivery.Status.RETRYING])
        | Q(status=ChannelDelivery.Status.SENDING, claimed_at__lt=claim_stale),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=cutoff),
        updated_at__lt=cutoff,
    )


@transaction.atomic
def channel_delivery_retry(
    *,
    delivery: ChannelDelivery,
    acting_user: AbstractBaseUser | None,
    cutoff: datetime | None = None,
) -> bool:
    """Queue an unfinished messenger delivery again (staff also a failed one).

    Sending claims the delivery with a conditional update, so a re-queued delivery is
    still sent at most once.
    """
    now = timezone.now()
    if cutoff is not None:
        updated = (
            channel_deliveries_stuck(now=now, cutoff=cutoff)
            .filter(pk=delivery.pk)
            .update(updated_at=now)
        )
    else:
        unfinished = ChannelDelivery.objects.filter(pk=delivery.pk, status__in=UNFINISHED)
        failed = ChannelDelivery.objects.filter(
            pk=delivery.pk, status=ChannelDelivery.Status.FAILED
        )
        # An unfinished one keeps its claim and attempts; a failed one starts afresh (from
        # the part it had reached).
        updated = unfinished.update(updated_at=now) or failed.update(
            status=ChannelDelivery.Status.PENDING,
            failure_reason="",
            error_code="",
            attempts=0,
            claimed_at=None,
            next_attempt_at=None,
            updated_at=now,
        )
        if updated:
            audit_record(
                action="channel_delivery.retried", acting_user=acting_user, target=delivery
            )
    if updated:
        transaction.on_commit(lambda: current_app.tasks[DELIVERY_SEND_TASK].delay(delivery.pk))
    return bool(updated)
