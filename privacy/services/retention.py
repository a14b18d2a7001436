"""Retention: delete what expired, category by category, in bounded batches.

Each category's deletion is a handler registered by the app that owns the data
(privacy.registry.RetentionHandler). Deleting by primary key from a fresh
SELECT makes a run idempotent: two workers at once delete each row once, and
running it again deletes nothing new.
"""

from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from privacy.models import (
    AuditEvent,
    ConsentRecord,
    DataExport,
    DataRequest,
    DataSubject,
    LegalHold,
    PurgeRun,
    RetentionPolicy,
)
from privacy.redaction import text_redact
from privacy.registry import retention_handler_get
from privacy.selectors import legal_hold_subject_ids
from privacy.services.audit import audit_record
from privacy.services.erasure import database_compact_on_commit

DEFAULT_BATCH_SIZE = 1000


def queryset_purge(
    queryset: models.QuerySet, *, batch_size: int, max_batches: int | None, dry_run: bool
) -> tuple[int, bool]:
    """Delete the queryset's rows in batches; returns (rows of its model deleted, more left)."""
    if dry_run:
        return queryset.count(), False
    model = queryset.model
    deleted, batches = 0, 0
    while max_batches is None or batches < max_batches:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted, False
        with transaction.atomic():
            _total, per_model = model._base_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)
        batches += 1
    return deleted, queryset.exists()


def _idle_subjects(cutoff: datetime) -> models.QuerySet:
    """Subjects unchanged since the cutoff that nothing else refers to any more.

    Every reverse relation but their own consents and holds counts (conversations,
    notes …), so privacy needs to know none of the apps that hold data.
    """
    queryset = DataSubject.objects.filter(updated_at__lt=cutoff).exclude(
        pk__in=legal_hold_subject_ids()
    )
    for relation in DataSubject._meta.related_objects:
        if relation.related_model in (ConsentRecord, LegalHold):
            continue
        queryset = queryset.filter(**{f"{relation.name}__isnull": True})
    return queryset


