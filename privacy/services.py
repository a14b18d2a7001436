"""State changes of the privacy app: data subjects, audit, export, erasure."""

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.crypto import (
    ciphertext_is_current,
    ciphertext_rotate,
    email_blind_index,
    email_normalise,
)
from privacy.fields import is_encrypted_field
from privacy.models import AuditEvent, ConsentRecord, DataSubject, PolicyVersion
from privacy.registry import models_with_encrypted_fields, provider_list

NAME_MAX_LENGTH = 200
PHONE_MAX_LENGTH = 40


def audit_record(
    *,
    action: str,
    acting_user: AbstractBaseUser | None,
    target: models.Model | None = None,
    subject: DataSubject | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records."""
    if subject is None and isinstance(target, DataSubject):
        subject = target
    return AuditEvent.objects.create(
        action=action,
        acting_user=acting_user if acting_user and acting_user.is_authenticated else None,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        subject_public_id=subject.public_id if subject is not None else None,
        reason=reason,
        details=details or {},
    )


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


class ConsentError(ValidationError):
    """Consent cannot be recorded as asked; `code` says why (stable, for clients)."""


def policy_version_active(*, language: str) -> PolicyVersion | None:
    fallback = settings.LANGUAGE_CODE
    return (
        PolicyVersion.objects.filter(is_active=True, language=language).first()
        or PolicyVersion.objects.filter(is_active=True, language=fallback).first()
    )


@transaction.atomic
def consent_record(
    *,
    reference: uuid.UUID,
    language: str,
    policy_version: str,
    channel: str,
    purposes: list[str] | None = None,
    ip_address: str | None = None,
) -> ConsentRecord:
    """Record consent to the active policy. An outdated or unknown version is refused."""
    active = policy_version_active(language=language)
    if active is None:
        raise ConsentError(
            _("No privacy policy is published yet, so the chat cannot start."),
            code="no_policy",
        )
    if policy_version != active.version:
        raise ConsentError(
            _("This privacy policy version is outdated. Please read the current one."),
            code="policy_outdated",
        )
    purposes = purposes or [
        ConsentRecord.Purpose.SUPPORT_CHAT,
        ConsentRecord.Purpose.BOT_IMPROVEMENT,
    ]
    if not set(purposes) <= set(ConsentRecord.Purpose.values):
        raise ConsentError(_("Unknown consent purpose."), code="invalid_purpose")
    record = ConsentRecord.objects.create(
        reference=reference,
        policy_version=active,
        purposes=sorted(set(purposes)),
        channel=channel,
        ip_address=ip_address if settings.CONSENT_STORE_IP_ADDRESS else None,
    )
    audit_record(action="consent.granted", acting_user=None, target=record)
    return record


@transaction.atomic
def consent_withdraw(*, record: ConsentRecord) -> ConsentRecord:
    """Withdraw consent (Art. 7(3)). Idempotent: a second withdrawal keeps the first time."""
    locked = ConsentRecord.objects.select_for_update().get(pk=record.pk)
    if locked.withdrawn_at is None:
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["withdrawn_at"])
        audit_record(action="consent.withdrawn", acting_user=None, target=locked)
    return locked


def consent_link_subject(*, record: ConsentRecord, subject: DataSubject) -> None:
    ConsentRecord.objects.filter(pk=record.pk).update(subject=subject)
    record.subject = subject


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
    }


def data_subject_erase(subject: DataSubject) -> dict[str, int]:
    deleted, _by_model = DataSubject.objects.filter(pk=subject.pk).delete()
    return {"data_subjects": deleted}


def encryption_keys_rotate(
    *, batch_size: int = 500, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Re-encrypt every encrypted value that the newest key cannot open, in batches.

    Works on the stored tokens (MultiFernet.rotate), so no plaintext is
    handled and `updated_at` stays as it was. Each batch commits on its own and
    a value already under the newest key is skipped: an interrupted run is
    resumed by running it again. Returns re-encrypted values per model.
    """
    rotated_per_model: dict[str, int] = {}
    for model in models_with_encrypted_fields():
        columns = [f.column for f in model._meta.concrete_fields if is_encrypted_field(f)]
        rotated_per_model[model._meta.label] = _model_keys_rotate(
            model=model, columns=columns, batch_size=batch_size, progress=progress
        )
    return rotated_per_model


def _model_keys_rotate(
    *,
    model: type[models.Model],
    columns: list[str],
    batch_size: int,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    select_columns = ", ".join(quote(column) for column in columns)
    last_pk, rotated, seen = None, 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk_column} > %s " if last_pk is not None else ""
            cursor.execute(
                f"SELECT {pk_column}, {select_columns} FROM {table} {where}"  # noqa: S608
                f"ORDER BY {pk_column} LIMIT %s",
                [last_pk, batch_size] if last_pk is not None else [batch_size],
            )
            rows = cursor.fetchall()
            for pk, *tokens in rows:
                changes = {
                    column: ciphertext_rotate(token)
                    for column, token in zip(columns, tokens, strict=True)
                    if token and not ciphertext_is_current(token)
                }
                if changes:
                    assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
                        [*changes.values(), pk],
                    )
                    rotated += len(changes)
        if not rows:
            return rotated
        seen += len(rows)
        last_pk = rows[-1][0]
        if progress is not None:
            progress(model._meta.label, seen, rotated)
