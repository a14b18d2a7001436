"""Data subjects: identification, export (Art. 15) and erasure (Art. 17) over the registry."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.crypto import (
    email_blind_index,
    email_normalise,
)
from privacy.models import AuditEvent, DataSubject
from privacy.registry import provider_list
from privacy.services.audit import audit_record

NAME_MAX_LENGTH = 200
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


def subject_export(*, subject: DataSubject, acting_user: AbstractBaseUser | None) -> dict:
    """Everything every registered provider holds about the subject (Art. 15)."""
    with transaction.atomic():
        data = {provider.name: provider.export(subject) for provider in provider_list()}
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
    `reason` is a note beside the code (redacted before it is stored)."""
    counts = {provider.name: provider.erase(subject) for provider in provider_list()}
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
    }


def data_subject_erase(subject: DataSubject) -> dict[str, int]:
    """The subject's own rows. Consent proofs stay, unlinked (SET_NULL): no one is named."""
    from privacy.models import DataExport
    from privacy.services.requests import data_exports_delete

    exports = data_exports_delete(DataExport.objects.filter(subject=subject))
    consents = subject.consents.update(subject=None)
    deleted, _by_model = DataSubject.objects.filter(pk=subject.pk).delete()
    return {"data_subjects": deleted, "exports": exports, "consents_unlinked": consents}