def _purge_subjects_idle(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    return queryset_purge(
        _idle_subjects(cutoff), batch_size=batch_size, max_batches=max_batches, dry_run=dry_run
    )


def _purge_consent_records(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    # Kept as proof for the period from when consent was last given or withdrawn.
    expired = (
        ConsentRecord.objects.annotate(last_change=Coalesce("withdrawn_at", "granted_at"))
        .filter(last_change__lt=cutoff)
        .exclude(subject_id__in=legal_hold_subject_ids())
    )
    return queryset_purge(expired, batch_size=batch_size, max_batches=max_batches, dry_run=dry_run)


def _purge_audit_events(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    held = LegalHold.objects.filter(released_at__isnull=True, subject__isnull=False).values(
        "subject__public_id"
    )
    expired = AuditEvent.objects.filter(created_at__lt=cutoff).exclude(subject_public_id__in=held)
    return queryset_purge(expired, batch_size=batch_size, max_batches=max_batches, dry_run=dry_run)


def _purge_exports(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    # privacy.services.requests imports this module.
    from privacy.services.requests import data_exports_delete

    expired = DataExport.objects.filter(created_at__lt=cutoff).order_by("pk")
    if dry_run:
        return expired.count(), False
    deleted, batches = 0, 0
    while max_batches is None or batches < max_batches:
        batch = list(expired[:batch_size])
        if not batch:
            return deleted, False
        deleted += data_exports_delete(batch)
        batches += 1
    return deleted, expired.exists()


def _data_requests_unconfirmed_clear(now: datetime) -> int:
    """Requests whose confirmation link expired unused: their address and its blind index
    go (a completed request lost them on completion); the request stays as "expired"."""
    stale = DataRequest.objects.filter(
        status__in=[DataRequest.Status.UNVERIFIED, DataRequest.Status.EXPIRED],
        created_at__lt=now - timedelta(hours=settings.DATA_REQUEST_VERIFICATION_HOURS),
    ).exclude(email_index="")
    return stale.update(
        email="", email_index="", verification_hash="", status=DataRequest.Status.EXPIRED
    )


def _mail_files_purge(now: datetime) -> int:
    """Development mails in files (no EMAIL_URL) hold addresses and links: not for long."""
    mailer = getattr(settings, "MAILERS", {}).get("default", {})
    if mailer.get("BACKEND") != "django.core.mail.backends.filebased.EmailBackend":
        return 0
    folder = Path(mailer.get("OPTIONS", {}).get("file_path", ""))
    if not folder.is_dir():
        return 0
    cutoff = (now - timedelta(hours=settings.MAIL_FILES_KEEP_HOURS)).timestamp()
    deleted = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


PRIVACY_HANDLERS = {
    RetentionPolicy.Category.EXPORTS: _purge_exports,
    RetentionPolicy.Category.SUBJECTS_IDLE: _purge_subjects_idle,
    RetentionPolicy.Category.CONSENT_RECORDS: _purge_consent_records,
    RetentionPolicy.Category.AUDIT_EVENTS: _purge_audit_events,
}


def retention_purge(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeRun:
    """Delete every category's expired data; record counts (never content) and audit them.

    Subjects go last: deleting conversations first is what makes a subject idle.
    """
    now = now or timezone.now()
    run = PurgeRun.objects.create(started_at=now, dry_run=dry_run)
    policies = sorted(
        RetentionPolicy.objects.filter(is_active=True),
        key=lambda policy: policy.category == RetentionPolicy.Category.SUBJECTS_IDLE,
    )
    for policy in policies:
        handler = retention_handler_get(policy.category)
        if handler is None:
            continue  # an app that is not installed, or a category not implemented yet
        count, more = handler.purge(
            cutoff=now - timedelta(days=policy.duration_days),
            batch_size=batch_size,
            max_batches=max_batches,
            dry_run=dry_run,
        )
        run.counts[policy.category] = count
        run.more_pending = run.more_pending or more
    if not dry_run:
        run.counts["data_requests_unconfirmed"] = _data_requests_unconfirmed_clear(now)
        run.counts["mail_files"] = _mail_files_purge(now)
    run.finished_at = timezone.now()
    with transaction.atomic():
        if not dry_run and any(run.counts.values()):
            # Deleted rows leave no bytes: WAL checkpoint (SQLite), VACUUM (PostgreSQL).
            database_compact_on_commit()
        run.save(update_fields=["counts", "more_pending", "finished_at"])
        audit_record(
            action="retention.dry_run" if dry_run else "retention.purged",
            acting_user=None,
            target=run,
            details={"counts": run.counts},
        )
    return run


@transaction.atomic
def legal_hold_place(
    *,
    acting_user: AbstractBaseUser | None,
    reason: str,
    subject: DataSubject | None = None,
    reference=None,
) -> LegalHold:
    # Staff type the reason ("lawsuit of Mr …"): it is kept only as the gate leaves it.
    known_names = [subject.name] if subject is not None and subject.name else []
    reason = text_redact(str(reason or "").strip(), known_names=known_names)
    hold = LegalHold.objects.create(
        subject=subject, reference=reference, reason=reason, created_by=acting_user
    )
    audit_record(
        action="legal_hold.placed",
        acting_user=acting_user,
        target=hold,
        subject=subject,
        reason_code=AuditEvent.Reason.LEGAL_OBLIGATION,
        reason=reason,
    )
    return hold


@transaction.atomic
def legal_hold_release(*, hold: LegalHold, acting_user: AbstractBaseUser | None) -> LegalHold:
    if hold.released_at is None:
        hold.released_at = timezone.now()
        hold.save(update_fields=["released_at"])
        audit_record(
            action="legal_hold.released",
            acting_user=acting_user,
            target=hold,
            subject=hold.subject,
        )
    return hold
