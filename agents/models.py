from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedTextField
from privacy.querysets import EncryptedFieldsManager


class Queue(models.Model):
    """A queue of escalated conversations (per topic or language) and the agents who serve it."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    # Escalations in this language are routed here; blank serves every language.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Escalations whose last recognised intent has this topic (bot.Intent.topic) are
    # routed here in preference; blank serves every topic.
    topic = models.CharField(_("topic"), max_length=50, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agents"),
        related_name="support_queues",
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]
        permissions = [
            ("view_all_queues", _("Can see every queue (supervisor)")),
            ("approve_teaching", _("Can approve what agents teach the bot")),
            ("view_analytics", _("Can see analytics")),
        ]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="agent_profile",
    )
    display_name = models.CharField(_("name shown to customers"), max_length=100)
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return self.display_name


class Assignment(models.Model):
    """Where an escalated conversation sits: its queue and the agent handling it.

    One row per conversation, created when the bot escalates it. `agent` is
    NULL while the conversation waits; claiming sets it with a conditional
    UPDATE (… WHERE agent_id IS NULL), so of two agents claiming at once
    exactly one wins.
    """

    conversation = models.OneToOneField(
        "bot.Conversation",
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="assignment",
    )
    # NULL: no queue matched the conversation (only supervisors see it then).
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_assignments",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    created_at = models.DateTimeField(_("routed at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agent__isnull=True) | models.Q(assigned_at__isnull=False),
                name="assignment_agent_has_assigned_at",
            )
        ]

    def __str__(self) -> str:
        return _("Assignment of conversation %(conversation)s") % {
            "conversation": self.conversation_id
        }


class InternalNote(models.Model):
    """A note agents write about a conversation; the customer never sees it.

    Notes may hold personal data ("called her back on …"), so the text is
    encrypted and the agents app's personal-data provider exports and erases them.
    """

    conversation = models.ForeignKey(
        "bot.Conversation",
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="internal_notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["conversation", "created_at", "id"]

    def __str__(self) -> str:
        return _("Note %(number)s on conversation %(conversation)s") % {
            "number": self.pk,
            "conversation": self.conversation_id,
        }


class CannedResponse(models.Model):
    """A prepared reply with placeholders ({name}, {agent}).

    With a queue: for that queue's agents; with an owner: one agent's own;
    with neither: for everyone. Written by staff, so it holds no customer data.
    """

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"))
    # Blank: every language.
    language = models.CharField(_("language"), max_length=8, blank=True)
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal for"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(queue__isnull=True) | models.Q(owner__isnull=True),
                name="canned_response_queue_or_owner",
                violation_error_message=_(
                    "A canned response belongs to a queue or to one agent, not to both."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Teaching(models.Model):
    """What an agent taught the bot from a conversation, kept until a supervisor decides.

    Holds only the redacted question (Message.text_redacted) and a redacted answer, and
    outlives the conversation. Redacted, but derived from a person's words: like a taught
    ExampleQuestion it keeps whose question it was and the consent it was asked under, so
    an objection, an erasure or an access request still reaches it once retention deleted
    the conversation. Undecided and refused ones go with the "teachings" retention.
    """

    class Kind(models.TextChoices):
        LINK = "link", _("Question linked to an existing intent")
        NEW_INTENT = "new_intent", _("New intent proposed")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    language = models.CharField(_("language"), max_length=8)
    question_redacted = models.CharField(_("question (redacted)"), max_length=500)
    # LINK: the intent the question belongs to. NEW_INTENT: set once approved.
    intent = models.ForeignKey(
        "bot.Intent",
        verbose_name=_("intent"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="teachings",
    )
    proposed_slug = models.SlugField(_("proposed intent slug"), max_length=100, blank=True)
    proposed_title = models.CharField(_("proposed title"), max_length=200, blank=True)
    proposed_answer = models.TextField(_("proposed answer (redacted)"), blank=True)
    # Where it was taught; the conversation is deleted by retention, the teaching stays.
    conversation = models.ForeignKey(
        "bot.Conversation",
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.ForeignKey(
        "privacy.DataSubject",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent = models.ForeignKey(
        "privacy.ConsentRecord",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taught by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("taught at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("teaching")
        verbose_name_plural = _("teachings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="link") | models.Q(intent__isnull=False),
                name="teaching_link_has_intent",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="new_intent")
                | (~models.Q(proposed_slug="") & ~models.Q(proposed_answer="")),
                name="teaching_new_intent_has_slug_and_answer",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(decided_at__isnull=False),
                name="teaching_decided_has_decided_at",
            ),
        ]

    def __str__(self) -> str:
        return _("Teaching %(number)s (%(kind)s, %(status)s)") % {
            "number": self.pk,
            "kind": self.get_kind_display(),
            "status": self.get_status_display(),
        }
