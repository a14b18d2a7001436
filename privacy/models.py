import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedCharField, EncryptedEmailField
from privacy.querysets import EncryptedFieldsManager
from privacy.storage import EncryptedFileSystemStorage


class DataSubject(models.Model):
    """A customer whose personal data Supportdesk holds. Identity fields are encrypted.

    `email_index` is the blind index of the normalised email: the only way to
    find a subject by email (DSAR, a returning customer). A typed email is a claim:
    until the person proves it (the e-mailed link, or staff checked it) the subject
    stays unverified, and several unverified subjects may claim one address. Only a
    verified subject is found by email, and only one per address.
    """

    class VerifiedVia(models.TextChoices):
        LINK = "link", _("Link sent to the email address")
        STAFF = "staff", _("Checked by staff")
        # Subjects from before claims were told apart (migration 0010): there was one
        # subject per address then, and the data requests of existing customers must
        # still find them. See the README, "Identity is a claim".
        LEGACY = "legacy", _("Existing customer before verification was introduced")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    name = EncryptedCharField(_("name"), max_length=200, blank=True)
    email = EncryptedEmailField(_("email"), max_length=254, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    # NULL where no email was given (as while the index was unique).
    email_index = models.CharField(  # noqa: DJ001
        _("email blind index"), max_length=64, null=True, blank=True, editable=False, db_index=True
    )
    # Set once the person proved the address; NULL: the email is only a claim.
    email_verified_at = models.DateTimeField(
        _("email verified at"), null=True, blank=True, editable=False
    )
    email_verified_via = models.CharField(
        _("email verified by"), max_length=10, choices=VerifiedVia.choices, blank=True
    )
    # The e-mailed link that proves the address: only its hash is kept.
    verification_hash = models.CharField(max_length=64, blank=True, editable=False)
    verification_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Objection (Art. 21) to using this subject's questions to train the bot.
    learning_objected_at = models.DateTimeField(
        _("objected to bot learning at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        permissions = [
            ("view_personal_data", _("Can see customers' identity (audited)")),
            ("export_personal_data", _("Can export a data subject's data (DSAR)")),
            ("erase_personal_data", _("Can erase a data subject's data")),
            ("merge_data_subjects", _("Can merge a customer's unverified identity (audited)")),
        ]
        constraints = [
            # One verified subject per address; claims may repeat it.
            models.UniqueConstraint(
                fields=["email_index"],
                condition=models.Q(email_verified_at__isnull=False),
                name="subject_verified_email_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(email_verified_at__isnull=True)
                | ~models.Q(email_verified_via=""),
                name="subject_verified_says_how",
            ),
        ]

    def __str__(self) -> str:
        # Never the name or email: __str__ ends up in logs, admin history and errors.
        return _("Data subject %(id)s") % {"id": self.public_id}

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class AuditEvent(models.Model):
    """Append-only record of who did what to personal data, when and why.

    It holds references (type and id), never the personal data itself. Why: a reason
    code, plus an optional note that passed the redaction gate before it was stored
    (the log is kept for years; a free-text reason once held a customer's name).
    """

    class Reason(models.TextChoices):
        SUPPORT = "support", _("Handling the customer's request")
        CUSTOMER_REQUEST = "customer_request", _("The customer asked for it")
        ORDER_LOOKUP = "order_lookup", _("Looking up an order")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
        DATA_REQUEST = "data_request", _("The person's data request")
        OPERATOR = "operator", _("Administration by the operator")
        OTHER = "other", _("Other (see the note)")

    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    # A subject's events survive its erasure as its opaque public id.
    subject_public_id = models.UUIDField(_("data subject"), null=True, blank=True, db_index=True)
    reason_code = models.CharField(
        _("reason"), max_length=30, choices=Reason.choices, blank=True, db_index=True
    )
    # The note beside the code; stored only as the redaction gate left it.
    reason = models.CharField(_("note (without personal data)"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(
        _("time"), default=timezone.now, editable=False, db_index=True
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class PolicyVersion(models.Model):
    """A version of the privacy policy in one language; customers consent to exactly one.

    One version per language is active; publishing a new one makes the chat ask
    returning customers again.
    """

    language = models.CharField(_("language"), max_length=8)
    version = models.CharField(_("version"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    # What the chat shows before consent: what is collected, why, for how long.
    summary = models.TextField(_("summary shown in the chat"))
    text = models.TextField(_("full text"))
    effective_at = models.DateTimeField(_("effective from"), default=timezone.now)
    is_active = models.BooleanField(_("active"), default=False)
    # What the generated notice covered when published (channels, identity fields,
    # retention, processors): the dashboard warns when the configuration has moved on.
    covered_facts = models.JSONField(_("configuration covered"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("privacy policy version")
        verbose_name_plural = _("privacy policy versions")
        ordering = ["language", "-effective_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "version"], name="policy_version_unique_per_language"
            ),
            models.UniqueConstraint(
                fields=["language"],
                condition=models.Q(is_active=True),
                name="policy_one_active_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.version} ({self.language})"


class ConsentRecord(models.Model):
    """Proof of consent (Art. 7(1) GDPR): which policy version, which purposes, when, where.

    `reference` is the opaque id of what the consent was given in (a
    conversation's public id): privacy knows nothing of the bot app.
    """

    class Purpose(models.TextChoices):
        SUPPORT_CHAT = "support_chat", _("Answering your request in the chat")
        BOT_IMPROVEMENT = (
            "bot_improvement",
            _("Improving the bot with conversation content without personal data"),
        )
        # Asked for separately, only when the customer asks for a follow-up (in the waiting
        # chat or on the follow-up form). Until email_channel 0004 the address left while
        # waiting had a purpose of its own ("follow_up_email"): its records were moved here.
        FOLLOW_UP = (
            "follow_up",
            _("Calling you back or answering you by e-mail, with the contact you gave for it"),
        )

    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # erasure keeps the proof, without the person
        related_name="consents",
    )
    reference = models.UUIDField(_("reference"), db_index=True)
    policy_version = models.ForeignKey(
        PolicyVersion, verbose_name=_("policy version"), on_delete=models.PROTECT
    )
    purposes = models.JSONField(_("purposes"), default=list)
    channel = models.CharField(_("channel"), max_length=20)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Only stored where the operator configured it (CONSENT_STORE_IP_ADDRESS).
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return _("Consent %(number)s to %(policy)s") % {
            "number": self.pk,
            "policy": self.policy_version,
        }


class RetentionPolicy(models.Model):
    """How long one category of data is kept; changed in the admin, enforced by Celery beat."""

    class Category(models.TextChoices):
        CONVERSATIONS_RESOLVED = (
            "conversations_resolved",
            _("Resolved conversations and their messages (from resolution)"),
        )
        SESSIONS_ABANDONED = (
            "sessions_abandoned",
            _("Chats the bot handled that were left (from the last activity)"),
        )
        SUBJECTS_IDLE = (
            "subjects_idle",
            _("Identity of customers with no conversation left (from the last change)"),
        )
        CONSENT_RECORDS = (
            "consent_records",
            _("Proof of consent (from when it was given, or withdrawn)"),
        )
        AUDIT_EVENTS = "audit_events", _("Audit events")
        EXPORTS = "exports", _("Data exports (DSAR files)")
        WEBHOOK_DELIVERIES = (
            "webhook_deliveries",
            _("Webhook deliveries and their payloads (from when the event occurred)"),
        )
        FOLLOW_UPS = (
            "follow_ups",
            _("Call-back and e-mail follow-up wishes with their contact (from when asked)"),
        )
        CHOICE_EXAMPLES = (
            "choice_examples",
            _('Undecided questions learnt from "Did you mean …?" choices (from when chosen)'),
        )
        TEACHINGS = (
            "teachings",
            _("What agents taught the bot, undecided or refused (from when taught)"),
        )

    category = models.CharField(_("category"), max_length=40, choices=Category.choices, unique=True)
    duration_days = models.PositiveIntegerField(_("kept for (days)"))
    is_active = models.BooleanField(_("enforced"), default=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.duration_days} d"


class LegalHold(models.Model):
    """Blocks deletion of a subject's or a conversation's data (litigation, authority request)."""

    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="legal_holds",
    )
    # A conversation's public id, for a hold on one conversation (privacy knows no bot models).
    reference = models.UUIDField(_("conversation"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("placed at"), default=timezone.now)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject__isnull=False) | models.Q(reference__isnull=False),
                name="legal_hold_has_subject_or_reference",
                violation_error_message=_(
                    "A legal hold needs a data subject or a conversation (or both)."
                ),
            )
        ]

    def __str__(self) -> str:
        return _("Legal hold %(number)s") % {"number": self.pk}


class PurgeRun(models.Model):
    """One run of retention: when, and how many rows per category (counts, never content)."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    counts = models.JSONField(_("deleted per category"), default=dict)
    more_pending = models.BooleanField(_("more pending"), default=False)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return _("Retention run %(time)s") % {"time": f"{self.started_at:%Y-%m-%d %H:%M}"}


# The channels a chat can run on (bot.models.Conversation.Channel; privacy does not import bot).
SOURCE_CHANNELS = [
    ("web", _("Website chat")),
    ("telegram", _("Telegram")),
    ("whatsapp", _("WhatsApp")),
    ("messenger", _("Facebook Messenger")),
    ("form", _("Contact form")),
    ("email", _("E-mail")),
]


class DataRequest(models.Model):
    """A data subject's request: access (Art. 15), erasure (Art. 17) or objection (Art. 21).

    Made by the customer (verified through a link sent to the email address) or
    opened by staff for a verified request. After erasure it stays as the receipt:
    no subject, no email, counts only.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (copy of my data)")
        ERASURE = "erasure", _("Erasure (delete my data)")
        OBJECTION = "objection", _("Objection to using my questions to train the bot")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Waiting for email confirmation")
        VERIFIED = "verified", _("Confirmed, being processed")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Confirmation expired")

    class Source(models.TextChoices):
        # Where the request came from, for the privacy officer.
        PRIVACY_PAGE = "privacy_page", _("Privacy request page")
        STAFF = "staff", _("Opened by staff")
        CHAT = "chat", _("Support chat")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNVERIFIED
    )
    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_requests",
    )
    # Where to send the confirmation link and the result; cleared when completed.
    email = EncryptedEmailField(_("email"), max_length=254, blank=True)
    email_index = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, default="de")
    verification_hash = models.CharField(max_length=64, blank=True, editable=False)
    verification_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # When processing was last queued (on verification, by the sweeper, by a retry): a
    # request still "verified" long after lost its task, and is queued again.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.PRIVACY_PAGE
    )
    # A chat-started request: the conversation's channel (bot.Conversation.Channel values).
    source_channel = models.CharField(
        _("channel"), max_length=20, blank=True, choices=SOURCE_CHANNELS
    )
    # The legal deadline: one month from receipt (Art. 12(3)).
    due_at = models.DateTimeField(_("due by"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # What was done, as counts per provider: the erasure receipt.
    result = models.JSONField(_("result"), default=dict, blank=True)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("data subject request")
        verbose_name_plural = _("data subject requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"


class DataExport(models.Model):
    """The ZIP of a data access request: stored encrypted, downloadable until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    request = models.OneToOneField(DataRequest, on_delete=models.CASCADE, related_name="export")
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.CASCADE, related_name="exports"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # Relative to MEDIA_ROOT; the bytes there are Fernet-encrypted.
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    size_bytes = models.PositiveBigIntegerField(default=0)
    download_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    expires_at = models.DateTimeField(_("download possible until"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("last downloaded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("Export %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class Processor(models.Model):
    """A processor (Art. 28): a service provider that processes personal data for the operator."""

    class TransferSafeguard(models.TextChoices):
        NONE = "none", _("No transfer outside the EU/EEA")
        ADEQUACY = "adequacy", _("Adequacy decision (Art. 45)")
        DPF = "dpf", _("EU-US Data Privacy Framework")
        SCC = "scc", _("Standard contractual clauses (Art. 46(2)(c))")
        BCR = "bcr", _("Binding corporate rules (Art. 47)")

    class Channel(models.TextChoices):
        WEB = "web", _("Website chat (hosting)")
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        MESSENGER = "messenger", _("Facebook Messenger")
        EMAIL = "email", _("Email delivery")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    dpo_contact = models.CharField(_("data protection officer"), max_length=200, blank=True)
    channel = models.CharField(
        _("serves"), max_length=20, choices=Channel.choices, default=Channel.OTHER
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("sub-processor of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_processors",
    )
    country = models.CharField(_("country of processing"), max_length=100, default="DE")
    transfer_safeguard = models.CharField(
        _("safeguard for third-country transfers"),
        max_length=20,
        choices=TransferSafeguard.choices,
        default=TransferSafeguard.NONE,
    )

    class Meta:
        verbose_name = _("processor")
        verbose_name_plural = _("processors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


ACTIVE_AGREEMENT_UNSIGNED = _(
    "An active agreement needs the date it was signed. Enter it, or keep the agreement "
    "as a draft until it is signed."
)


class ProcessingAgreement(models.Model):
    """A data processing agreement (AV-Vertrag, Art. 28(3)) with one processor."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRING = "expiring", _("Due for review")
        TERMINATED = "terminated", _("Terminated")

    processor = models.ForeignKey(
        Processor, verbose_name=_("processor"), on_delete=models.PROTECT, related_name="agreements"
    )
    subject_matter = models.TextField(_("subject matter"))
    duration = models.CharField(_("duration"), max_length=200)
    nature_and_purpose = models.TextField(_("nature and purpose of the processing"))
    data_categories = models.TextField(_("categories of personal data"))
    subject_categories = models.TextField(_("categories of data subjects"))
    retention_terms = models.TextField(_("retention and deletion"))
    technical_measures = models.TextField(_("technical and organisational measures"))
    controller_rights_duties = models.TextField(_("rights and duties of the controller"))
    processor_rights_duties = models.TextField(_("rights and duties of the processor"))
    third_country_transfers = models.TextField(_("third-country transfers"), blank=True)
    signed_at = models.DateField(_("signed on"), null=True, blank=True)
    signed_document = models.FileField(
        _("signed document"),
        storage=EncryptedFileSystemStorage(folder="agreements"),
        upload_to="%Y/",
        blank=True,
    )
    review_at = models.DateField(_("review by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("processing agreement (Art. 28)")
        verbose_name_plural = _("processing agreements (Art. 28)")
        ordering = ["processor__name", "-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(signed_at__isnull=False),
                name="agreement_active_is_signed",
                violation_error_message=ACTIVE_AGREEMENT_UNSIGNED,
                violation_error_code="active_unsigned",
            )
        ]

    def __str__(self) -> str:
        return f"{self.processor} ({self.get_status_display()})"

    def clean(self) -> None:
        # On the field, so forms show it beside "signed on" (and, raised here, the
        # constraint check on signed_at is skipped: one message, not two).
        if self.status == self.Status.ACTIVE and self.signed_at is None:
            raise ValidationError({"signed_at": ACTIVE_AGREEMENT_UNSIGNED}, code="active_unsigned")


class ProcessingActivity(models.Model):
    """One entry of the record of processing activities (Art. 30(1))."""

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent, Art. 6(1)(a)")
        CONTRACT = "contract", _("Contract, Art. 6(1)(b)")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation, Art. 6(1)(c)")
        LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests, Art. 6(1)(f)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=30, choices=LegalBasis.choices)
    data_categories = models.TextField(_("categories of personal data"))
    subject_categories = models.TextField(_("categories of data subjects"))
    recipients = models.TextField(_("recipients"), blank=True)
    retention_policy = models.ForeignKey(
        RetentionPolicy,
        verbose_name=_("retention"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    processors = models.ManyToManyField(Processor, verbose_name=_("processors"), blank=True)
    third_country_transfers = models.TextField(_("third-country transfers"), blank=True)
    technical_measures = models.TextField(_("technical and organisational measures"))
    # The EU AI Act asks operators to know where an AI system processes data; the record
    # says so per activity (the chatbot's answering and learning are such activities).
    is_ai_system = models.BooleanField(
        _("AI system"),
        default=False,
        help_text=_("An AI system (EU AI Act) carries out this processing, e.g. the chatbot."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("processing activity (Art. 30)")
        verbose_name_plural = _("record of processing activities (Art. 30)")
        ordering = ["name"]

    def __str__(self) -> str:
        # The seeded names are in the catalogue (privacy/activity_texts.py): shown in the
        # reader's language; an operator's own name shows as written.
        return str(_(self.name))


class ErasureLedgerEntry(models.Model):
    """That a subject was erased, and when: the opaque id and the email's blind index only.

    A backup restored after an erasure brings the person back; `manage.py
    erasure_replay` erases them again from these entries. Each entry is also
    appended to a file outside the database (ERASURE_LEDGER_PATH), because the
    restored database has lost the entries made after its backup.
    """

    subject_public_id = models.UUIDField(_("data subject"), unique=True, editable=False)
    email_index = models.CharField(
        _("email blind index"), max_length=64, blank=True, db_index=True, editable=False
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("erasure ledger entry")
        verbose_name_plural = _("erasure ledger")
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return _("Erased %(id)s") % {"id": self.subject_public_id}


class RedactionAllowedWord(models.Model):
    """A word the redaction never hides as a name: a product or brand that looks like one.

    "Paula" the dress is no person. The subject's own known name is still hidden
    wherever it appears (privacy first: a customer called Paula keeps her name out
    of the redacted text).
    """

    word = models.CharField(
        _("word"),
        max_length=100,
        unique=True,
        help_text=_("One word, in any case; it is matched without regard to case."),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("Why it is no name, e.g. a product.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("word never redacted as a name")
        verbose_name_plural = _("words never redacted as names")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word

    def clean(self) -> None:
        self.word = (self.word or "").strip()
        if not self.word or any(ch.isspace() for ch in self.word):
            raise ValidationError({"word": _("Enter one word, without spaces.")})
        duplicate = RedactionAllowedWord.objects.filter(word__iexact=self.word).exclude(pk=self.pk)
        if duplicate.exists():
            raise ValidationError({"word": _("This word is on the list already.")})
