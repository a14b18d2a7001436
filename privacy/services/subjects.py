"""Data subjects: identification, export (Art. 15) and erasure (Art. 17) over the registry."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.crypto import (
    email_blind_index,
    email_normalise,
)
from privacy.models import AuditEvent, DataSubject
from privacy.registry import provider_list, staff_name
from privacy.services.audit import audit_record

NAME_MAX_LENGTH = 200
# The audit trail in a customer's access export (report.html), in words; an action not
# listed here is shown as recorded.
AUDIT_ACTION_LABELS = {
    "consent.granted": gettext_lazy("You gave consent"),
    "consent.withdrawn": gettext_lazy("You withdrew consent"),
    "conversation.viewed": gettext_lazy("Opened your conversation"),
    "subject.viewed": gettext_lazy("Looked at your details"),
    "conversation.routed": gettext_lazy("Your conversation was put in a queue"),
    "conversation.escalated": gettext_lazy("Your conversation was handed to a person"),
    "conversation.claimed": gettext_lazy("Took on your conversation"),
    "conversation.assigned": gettext_lazy("Your conversation was assigned"),
    "conversation.transferred": gettext_lazy("Passed your conversation on"),
    "conversation.replied": gettext_lazy("Answered you"),
    "conversation.resolved": gettext_lazy("Marked your conversation as resolved"),
    "conversation.reopened": gettext_lazy("Reopened your conversation"),
    "note.added": gettext_lazy("Wrote an internal note"),
    "teaching.created": gettext_lazy("Taught the bot from your question"),
    "subject.email_revealed": gettext_lazy("Looked at your email address"),
    "subject.exported": gettext_lazy("Exported your data"),
    "subject.learning_objected": gettext_lazy("Your objection to bot learning was recorded"),
    "data_request.created": gettext_lazy("Your request was received"),
    "data_request.verified": gettext_lazy("Your request was confirmed"),
    "export.built": gettext_lazy("Your data export was prepared"),
    "export.downloaded": gettext_lazy("Your data export was downloaded"),
    "export.read": gettext_lazy("Opened your data export"),
    "legal_hold.placed": gettext_lazy("Deletion of your data was suspended (legal hold)"),
    "legal_hold.released": gettext_lazy("The legal hold on your data was lifted"),
}
PHONE_MAX_LENGTH = 40


def _identity_clean(*, name: str, email: str, phone: str) -> tuple[str, str, str]:
    name, phone = name.strip(), phone.strip()
    errors: dict[str, str] = {}
    if len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("The name is too long (at most %(limit)d characters).") % {
            "limit": NAME_MAX_LENGTH
        }
    if email:
        email = email_normalise(email)
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Please enter a valid email address.")
    if len(phone) > PHONE_MAX_LENGTH:
        errors["phone"] = _("The phone number is too long.")
    if errors:
        raise ValidationError(errors)
    return name, email, phone


@transaction.atomic
def data_subject_identify(*, name: str = "", email: str = "", phone: str = "") -> DataSubject:
    """The subject with this email (a returning customer), else a new one.

    Found through the blind index; given fields update the stored identity.
    """
    name, email, phone = _identity_clean(name=name, email=email, phone=phone)
    subject = None
    if email:
        index = email_blind_index(email)
        subject = DataSubject.objects.select_for_update().filter(email_index=index).first()
    if subject is None:
        subject = DataSubject(email=email, email_index=email_blind_index(email) if email else None)
    subject.name = name or subject.name
    subject.phone = phone or subject.phone
    try:
        with transaction.atomic():
            subject.save()
    except IntegrityError:
        # Two first contacts with the same email at once: the other one won.
        subject = DataSubject.objects.get(email_index=subject.email_index)
    return subject


def subject_export(
    *, subject: DataSubject, acting_user: AbstractBaseUser | None, audit: bool = True
) -> dict:
    """Everything every registered provider holds about the subject (Art. 15).

    One audit entry per export: "subject.exported" here, unless the caller records the
    export itself (`audit=False`: an access request's file writes "export.built").
    """
    with transaction.atomic():
        data = {provider.name: provider.export(subject) for provider in provider_list()}
        if audit:
            audit_record(action="subject.exported", acting_user=acting_user, target=subject)
    return {
        "subject": str(subject.public_id),
        "exported_at": timezone.now().isoformat(),
        "data": data,
    }


@transaction.atomic
def subject_erase(
    *, subject: DataSubject, acting_user: AbstractBaseUser | None, reason: str
) -> dict[str, dict[str, int]]:
    """Erase the subject everywhere (Art. 17). Returns counts per provider, never content."""
    counts = {provider.name: provider.erase(subject) for provider in provider_list()}
    audit_record(
        action="subject.erased",
        acting_user=acting_user,
        subject=subject,
        reason=reason,
        details={"counts": counts},
    )
    return counts


def data_subject_export(subject: DataSubject) -> dict:
    return {
        "public_id": str(subject.public_id),
        "name": subject.name,
        "email": subject.email,
        "phone": subject.phone,
        "created_at": subject.created_at.isoformat(),
        "consents": [
            {
                "policy": f"{consent.policy_version.version} ({consent.policy_version.language})",
                "purposes": consent.purposes,
                "channel": consent.channel,
                "granted_at": consent.granted_at.isoformat(),
                "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
            }
            for consent in subject.consents.select_related("policy_version")
        ],
        "requests": [
            {
                "kind": request.kind,
                "status": request.status,
                "received_at": request.created_at.isoformat(),
                "completed_at": request.completed_at.isoformat() if request.completed_at else None,
            }
            for request in subject.data_requests.all()
        ],
        "learning_objected_at": (
            subject.learning_objected_at.isoformat() if subject.learning_objected_at else None
        ),
        "audit_trail": _audit_trail(subject),
    }


def _audit_trail(subject: DataSubject) -> list[dict]:
    """What staff and the system did with the subject's data, from the audit log: who
    opened, claimed or answered a conversation, who revealed the email address and why."""
    events = (
        AuditEvent.objects.filter(subject_public_id=subject.public_id)
        .select_related("acting_user")
        .order_by("created_at", "id")
    )
    return [
        {
            "action": event.action,
            "by": staff_name(event.acting_user) or None,
            "reason": event.reason or None,
            "at": event.created_at.isoformat(),
        }
        for event in events
    ]


def data_subject_erase(subject: DataSubject) -> dict[str, int]:
    """The subject's own rows. Consent proofs stay, unlinked (SET_NULL): no one is named."""
    from privacy.models import DataExport
    from privacy.services.requests import data_exports_delete

    exports = data_exports_delete(DataExport.objects.filter(subject=subject))
    consents = subject.consents.update(subject=None)
    deleted, _by_model = DataSubject.objects.filter(pk=subject.pk).delete()
    return {"data_subjects": deleted, "exports": exports, "consents_unlinked": consents}
