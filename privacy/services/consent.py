"""Privacy-policy versions and consent: recorded, proven, withdrawn."""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from platform_core.rows import row_update, rows_insert
from privacy.models import ConsentRecord, DataSubject, PolicyVersion
from privacy.services.audit import audit_record


class ConsentError(ValidationError):
    """Consent cannot be recorded as asked; `code` says why (stable, for clients)."""


# Every chat message checks its consent against the active policy: cached, and
# dropped whenever a version is saved or deleted (privacy.apps connects that).
# The timeout bounds staleness after an edit that bypasses save().
POLICY_CACHE_SECONDS = 60
_NOT_CACHED = object()
# And each process keeps what it read for a second (no cache round trip, nothing to
# unpickle, for every message and set-up step): a version activated in another process
# applies there within it; in this one at once (policy_cache_clear).
POLICY_MEMO_SECONDS = 1.0
_policy_memo: dict[str, tuple[float, PolicyVersion | None]] = {}


def _policy_cache_key(language: str) -> str:
    return f"privacy:policy-active:{language}"


def policy_version_active(*, language: str) -> PolicyVersion | None:
    now = time.monotonic()
    remembered = _policy_memo.get(language)
    if remembered is not None and now - remembered[0] < POLICY_MEMO_SECONDS:
        return remembered[1]
    key = _policy_cache_key(language)
    policy = cache.get(key, _NOT_CACHED)
    if policy is _NOT_CACHED:
        # Without the long texts: they are read only where the policy is shown.
        active = PolicyVersion.objects.filter(is_active=True).defer("text", "covered_facts")
        policy = (
            active.filter(language=language).first()
            or active.filter(language=settings.LANGUAGE_CODE).first()
        )
        cache.set(key, policy, POLICY_CACHE_SECONDS)
    _policy_memo[language] = (now, policy)
    return policy


def policy_cache_clear(**kwargs) -> None:
    """Forget the cached active versions (a signal receiver: takes and ignores its kwargs)."""
    _policy_memo.clear()
    cache.delete_many([_policy_cache_key(code) for code, _name in settings.LANGUAGES])


def consent_record(
    *,
    reference: uuid.UUID,
    language: str,
    policy_version: str,
    channel: str,
    purposes: list[str] | None = None,
    ip_address: str | None = None,
) -> ConsentRecord:
    """Record consent to the active policy. An outdated or unknown version is refused.

    Without `purposes` the consent covers the support chat only."""
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
    # Nothing named: only what the request needs. Improving the bot is never implied
    # (Art. 7(4) GDPR): the customer asks for it on its own.
    purposes = purposes or [ConsentRecord.Purpose.SUPPORT_CHAT]
    if not set(purposes) <= set(ConsentRecord.Purpose.values):
        raise ConsentError(_("Unknown consent purpose."), code="invalid_purpose")
    # Refused above, before any write: the record and its audit event are one transaction,
    # without a savepoint inside the caller's (the chat's consent step: two statements less).
    with transaction.atomic(savepoint=False):
        record = ConsentRecord(
            reference=reference,
            policy_version=active,
            purposes=sorted(set(purposes)),
            channel=channel,
            ip_address=ip_address if settings.CONSENT_STORE_IP_ADDRESS else None,
        )
        rows_insert([record])
        audit_record(action="consent.granted", acting_user=None, target=record)
    return record


def consent_purpose_add(*, record: ConsentRecord, purpose: str) -> ConsentRecord:
    """Add a purpose asked for on its own after the consent (a messenger's second
    question, the web chat's box). The audit event is the proof of when; a withdrawn
    consent or a purpose already there changes nothing."""
    return _purpose_change(record=record, purpose=purpose, granted=True)


def consent_purpose_withdraw(*, record: ConsentRecord, purpose: str) -> ConsentRecord:
    """Withdraw one optional purpose and keep the rest (Art. 7(3): as easy as giving it,
    without losing the chat). From now on nothing of the consent's conversation is learnt
    from (privacy.selectors.learning_excluded_q reads the purposes when it is used). The
    purpose the service itself needs is withdrawn with the whole consent
    (consent_withdraw). A purpose not there changes nothing."""
    if purpose == ConsentRecord.Purpose.SUPPORT_CHAT:
        raise ConsentError(
            _("The support chat's purpose is withdrawn with the whole consent."),
            code="invalid_purpose",
        )
    return _purpose_change(record=record, purpose=purpose, granted=False)


@transaction.atomic
def _purpose_change(*, record: ConsentRecord, purpose: str, granted: bool) -> ConsentRecord:
    """One purpose added or withdrawn, under the record's lock, audited once."""
    if purpose not in ConsentRecord.Purpose.values:
        raise ConsentError(_("Unknown consent purpose."), code="invalid_purpose")
    locked = ConsentRecord.objects.select_for_update().get(pk=record.pk)
    if locked.withdrawn_at is None and (purpose in locked.purposes) != granted:
        kept = [other for other in locked.purposes if other != purpose]
        locked.purposes = sorted({*kept, purpose}) if granted else kept
        locked.save(update_fields=["purposes"])
        audit_record(
            action="consent.purpose_added" if granted else "consent.purpose_withdrawn",
            acting_user=None,
            target=locked,
            details={"purpose": purpose},
        )
    return locked


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
    record.subject = subject
    row_update(record, "subject")
