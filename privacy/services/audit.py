"""The append-only audit log of actions on personal data."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from privacy.models import AuditEvent, DataSubject


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
