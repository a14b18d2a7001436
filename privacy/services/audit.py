"""The append-only audit log of actions on personal data."""

import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from platform_core.rows import rows_insert
from privacy.models import AuditEvent, DataSubject
from privacy.redaction import text_redact

AUDIT_NOTE_MAX_LENGTH = AuditEvent._meta.get_field("reason").max_length
# An opaque id (a conversation's or subject's public id) is kept whole: its digit groups
# can look like a phone number ("90521060-1523-…") and it names nobody.
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _details_redacted(value: Any, known_names: list[str]) -> Any:
    """Every text in the details through the gate: they are ids and codes by design, and
    this keeps it so whatever a caller passes (a slug, a queue name). As labels: a code
    without sentence context ("checksum_mismatch") gets the recogniser's stricter mode
    (`label_text`), with the subject's known name."""
    if isinstance(value, str):
        if not value or UUID_TEXT.fullmatch(value):
            return value
        return text_redact(value, known_names=known_names, label_text=True)
    if isinstance(value, dict):
        return {key: _details_redacted(item, known_names) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_details_redacted(item, known_names) for item in value]
    return value


def audit_record(
    *,
    action: str,
    acting_user: AbstractBaseUser | None,
    target: models.Model | None = None,
    subject: DataSubject | None = None,
    reason_code: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records.

    `reason_code` is one of AuditEvent.Reason; `reason` is an optional note, stored only as
    the redaction gate leaves it (with the subject's own name known to the gate).
    """
    if reason_code and reason_code not in AuditEvent.Reason.values:
        raise ValueError(f"Unknown audit reason code {reason_code!r}.")
    if subject is None and isinstance(target, DataSubject):
        subject = target
    known_names = [subject.name] if subject is not None and subject.name else []
    note = str(reason or "").strip()
    if note:
        note = text_redact(note, known_names=known_names)[:AUDIT_NOTE_MAX_LENGTH]
    event = AuditEvent(
        action=action,
        acting_user=acting_user if acting_user and acting_user.is_authenticated else None,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        subject_public_id=subject.public_id if subject is not None else None,
        reason_code=reason_code,
        reason=note,
        details=_details_redacted(details or {}, known_names),
    )
    rows_insert([event])  # appended, never saved again (AuditEvent.save refuses that)
    return event
