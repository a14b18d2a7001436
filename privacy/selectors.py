import hashlib
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from privacy.models import (
    ConsentRecord,
    DataRequest,
    DataSubject,
    LegalHold,
    PolicyVersion,
    ProcessingAgreement,
    Processor,
    PurgeRun,
)
from privacy.registry import provider_list

# Objection and purposes (Art. 21, Art. 6(1)(a)): the one rule for whose texts may be
# learnt from. Teaching asks `learning_refusal`; training, clustering and analytics
# filter with `learning_excluded_q`, so the two cannot disagree.
LEARNING_OBJECTED = "learning_objected"
LEARNING_NOT_CONSENTED = "no_learning_consent"
_BOT_IMPROVEMENT_JSON = f'"{ConsentRecord.Purpose.BOT_IMPROVEMENT}"'


def learning_refusal(*, subject_id: int | None, consent_id: int | None) -> str:
    """Why a person's texts may not be learnt from ("" when they may), read afresh from
    the database: an objection filed a moment ago counts."""
    if subject_id is not None and (
        DataSubject.objects.filter(pk=subject_id, learning_objected_at__isnull=False).exists()
    ):
        return LEARNING_OBJECTED
    consent = (
        ConsentRecord.objects.filter(pk=consent_id).values("purposes", "withdrawn_at").first()
        if consent_id is not None
        else None
    )
    if (
        consent is None
        or consent["withdrawn_at"] is not None
        or ConsentRecord.Purpose.BOT_IMPROVEMENT not in (consent["purposes"] or [])
    ):
        return LEARNING_NOT_CONSENTED
    return ""


def learning_excluded_q(*, subject: str, consent: str, consent_required: bool = True) -> Q:
    """Rows to leave out of learning, given the paths to their DataSubject and their
    ConsentRecord: the person objected, or the consent was withdrawn or never covered
    bot improvement. `consent_required=False` keeps rows without a consent (operator-written
    examples, and examples taught before their origin was recorded)."""
    excluded = (
        Q(**{f"{subject}__learning_objected_at__isnull": False})
        | Q(**{f"{consent}__withdrawn_at__isnull": False})
        # JSON "contains" is not available on SQLite; the purpose's quoted name is
        # unique among the purposes, so a text match on the JSON list is exact.
        | (
            Q(**{f"{consent}__isnull": False})
            & ~Q(**{f"{consent}__purposes__icontains": _BOT_IMPROVEMENT_JSON})
        )
    )
    if consent_required:
        excluded |= Q(**{f"{consent}__isnull": True})
    return excluded


def legal_hold_subject_ids() -> QuerySet:
    """Ids of subjects under an active legal hold (a subquery, not a list)."""
    return LegalHold.objects.filter(released_at__isnull=True, subject__isnull=False).values(
        "subject_id"
    )


def legal_hold_references() -> QuerySet:
    """Public ids of conversations under an active legal hold (a subquery)."""
    return LegalHold.objects.filter(released_at__isnull=True, reference__isnull=False).values(
        "reference"
    )


def agreements_due_for_review(*, within_days: int = 30) -> QuerySet:
    """Active or expiring agreements whose review date is within the next days (or past)."""
    horizon = timezone.localdate() + timedelta(days=within_days)
    return (
        ProcessingAgreement.objects.filter(
            status__in=[ProcessingAgreement.Status.ACTIVE, ProcessingAgreement.Status.EXPIRING],
            review_at__lte=horizon,
        )
        .select_related("processor")
        .order_by("review_at")
    )


def channels_without_agreement(*, active_channels: list[str]) -> list[str]:
    """Active channels whose processor has no active agreement (Art. 28 is missing).

    The website chat runs on the operator's own Supportdesk; it needs an agreement
    only where a hosting processor is registered for it.
    """
    covered = set(
        ProcessingAgreement.objects.filter(
            status__in=[ProcessingAgreement.Status.ACTIVE, ProcessingAgreement.Status.EXPIRING]
        ).values_list("processor__channel", flat=True)
    )
    registered = set(Processor.objects.values_list("channel", flat=True))
    return [
        channel
        for channel in active_channels
        if channel not in covered and (channel != "web" or channel in registered)
    ]


def privacy_dashboard(*, active_channels: list[str]) -> dict:
    """Everything the privacy officer checks, in one read."""
    open_requests = (
        DataRequest.objects.exclude(
            status__in=[DataRequest.Status.COMPLETED, DataRequest.Status.EXPIRED]
        )
        .order_by("due_at")
        .only("public_id", "kind", "status", "created_at", "due_at")
    )
    # privacy.services imports this module.
    from privacy.services.notice import notice_changes

    outdated_notices = {
        policy.language: notice_changes(covered=policy.covered_facts)
        for policy in PolicyVersion.objects.filter(is_active=True)
    }
    return {
        "outdated_notices": {
            lang: changes for lang, changes in outdated_notices.items() if changes
        },
        "agreements_due": list(agreements_due_for_review()),
        "channels_without_agreement": channels_without_agreement(active_channels=active_channels),
        "open_requests": list(open_requests),
        "purge_runs": list(PurgeRun.objects.order_by("-started_at")[:5]),
        "counts": {
            **{
                name: count
                for provider in provider_list()
                if provider.counts is not None
                for name, count in provider.counts().items()
            },
            "data_subjects": DataSubject.objects.count(),
            "consent_records": ConsentRecord.objects.count(),
            "requests_by_kind": dict(
                DataRequest.objects.values_list("kind")
                .annotate(n=Count("id"))
                .values_list("kind", "n")
            ),
        },
    }


def _encryption_status_cache_key() -> str:
    # Per key list: after a key is added or removed (a restart), an older count says
    # nothing. A digest of the keys, never the keys, goes into the cache key.
    from privacy.crypto import encryption_keys

    digest = hashlib.sha256("\n".join(encryption_keys()).encode("utf-8")).hexdigest()[:16]
    return f"privacy:encryption_status:{digest}"


ENCRYPTION_STATUS_CACHE_SECONDS = 7 * 24 * 60 * 60


def encryption_status_get(*, refresh: bool = False):
    """The key status of every encrypted value and file (privacy.services.keys), as the
    dashboard and `encryption_status` show it.

    Counting reads every encrypted value and file, so it grows with the data: it runs
    when asked (the command, the dashboard's button) and the result is kept in the cache
    for the dashboard, with the time it was counted. None until counted once.
    """

    # privacy.services imports this module.
    from privacy.services.keys import EncryptionStatus, encryption_status_compute

    key = _encryption_status_cache_key()
    if not refresh:
        cached = cache.get(key)
        return EncryptionStatus.from_dict(cached) if cached is not None else None
    status = encryption_status_compute()
    cache.set(key, status.as_dict(), ENCRYPTION_STATUS_CACHE_SECONDS)
    return status


def encryption_status_forget() -> None:
    """After a rotation the counted status is out of date."""

    cache.delete(_encryption_status_cache_key())
