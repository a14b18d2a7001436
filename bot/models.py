import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedCharField, EncryptedTextField
from privacy.models import ConsentRecord, DataSubject
from privacy.querysets import EncryptedFieldsManager
from privacy.validators import slug_validator, title_validator

LANGUAGE_MAX_LENGTH = 8


def action_url_validator(value: str) -> None:
    """A link the bot sends customers: https, or a path on this site; nothing else."""
    if not (value.startswith("https://") or (value.startswith("/") and not value.startswith("//"))):
        raise ValidationError(_("Give an https:// address or a path starting with /."))
    if any(character.isspace() for character in value):
        raise ValidationError(_("A link address cannot contain spaces."))


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
        FORM = "form", _("Contact form")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        BOT = "bot", _("With the bot")
        WAITING = "waiting", _("Waiting for an agent")
        ASSIGNED = "assigned", _("Assigned to an agent")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
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
        return _("Conversation %(id)s") % {"id": self.public_id}


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

    class AnswerSource(models.TextChoices):
        """What worked out a bot reply: no personal data, counted by the analytics."""

        MODEL = "model", _("Trained model")
        KEYWORD = "keyword", _("Keyword matcher (no model active)")
        FALLBACK = "fallback", _("Keyword fallback (active model unusable)")

    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
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
    # For bot replies to a question: the trained model or the keyword matcher ("" otherwise).
    answer_source = models.CharField(
        _("answered by"), max_length=20, choices=AnswerSource.choices, blank=True, default=""
    )
    # The customer's feedback on a bot answer: None until given.
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    # When an agent said personal data was left in `text_redacted` (it was redacted again
    # then); counted on the model card as the redaction's misses in the operator's data.
    redaction_flagged_at = models.DateTimeField(
        _("personal data reported in redacted text"), null=True, blank=True
    )
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
        return _("Message %(seq)s of conversation %(conversation)s") % {
            "seq": self.seq,
            "conversation": self.conversation_id,
        }


