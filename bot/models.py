import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedTextField
from privacy.models import ConsentRecord, DataSubject
from privacy.querysets import EncryptedFieldsManager

LANGUAGE_MAX_LENGTH = 8


class Conversation(models.Model):
    """One customer's chat, from the first hello to closing.

    The resume token lets a reconnecting client continue; only its SHA-256 is
    stored, so a database reader cannot take over a customer's chat.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Website chat")
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        MESSENGER = "messenger", _("Facebook Messenger")

    class Status(models.TextChoices):
        BOT = "bot", _("With the bot")
        WAITING = "waiting", _("Waiting for an agent")
        ASSIGNED = "assigned", _("Assigned to an agent")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resume_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB
    )
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH, default="de")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.BOT, db_index=True
    )
    # The consent this conversation runs under; None: nothing personal may be stored.
    consent = models.ForeignKey(
        ConsentRecord,
        verbose_name=_("consent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalation_reason = models.CharField(_("escalation reason"), max_length=50, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The customer's satisfaction rating after resolution, 1 (bad) to 5 (good).
    csat_score = models.PositiveSmallIntegerField(_("satisfaction rating"), null=True, blank=True)
    # The seq of the last message; the next message takes last_seq + 1 under a row lock.
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("started at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "resolved_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="conversation_resolved_has_resolved_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="conversation_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="conversation_csat_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.public_id}"


class Message(models.Model):
    """One message of a conversation.

    `text` is encrypted; `text_redacted` (personal data replaced by typed
    placeholders) is the only text used for learning, analytics and search.
    """

    class Sender(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        BOT = "bot", _("Bot")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    sender = models.CharField(_("sender"), max_length=20, choices=Sender.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = EncryptedTextField(_("text"))
    text_redacted = models.TextField(_("text without personal data"), blank=True)
    # The client's own id of a customer message: a resent message is stored once.
    # NULL (not "") for messages without one, so the unique constraint ignores them.
    client_message_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # For bot answers: what the bot recognised and how sure it was.
    intent_slug = models.CharField(_("intent"), max_length=100, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    # The customer's feedback on a bot answer: None until given.
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"], name="message_seq_unique_per_conversation"
            ),
            models.UniqueConstraint(
                fields=["conversation", "client_message_id"],
                condition=Q(client_message_id__isnull=False),
                name="message_client_id_unique_per_conversation",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True)
                | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="message_confidence_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.seq} of conversation {self.conversation_id}"


class Intent(models.Model):
    """Something customers ask, with an answer per language and example questions."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    topic = models.CharField(_("topic"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("intent")
        verbose_name_plural = _("intents")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class IntentAnswer(models.Model):
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="answers")
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("answer"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["intent", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["intent", "language"], name="intent_answer_unique_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.intent.slug} ({self.language})"


class ExampleQuestion(models.Model):
    """A question that should be answered with its intent: the bot's training data.

    Holds no personal data: examples are written by the operator or are
    redacted customer questions that an agent marked as reusable.
    """

    class Source(models.TextChoices):
        KNOWLEDGE_BASE = "knowledge_base", _("Knowledge base")
        AGENT = "agent", _("Taught by an agent")

    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    text = models.CharField(_("question"), max_length=500)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.KNOWLEDGE_BASE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("example question")
        verbose_name_plural = _("example questions")
        ordering = ["intent", "language", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intent", "language", "text"], name="example_question_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text


class BotModel(models.Model):
    """A trained intent model: a versioned artefact (file + checksum), its metrics on
    held-back examples and the fingerprint of its training data.

    One model per language is active; a new one is activated only if it is not worse
    than the active one (the quality gate), and an older one can be re-activated.
    """

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        READY = "ready", _("Trained, not active")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected by the quality gate")
        FAILED = "failed", _("Training failed")
        RETIRED = "retired", _("Retired")

    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.TRAINING
    )
    # Relative to MEDIA_ROOT; the file holds no personal data (trained on redacted text).
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    training_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    examples_count = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("trained at"), default=timezone.now, editable=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bot model")
        verbose_name_plural = _("bot models")
        ordering = ["language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "version"], name="bot_model_version_unique_per_language"
            ),
            models.UniqueConstraint(
                fields=["language"],
                condition=Q(status="active"),
                name="bot_model_one_active_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language} v{self.version} ({self.get_status_display()})"
