"""E-mail as a channel: mailboxes per queue, the mails of a conversation, attachments.

Personal data (addresses, subjects, bodies, Message-IDs, file names) is encrypted; what
is looked up (a Message-ID when threading, a sender's address) is found through keyed
blind indexes (privacy.crypto), never by filtering encrypted fields.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from privacy.querysets import EncryptedFieldsManager
from privacy.storage import EncryptedFileSystemStorage


class Mailbox(models.Model):
    """Where one queue's mail comes in: an IMAP folder, or a Maildir folder (the embedded
    default, so `make run` shows e-mail without a mail server).

    Encrypts the operator's IMAP credentials only, no one's personal data.
    """

    encrypts_secrets_only = True

    class Source(models.TextChoices):
        IMAP = "imap", _("IMAP server")
        MAILDIR = "maildir", _("Maildir folder on this machine")

    class Security(models.TextChoices):
        TLS = "tls", _("TLS (IMAPS, port 993)")
        STARTTLS = "starttls", _("STARTTLS")
        # Only for a server on this machine (tests, a local relay).
        NONE = "none", _("None (local servers only)")

    queue = models.OneToOneField(
        "agents.Queue", verbose_name=_("queue"), on_delete=models.CASCADE, related_name="mailbox"
    )
    # The team's own address (From of our replies); the operator's, not personal data.
    address = models.EmailField(_("address"))
    source = models.CharField(
        _("fetched from"), max_length=10, choices=Source.choices, default=Source.IMAP
    )
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security.choices, default=Security.TLS
    )
    imap_user = EncryptedCharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = EncryptedCharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    maildir_path = models.CharField(_("Maildir folder"), max_length=500, blank=True)
    signature_de = models.TextField(_("signature (German)"), blank=True)
    signature_en = models.TextField(_("signature (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Off by default: a mail is written to the team. On, the bot answers a new mail by
    # itself when it is sure (the answer band), and the customer's reply reaches a person.
    bot_auto_answer = models.BooleanField(
        _("the bot answers by itself"),
        default=False,
        help_text=_(
            "Only questions the bot is sure of (its answer band) are answered by mail at "
            "once; a reply to that mail reaches the team. Everything else goes to the "
            "team with the bot's suggestions."
        ),
    )
    # IMAP: the folder's UIDVALIDITY and the highest UID stored, so each fetch asks only
    # for newer mail (a changed UIDVALIDITY starts over; the Message-ID index dedupes).
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)
    # Why the last fetch failed, as a short code ("" when it worked); never server text.
    last_error = models.CharField(_("last error"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="imap") | ~Q(imap_host=""),
                name="mailbox_imap_has_host",
            ),
            models.CheckConstraint(
                condition=~Q(source="maildir") | ~Q(maildir_path=""),
                name="mailbox_maildir_has_path",
            ),
        ]

    def __str__(self) -> str:
        return self.address


class MailThread(models.Model):
    """The e-mail side of one conversation: whom it is with, in which mailbox, and the
    reply token our subjects carry (the threading fallback when a mail client drops
    In-Reply-To and References)."""

    conversation = models.OneToOneField(
        "bot.Conversation", on_delete=models.CASCADE, related_name="mail_thread"
    )
    mailbox = models.ForeignKey(
        Mailbox, null=True, on_delete=models.SET_NULL, related_name="threads"
    )
    customer_address = EncryptedCharField(_("customer's address"), max_length=254)
    # Blind index of the normalised address: a reply joins the thread only from it.
    customer_address_index = models.CharField(max_length=64, db_index=True, editable=False)
    subject = EncryptedCharField(_("subject"), max_length=998, blank=True)
    reply_token = models.CharField(max_length=16, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("mail thread")
        verbose_name_plural = _("mail threads")

    def __str__(self) -> str:
        return f"Mail thread {self.reply_token}"


class MailMessage(models.Model):
    """One mail in or out. Inbound mails that became a conversation message, auto-replies
    that did not (kept without their content, only to be recognised again), and our
    replies with their delivery status.

    `message_id_index` (blind index of the Message-ID) is unique: the same mail fetched
    twice is stored once, and In-Reply-To / References find the thread through it.
    """

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Received")
        OUTBOUND = "outbound", _("Sent")

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Written by a person")
        AUTO_REPLY = "auto_reply", _("Automatic reply (out of office)")
        BOUNCE = "bounce", _("Delivery failure report")
        BULK = "bulk", _("Mailing list or bulk mail")
        LOOP = "loop", _("Our own mail come back")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IGNORED = "ignored", _("Recognised as automatic; not answered")
        PENDING = "pending", _("Waiting to be sent")
        RETRYING = "retrying", _("Sending again soon")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent")

    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSONAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails"
    )
    # NULL for an ignored auto-reply that matched no conversation.
    conversation = models.ForeignKey(
        "bot.Conversation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mails",
    )
    # The conversation message this mail is (customer mail) or carries (agent reply).
    message = models.OneToOneField(
        "bot.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="mail"
    )
    message_id_index = models.CharField(max_length=64, unique=True, editable=False)
    header_message_id = EncryptedCharField(_("Message-ID"), max_length=998, blank=True)
    # The thread's Message-IDs (In-Reply-To first), for our reply's References header.
    references = EncryptedJSONField(_("references"), blank=True, default=list)
    subject = EncryptedCharField(_("subject"), max_length=998, blank=True)
    sender = EncryptedCharField(_("from"), max_length=254, blank=True)
    # The whole text as received, quoted history included: for agents (the conversation
    # message holds the new part only).
    body = EncryptedTextField(_("text with quoted history"), blank=True)
    # Attachments refused by the limits: [{"reason", "content_type", "size"}], no names,
    # and of a type not accepted only its top level (attachments.refused_type_recorded).
    attachments_refused = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A short code of the last sending error (an SMTP reply code or exception class).
    error_code = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("mail")
        verbose_name_plural = _("mails")
        ordering = ["id"]
        indexes = [models.Index(fields=["direction", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction="inbound", status__in=["received", "ignored"])
                | Q(direction="outbound")
                & ~Q(status__in=["received", "ignored"])
                & Q(message__isnull=False),
                name="mail_status_fits_direction",
            ),
        ]

    def __str__(self) -> str:
        return f"Mail {self.pk} ({self.direction}, {self.status})"


def attachment_file_name(instance: "Attachment", filename: str) -> str:
    # A random name: the customer's file name (often their name or an invoice number)
    # is kept encrypted on the row, never in a path.
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file a customer sent with a message, on any channel (e-mail now, the web chat
    later): encrypted at rest, streamed to agents only through an audited view that
    checks they may see the conversation, never from a public URL."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey("bot.Message", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(
        storage=EncryptedFileSystemStorage(folder="attachments"), upload_to=attachment_file_name
    )
    filename = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message", "id"]

    def __str__(self) -> str:
        # Never the file name: it may name the customer.
        return f"Attachment {self.public_id}"
