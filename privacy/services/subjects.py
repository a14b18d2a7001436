"""Data subjects: identification, export (Art. 15) and erasure (Art. 17) over the registry."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from platform_core.rows import rows_insert
from privacy.crypto import (
    email_blind_index,
)
from privacy.identity_fields import identity_fields_clean
from privacy.models import AuditEvent, DataExport, DataSubject
from privacy.registry import provider_list, staff_name
from privacy.services.audit import audit_record
from privacy.services.erasure import (
    database_compact_on_commit,
    erasure_ledger_record,
    mail_files_erase_on_commit,
)

# The audit trail in a customer's access export (report.html), in words; an action not
# listed here is shown as recorded.
AUDIT_ACTION_LABELS = {
    "consent.granted": gettext_lazy("You gave consent"),
    "consent.withdrawn": gettext_lazy("You withdrew consent"),
    "consent.purpose_added": gettext_lazy("You agreed to a further purpose"),
    "consent.purpose_withdrawn": gettext_lazy("You withdrew a further purpose"),
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
    "subject.verified": gettext_lazy("You confirmed your email address"),
    "attachment.downloaded": gettext_lazy("Opened a file you sent"),
    "subject.merged": gettext_lazy(
        "A chat in which you gave your email address was joined to your data"
    ),
}
TOKEN_MAX_LENGTH = 100


def _identity_clean(*, name: str, email: str, phone: str) -> tuple[str, str, str]:
    cleaned = identity_fields_clean(name=name, email=email, phone=phone)
    return cleaned["name"], cleaned["email"], cleaned["phone"]


def data_subject_identify(*, name: str = "", email: str = "", phone: str = "") -> DataSubject:
    """A new, unverified subject holding what the customer typed: a claim.

    Anyone can type anyone's address, so a typed email never attaches the
    conversation to an existing subject and never changes a stored identity.
    The person proves the address through the e-mailed link
    (subject_verification_send, subject_verify), or staff merge the claim after
    checking (subject_merge); only then does it join the verified subject.
    """
    name, email, phone = _identity_clean(name=name, email=email, phone=phone)
    subject = DataSubject(
        name=name,
        email=email,
        phone=phone,
        email_index=email_blind_index(email) if email else None,
    )
    rows_insert([subject])  # encrypted by its fields, as save() would
    return subject


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def subject_verification_send(*, subject: DataSubject, language: str) -> None:
    """Email the link that proves the address, once per subject: a repeated call (a task
    delivered again) finds the link sent and sends none."""
    subject = DataSubject.objects.select_for_update().filter(pk=subject.pk).first()
    if (
        subject is None
        or subject.is_verified
        or not subject.email
        or subject.verification_expires_at is not None
    ):
        return
    token = secrets.token_urlsafe(32)
    subject.verification_hash = _token_hash(token)
    subject.verification_expires_at = timezone.now() + timedelta(
        hours=settings.DATA_REQUEST_VERIFICATION_HOURS
    )
    subject.save(update_fields=["verification_hash", "verification_expires_at"])
    link = f"{settings.SITE_URL}/privacy/identity/verify/{token}/"
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        subject_line = _("Please confirm your email address")
        body = render_to_string(
            "privacy/email/identity_verify.txt",
            {"link": link, "hours": settings.DATA_REQUEST_VERIFICATION_HOURS},
        )
    email = subject.email
    transaction.on_commit(
        lambda: send_mail(subject_line, body, settings.DEFAULT_FROM_EMAIL, [email])
    )


def subject_by_verification_token(*, token: str) -> DataSubject | None:
    """The unverified subject a valid, unexpired link belongs to (to show before confirming)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return DataSubject.objects.filter(
        verification_hash=_token_hash(token),
        email_verified_at__isnull=True,
        verification_expires_at__gt=timezone.now(),
    ).first()


