"""Reads of personal data that are audited: a conversation opened, customers listed, an
e-mail address revealed."""

from datetime import datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.services.base import (
    EMAIL_REVEAL_REASONS,
    InboxError,
    conversation_audit,
    require_visible,
)
from bot.models import Conversation
from privacy.models import AuditEvent, DataSubject
from privacy.services import audit_record
from privacy.services.audit import AUDIT_NOTE_MAX_LENGTH


@transaction.atomic
def conversation_view_record(
    *, conversation: Conversation, acting_user: AbstractBaseUser, channel: str = "page"
) -> None:
    """A staff member opened the transcript (personal data): one audit event."""
    require_visible(acting_user, conversation)
    conversation_audit(
        "conversation.viewed",
        acting_user=acting_user,
        conversation=conversation,
        reason_code=AuditEvent.Reason.SUPPORT,
        details={"via": channel},
    )


@transaction.atomic
def inbox_customers_view_record(
    *, subjects: list[DataSubject], acting_user: AbstractBaseUser, via: str = "inbox"
) -> int:
    """The inbox list showed these customers' names to a staff member: one audit event per
    customer and staff member and day (the list reloads often; the first read of the day
    says who saw whom). Returns how many events were written."""
    if not subjects:
        return 0
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    seen = set(
        AuditEvent.objects.filter(
            action="subject.listed",
            acting_user=acting_user,
            created_at__gte=start,
            subject_public_id__in=[subject.public_id for subject in subjects],
        ).values_list("subject_public_id", flat=True)
    )
    written = 0
    for subject in {subject.pk: subject for subject in subjects}.values():
        if subject.public_id in seen:
            continue
        audit_record(
            action="subject.listed",
            acting_user=acting_user,
            target=subject,
            reason_code=AuditEvent.Reason.SUPPORT,
            details={"via": via},
        )
        written += 1
    return written


@transaction.atomic
def subject_email_reveal(
    *,
    conversation: Conversation,
    acting_user: AbstractBaseUser,
    reason_code: object,
    note: object = "",
) -> str:
    """The customer's email, unmasked, for a user allowed to see personal data; audited with
    a reason code (EMAIL_REVEAL_REASONS) and an optional note, stored redacted."""
    require_visible(acting_user, conversation)
    if not acting_user.has_perm("privacy.view_personal_data"):
        raise PermissionDenied(_("You may not see customers' personal data."))
    if reason_code not in EMAIL_REVEAL_REASONS:
        raise InboxError(_("Choose why you need the email address."), code="invalid_reason")
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > AUDIT_NOTE_MAX_LENGTH:
        raise InboxError(
            _("Give a text of at most %(max)s characters.") % {"max": AUDIT_NOTE_MAX_LENGTH},
            code="invalid_note",
        )
    if reason_code == AuditEvent.Reason.OTHER and not note:
        raise InboxError(_("Say in a note why you need the email address."), code="note_required")
    subject = conversation.subject
    if subject is None or not subject.email:
        raise InboxError(_("This customer has not given an email address."), code="no_email")
    audit_record(
        action="subject.email_revealed",
        acting_user=acting_user,
        target=subject,
        reason_code=reason_code,
        reason=note,
        details={"conversation": str(conversation.public_id)},
    )
    return subject.email
