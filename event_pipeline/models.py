"""The event pipeline's rows: outbox events, webhook subscriptions and their deliveries.

The tables keep the names they had in the `supportdesk` app (db_table), so the move
(migrations/0001_initial) changed no data.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedCharField, EncryptedJSONField
from privacy.querysets import EncryptedFieldsManager

WEBHOOK_EVENTS = (
    "conversation.created",
    "conversation.escalated",
    "conversation.assigned",
    "conversation.resolved",
    "message.created",
    "dsar.completed",
    "erasure.completed",
)


class WebhookSubscription(models.Model):
    """An operator's URL that receives events, signed with its own secret.

    Payloads carry ids and non-personal fields only, unless personal data is
    allowed here, which needs an active processing agreement with the receiver.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = EncryptedCharField(_("signing secret"), max_length=100, editable=False)
    include_personal_data = models.BooleanField(_("include personal data"), default=False)
    processor = models.ForeignKey(
        "privacy.Processor",
        verbose_name=_("receiver (processor)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Required for personal data: the receiver's processing agreement."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()
    # The encrypted field is the signing secret, not personal data (privacy.registry).
    encrypts_secrets_only = True

    class Meta:
        db_table = "supportdesk_webhooksubscription"
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one subscription: the delivery log.

    The payload may hold a message's text (a subscription allowed personal data), so it
    is encrypted. Two opaque references say whom a delivery concerns, for the subject's
    access export and erasure (event_pipeline.webhooks, the "supportdesk.webhooks" provider):
    the data subject's public id, when known at the event, and the public id of the
    conversation (or other record) the event is about. Neither is personal data by itself.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=50)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    payload = EncryptedJSONField(_("payload"))
    subject_public_id = models.UUIDField(_("data subject"), null=True, blank=True, db_index=True)
    reference = models.UUIDField(_("about"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due: now for a new one, after the backoff for a retry. A
    # pending delivery due long ago lost its task (a dead worker): the sweeper re-enqueues it.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    objects = EncryptedFieldsManager()

    class Meta:
        db_table = "supportdesk_webhookdelivery"
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription} ({self.status})"


class OutboxEvent(models.Model):
    """A change others must hear of, written in the transaction that made it.

    After commit one dispatcher (event_pipeline.outbox) carries out its actions (pushes to
    the customer's and the agents' sockets, Celery tasks for messenger and webhook
    deliveries, listeners of other apps) and deletes the row; rows a crash left behind
    are dispatched on start-up and by the sweeper. The actions may hold a frame with a
    message's text: encrypted, and gone once dispatched.
    """

    kind = models.CharField(_("kind"), max_length=50)
    actions = EncryptedJSONField(_("actions"))
    # The conversation the event is about (public id), so erasure finds undispatched rows.
    reference = models.UUIDField(_("about"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # A drain claims a row until then; a dispatcher that died leaves it to the next drain.
    # After a failed dispatch it is the back-off: no drain tries the row before then.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Failed dispatches so far; at OUTBOX_MAX_ATTEMPTS the row waits for a person.
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    # The last failure's exception class only (its message may hold personal data).
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    # Set when the attempts ran out: drains skip it; /health/ reports it; the admin
    # dispatches it again. Never deleted unsent.
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    objects = EncryptedFieldsManager()

    class Meta:
        db_table = "supportdesk_outboxevent"
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