@transaction.atomic
def subject_verify(*, token: str) -> DataSubject | None:
    """Confirm a claimed address by its e-mailed token; None for an unknown or expired one.

    Where a verified subject with this address exists, the claim (its conversations,
    consents, requests …) joins it; else the claim becomes the verified subject.
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    subject = (
        DataSubject.objects.select_for_update()
        .filter(verification_hash=_token_hash(token), email_verified_at__isnull=True)
        .first()
    )
    if subject is None:
        return None
    if subject.verification_expires_at and subject.verification_expires_at < timezone.now():
        DataSubject.objects.filter(pk=subject.pk).update(verification_hash="")
        return None
    existing = subject_verified_by_index(email_index=subject.email_index, lock=True)
    if existing is not None:
        return _merge(source=subject, target=existing, acting_user=None, reason="", via="link")
    subject.email_verified_at = timezone.now()
    subject.email_verified_via = DataSubject.VerifiedVia.LINK
    subject.verification_hash = ""
    subject.save(update_fields=["email_verified_at", "email_verified_via", "verification_hash"])
    audit_record(
        action="subject.verified",
        acting_user=None,
        target=subject,
        details={"via": DataSubject.VerifiedVia.LINK},
    )
    return subject


def subject_verified_by_index(*, email_index: str | None, lock: bool = False) -> DataSubject | None:
    """The one verified subject with this blind index (claims are never found by email)."""
    if not email_index:
        return None
    queryset = DataSubject.objects.filter(email_index=email_index, email_verified_at__isnull=False)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()


@transaction.atomic
def subject_search_by_email(*, email: str, acting_user: AbstractBaseUser) -> list[DataSubject]:
    """The subjects (verified or not) whose email is `email`, found through the blind index
    (encrypted fields are never filtered on). Staff looking a person up is a read of personal
    data: one audit event per subject found, or one saying nothing was found; the email
    itself is stored nowhere."""
    subjects = list(
        DataSubject.objects.filter(email_index=email_blind_index(email)).order_by("created_at")
    )
    for subject in subjects:
        audit_record(
            action="subject.searched",
            acting_user=acting_user,
            target=subject,
            reason_code=AuditEvent.Reason.OPERATOR,
        )
    if not subjects:
        audit_record(
            action="subject.searched",
            acting_user=acting_user,
            reason_code=AuditEvent.Reason.OPERATOR,
            details={"found": 0},
        )
    return subjects


@transaction.atomic
def subject_merge(
    *,
    source: DataSubject,
    target: DataSubject,
    acting_user: AbstractBaseUser | None,
    reason: str,
) -> DataSubject:
    """Staff checked that the person behind an unverified claim is the verified `target`:
    the claim's conversations, consents, requests and messenger identities move to the
    target, the claim itself is deleted, and the target's identity stays as it was."""
    return _merge(source=source, target=target, acting_user=acting_user, reason=reason, via="staff")


def _merge(
    *,
    source: DataSubject,
    target: DataSubject,
    acting_user: AbstractBaseUser | None,
    reason: str,
    via: str,
) -> DataSubject:
    if source.pk == target.pk:
        raise ValidationError(_("A customer cannot be merged with themselves."))
    if source.is_verified:
        raise ValidationError(_("Only an unverified identity can be merged into another."))
    if not target.is_verified:
        raise ValidationError(_("An identity can only be merged into a verified one."))
    moved: dict[str, int] = {}
    # Every relation to a subject, whichever app owns it: privacy needs to know none of them.
    for relation in DataSubject._meta.related_objects:
        field = relation.field.name
        count = relation.related_model._base_manager.filter(**{field: source}).update(
            **{field: target}
        )
        if count:
            moved[relation.related_model._meta.label_lower] = count
    if source.learning_objected_at and not target.learning_objected_at:
        # An objection (Art. 21) made under the claim holds for the person.
        target.learning_objected_at = source.learning_objected_at
        target.save(update_fields=["learning_objected_at", "updated_at"])
    DataSubject.objects.filter(pk=source.pk).delete()
    audit_record(
        action="subject.merged",
        acting_user=acting_user,
        target=target,
        reason=reason,
        details={"source": str(source.public_id), "via": via, "moved": moved},
    )
    return target


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
    *,
    subject: DataSubject,
    acting_user: AbstractBaseUser | None,
    reason: str = "",
    reason_code: str = AuditEvent.Reason.DATA_REQUEST,
) -> dict[str, dict[str, int]]:
    """Erase the subject everywhere (Art. 17). Returns counts per provider, never content.

    Unverified identities that typed the same address lose it too: it is this
    person's, whoever typed it. The erasure goes into the ledger (for a backup
    restore), and the database files are compacted after commit. `reason` is a note
    beside the code (redacted before it is stored).
    """
    email_index, erased_at = subject.email_index, timezone.now()
    mail_files_erase_on_commit(email=subject.email)
    counts = {provider.name: provider.erase(subject) for provider in provider_list()}
    if email_index and subject.is_verified:
        claims = list(
            DataSubject.objects.filter(email_index=email_index, email_verified_at__isnull=True)
        )
        for claim in claims:
            claim.email, claim.email_index, claim.verification_hash = "", None, ""
            claim.save(update_fields=["email", "email_index", "verification_hash", "updated_at"])
        counts["claims"] = {"emails_removed": len(claims)}
    erasure_ledger_record(subject=subject, erased_at=erased_at)
    database_compact_on_commit()
    audit_record(
        action="subject.erased",
        acting_user=acting_user,
        subject=subject,
        reason_code=reason_code,
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
        "email_verified_at": (
            subject.email_verified_at.isoformat() if subject.email_verified_at else None
        ),
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
            # Why: the reason code chosen, and the note beside it (stored redacted).
            "reason_code": event.reason_code or None,
            "reason": event.reason or None,
            "at": event.created_at.isoformat(),
        }
        for event in events
    ]


def data_subject_erase(subject: DataSubject) -> dict[str, int]:
    """The subject's own rows. Consent proofs stay, unlinked (SET_NULL): no one is named."""
    # privacy.services.requests imports this module.
    from privacy.services.requests import data_exports_delete

    exports = data_exports_delete(DataExport.objects.filter(subject=subject))
    consents = subject.consents.update(subject=None)
    deleted, _by_model = DataSubject.objects.filter(pk=subject.pk).delete()
    return {"data_subjects": deleted, "exports": exports, "consents_unlinked": consents}