class Intent(models.Model):
    """Something customers ask, with an answer per language and example questions.

    Slug and titles are shown to every customer (suggestions): their validators refuse
    personal data (privacy.validators, the one redaction gate).
    """

    class Action(models.TextChoices):
        # What the bot does when it answers with this intent (bot.intent_actions).
        NONE = "", _("Answer only")
        HANDOVER = "handover", _("Hand over to a person")
        PRIVACY_ACCESS = "privacy_access", _("Start a data access request")
        PRIVACY_ERASURE = "privacy_erasure", _("Start an erasure request")
        PRIVACY_OBJECTION = "privacy_objection", _("Record an objection to learning")
        LINK = "link", _("Link to a page")
        FOLLOW_UP = "follow_up", _("Offer a call back or an answer by e-mail")

    slug = models.SlugField(_("slug"), max_length=100, unique=True, validators=[slug_validator])
    topic = models.CharField(_("topic"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    action = models.CharField(
        _("action"), max_length=30, choices=Action.choices, blank=True, default=Action.NONE
    )
    # Hand-over and follow-up: the queue (agents.Queue slug) to route to; blank routes by
    # language and topic.
    action_queue = models.SlugField(
        _("hand-over queue"),
        max_length=100,
        blank=True,
        help_text=_("A queue's slug; blank: routed by language and topic."),
    )
    # Link: an https address or a path on this site (an unsubscribe or account page).
    action_url = models.CharField(
        _("link address"),
        max_length=500,
        blank=True,
        validators=[action_url_validator],
        help_text=_("For the link action: an https:// address or a path starting with /."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("intent")
        verbose_name_plural = _("intents")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action="link", action_url__gt="") | ~Q(action="link"),
                name="intent_link_action_has_url",
                violation_error_message=_("A link action needs a link address."),
            )
        ]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        intent_action_check(action=self.action, queue=self.action_queue, url=self.action_url)


def intent_action_check(*, action: str, queue: str, url: str) -> None:
    """An intent's action with what it needs and nothing it does not (admin, API, import)."""
    errors = {}
    if action not in Intent.Action.values:
        errors["action"] = _("Unknown action. Choose one of: %(actions)s.") % {
            "actions": ", ".join(value for value in Intent.Action.values if value)
        }
    if queue and action not in (Intent.Action.HANDOVER, Intent.Action.FOLLOW_UP):
        errors["action_queue"] = _("A queue is only for the hand-over and follow-up actions.")
    if url and action != Intent.Action.LINK:
        errors["action_url"] = _("A link address is only for the link action.")
    elif action == Intent.Action.LINK and not url:
        errors["action_url"] = _("A link action needs a link address.")
    elif url:
        try:
            action_url_validator(url)
        except ValidationError as error:
            errors["action_url"] = error.messages
    if errors:
        raise ValidationError(errors)


class FollowUp(models.Model):
    """A customer's wish to be called back or answered by e-mail (the follow-up action,
    bot.follow_ups): one way to reach them, chosen by them, given with consent; a task in
    the inbox until an agent marks it done, which forgets the number or address."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Call me back")
        EMAIL = "email", _("Answer me by e-mail")

    class PreferredTime(models.TextChoices):
        ANY = "any", _("Any time during opening hours")
        MORNING = "morning", _("In the morning (8-12)")
        AFTERNOON = "afternoon", _("In the afternoon (12-17)")
        EVENING = "evening", _("In the early evening (17-19)")

    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    # The phone number or the e-mail address, only the one the method needs; NULL once
    # the follow-up is done (an empty string would be stored encrypted, not as empty).
    contact = EncryptedCharField(  # noqa: DJ001
        _("phone number or e-mail address"), max_length=254, null=True, blank=True
    )
    preferred_time = models.CharField(
        _("preferred time"), max_length=10, choices=PreferredTime.choices, default=PreferredTime.ANY
    )
    # The proof of the customer's consent to being contacted this way.
    consent = models.ForeignKey(
        ConsentRecord,
        verbose_name=_("consent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(contact__isnull=True),
                name="follow_up_done_forgets_contact",
            )
        ]

    def __str__(self) -> str:
        return _("Follow-up %(id)s") % {"id": self.pk}


class IntentAnswer(models.Model):
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="answers")
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    title = models.CharField(_("title"), max_length=200, validators=[title_validator])
    text = models.TextField(_("answer"))
    # The answerer cache of every process compares the newest of these (bot.chat.
    # answerer_get): an edited text is answered at once, whoever saved it.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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
    # Whose question it was and the consent it was asked under, when an agent taught it
    # from a conversation. Training leaves it out once that person objects (Art. 21) or
    # the consent no longer covers bot improvement (bot.learning.training_examples), so
    # a later objection reaches the next model without anyone deleting rows by hand;
    # erasing the person deletes it.
    subject = models.ForeignKey(
        DataSubject,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent = models.ForeignKey(
        ConsentRecord,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

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
    examples_count = models.PositiveIntegerField(_("training examples"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
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


# Messenger channels (bot/channels/) -------------------------------------------------------
#
# Telegram, WhatsApp Cloud API and Facebook Messenger drive the same chat verbs as the
# website chat. What the platforms tell us about a customer (platform user id, phone
# number, profile name) is personal data: encrypted, found only through a keyed blind
# index, exported and erased by the "bot.channels" provider (bot/apps.py).


class ChannelConfig(models.Model):
    """One messenger channel's connection: its credentials and whether it is switched on.

    Activated only through bot.channels.services.channel_config_activate, which refuses
    a channel without an active processing agreement (Art. 28) with its processor.
    Credentials are encrypted and never shown in lists, logs or errors.
    """

    # Encrypts the operator's credentials, no one's personal data (privacy.registry).
    encrypts_secrets_only = True

    class Channel(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        MESSENGER = "messenger", _("Facebook Messenger")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=False, editable=False)
    # Telegram: the bot token; WhatsApp: the system user's access token;
    # Messenger: the page access token.
    access_token = EncryptedCharField(_("access token"), max_length=500, blank=True)
    # WhatsApp and Messenger: the Meta app secret that signs every webhook
    # (X-Hub-Signature-256).
    app_secret = EncryptedCharField(_("app secret"), max_length=200, blank=True)
    # WhatsApp and Messenger: the verify token of the webhook handshake (hub.verify_token).
    verify_token = EncryptedCharField(_("verify token"), max_length=200, blank=True)
    # Telegram: the secret_token given to setWebhook, sent back in
    # X-Telegram-Bot-Api-Secret-Token; generated on activation when empty.
    webhook_secret = EncryptedCharField(_("webhook secret"), max_length=256, blank=True)
    # WhatsApp: the business phone number id; Messenger: the page id. Not personal data.
    account_id = models.CharField(_("phone number id or page id"), max_length=64, blank=True)
    # Messenger: agents may answer up to 7 days after the customer's last message with the
    # HUMAN_AGENT tag (needs Meta's "Human Agent" permission); else 24 hours.
    human_agent_tag = models.BooleanField(_("use the HUMAN_AGENT tag"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("messenger channel")
        verbose_name_plural = _("messenger channels")
        ordering = ["channel"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(activated_at__isnull=False),
                name="channel_config_active_has_activated_at",
            )
        ]

    def __str__(self) -> str:
        # Never a credential: __str__ ends up in logs and admin history.
        return str(self.get_channel_display())


class ChannelIdentity(models.Model):
    """A customer as a messenger platform knows them.

    `external_id` is the Telegram chat id, the WhatsApp id (the phone number) or the
    Messenger page-scoped id; it is found only through `external_id_index`, the keyed
    blind index of "<channel>:<id>". The profile name and phone number are stored once
    the customer has consented; before that only what is needed to ask for consent.
    """

    channel = models.CharField(
        _("channel"), max_length=20, choices=ChannelConfig.Channel.choices, editable=False
    )
    external_id_index = models.CharField(max_length=64, editable=False)
    external_id = EncryptedCharField(_("platform user id"), max_length=100)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    profile_name = EncryptedCharField(_("profile name"), max_length=200, blank=True)
    # "" while unknown (WhatsApp and Messenger do not say; the consent reply tells).
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH, blank=True)
    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="channel_identities",
    )
    consent_prompted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The customer's last message of any kind: WhatsApp's and Messenger's reply window.
    last_inbound_at = models.DateTimeField(
        _("last message from the customer"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("messenger identity")
        verbose_name_plural = _("messenger identities")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id_index"], name="channel_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return _("%(channel)s identity %(number)s") % {"channel": self.channel, "number": self.pk}


class ChannelConversation(models.Model):
    """Links a conversation to the messenger identity it runs with, and holds the
    text dialog's own state (which identity field was asked, the answers so far)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="channel_link"
    )
    identity = models.ForeignKey(
        ChannelIdentity, on_delete=models.CASCADE, related_name="conversation_links"
    )
    # The identity field (name, email, phone) the bot asked for last; "" for none.
    pending_field = models.CharField(max_length=20, blank=True)
    # JSON of the identity answers given so far, until all are there (then on the subject).
    identity_draft = EncryptedTextField(blank=True, default="")
    # The knowledge-base titles last offered as numbered choices ("Did you mean …?").
    suggestions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("messenger conversation")
        verbose_name_plural = _("messenger conversations")

    def __str__(self) -> str:
        return f"{self.conversation} via {self.identity}"

    @property
    def reply_window_closed(self) -> bool:
        """For the inbox: would the platform refuse an agent's reply now (WhatsApp's
        24-hour customer service window, Messenger's 24 hours or 7 days)?"""
        # bot.channels.selectors imports this module.
        from bot.channels.selectors import reply_window_open

        return not reply_window_open(identity=self.identity, human_agent=True)


class ChannelInboundEvent(models.Model):
    """A platform message already processed: platforms redeliver, we process once.

    `key` is the blind index of "<channel>:<platform message id>" (a WhatsApp message
    id embeds the sender's phone number). Kept for CHANNELS_REPLAY_WINDOW_HOURS; older
    platform messages are refused as replays.
    """

    channel = models.CharField(max_length=20, choices=ChannelConfig.Channel.choices)
    key = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("processed platform message")
        verbose_name_plural = _("processed platform messages")
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="channel_inbound_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key[:12]}"


class ChannelDelivery(models.Model):
    """One outgoing message to a messenger customer and what became of it.

    Either a conversation's message (bot answer, agent reply, system message) or a
    notice of the text dialog (consent question, "I can only read text"): our own
    texts, never the customer's. A delivery is sent at most once: the task claims it
    with a conditional update and a sent one is never sent again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        RETRYING = "retrying", _("Sending again soon")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Not delivered")

    class Reason(models.TextChoices):
        WINDOW_CLOSED = (
            "window_closed",
            _(
                "The customer's last message is too old: the platform allows no reply "
                "until they write again."
            ),
        )
        UNREACHABLE = "unreachable", _("The customer cannot be reached (blocked or left).")
        REJECTED = "rejected", _("The platform refused the message.")
        CREDENTIALS = "credentials", _("The platform refused the channel's access token.")
        CHANNEL_INACTIVE = "channel_inactive", _("The channel is switched off.")
        GAVE_UP = "gave_up", _("The platform did not accept the message after several attempts.")

    identity = models.ForeignKey(
        ChannelIdentity, on_delete=models.CASCADE, related_name="deliveries"
    )
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="delivery"
    )
    # Notices only: our own text in the customer's language (no personal data).
    text = models.TextField(blank=True)
    # Declined consent: the identity is forgotten once this notice went out.
    forget_identity = models.BooleanField(default=False)
    status = models.CharField(
        _("delivery"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.CharField(
        _("reason"), max_length=30, choices=Reason.choices, blank=True
    )
    # The platform's error code (a number or a short code), never its message text.
    error_code = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Long texts go out in parts (Messenger: 2,000 characters); a retry resumes here.
    parts_sent = models.PositiveSmallIntegerField(default=0)
    # Blind index of the platform's id of the last part sent (status webhooks find it).
    platform_message_index = models.CharField(max_length=64, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("messenger delivery")
        verbose_name_plural = _("messenger deliveries")
        ordering = ["id"]
        indexes = [models.Index(fields=["identity", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(message__isnull=False) | ~Q(text=""),
                name="channel_delivery_has_message_or_text",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="channel_delivery_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return _("Delivery %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class SuggestionChoice(models.Model):
    """A "Did you mean …?" choice a customer took: which intent the bot ranked first and
    which one the customer picked. Intent slugs, language, channel and time only: no
    link to the conversation or its person, so it is no personal data and outlives
    erasure; counted by the analytics, and the evidence of which suggestion was right."""

    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    channel = models.CharField(_("channel"), max_length=20, choices=Conversation.Channel.choices)
    intent_offered_first = models.CharField(_("intent offered first"), max_length=100)
    intent_chosen = models.CharField(_("intent chosen"), max_length=100)
    created_at = models.DateTimeField(_("chosen at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("suggestion chosen")
        verbose_name_plural = _("suggestions chosen")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="suggestion_choice_created")]

    def __str__(self) -> str:
        return f"{self.intent_offered_first} -> {self.intent_chosen}"


class ChoiceExample(models.Model):
    """The question a "Did you mean …?" choice answered, redacted, with the intent the
    customer chose: a candidate training example (bot.selectors.choice_example_candidates).

    Kept apart from SuggestionChoice, which links to nobody: this one keeps whose
    question it was and the consent it was asked under (as a taught ExampleQuestion
    does), so an objection or a withdrawn consent leaves it out of learning at once;
    erasing the person deletes it. Recorded only while learning from the person is
    allowed. An approval is kept on every row of its question; a refusal replaces them
    with one marker row without a person, whose text is a keyed digest of the question
    (bot.selectors.choice_refusal_marker), not its words.
    """

    class Decision(models.TextChoices):
        PENDING = "", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    intent = models.ForeignKey(
        Intent, verbose_name=_("intent"), on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    text = models.CharField(_("question (redacted)"), max_length=500)
    subject = models.ForeignKey(
        DataSubject,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent = models.ForeignKey(
        ConsentRecord,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"),
        max_length=20,
        choices=Decision.choices,
        default=Decision.PENDING,
        blank=True,
    )
    created_at = models.DateTimeField(_("chosen at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("question answered by a choice")
        verbose_name_plural = _("questions answered by a choice")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["language", "intent"], name="choice_example_lang_intent")]

    def __str__(self) -> str:
        return f"{self.text} -> {self.intent_id}"
