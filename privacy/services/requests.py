"""Data subject requests: access (Art. 15) as a ZIP, erasure (Art. 17), objection (Art. 21).

A customer's request is verified through a link sent to the email address
(nothing is revealed before: the same answer whether or not we know the
address). Processing runs in Celery; every step is audited.
"""

import hashlib
import io
import json
import secrets
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from encrypted_model_fields import fields as library_fields

from privacy.crypto import ciphertext_decrypt_bytes, email_blind_index, email_normalise
from privacy.models import AuditEvent, DataExport, DataRequest, DataSubject
from privacy.registry import request_event_announce
from privacy.services.audit import audit_record
from privacy.services.report import report_language, report_sections, report_time
from privacy.services.subjects import subject_erase, subject_export, subject_verified_by_index

EXPORTS_FOLDER = "exports"
TOKEN_MAX_LENGTH = 100


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _one_month_after(moment: datetime) -> datetime:
    # Art. 12(3): "within one month"; a day the next month lacks falls back to its last day.
    month, year = (moment.month % 12) + 1, moment.year + (moment.month == 12)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@transaction.atomic
def data_request_create(
    *,
    kind: str,
    email: str,
    language: str = "de",
    created_by: AbstractBaseUser | None = None,
    source: str = "",
    source_channel: str = "",
) -> DataRequest:
    """A new request. Staff-opened requests count as verified (staff checked the identity).

    `source` says where it came from (the privacy page by default, staff when opened by
    staff); a chat passes DataRequest.Source.CHAT and its channel.
    """
    if kind not in DataRequest.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of request.")})
    email = email_normalise(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Please enter a valid email address.")}) from None
    now = timezone.now()
    if not source:
        staff = created_by is not None
        source = DataRequest.Source.STAFF if staff else DataRequest.Source.PRIVACY_PAGE
    request = DataRequest.objects.create(
        kind=kind,
        email=email,
        email_index=email_blind_index(email),
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        created_by=created_by,
        created_at=now,
        due_at=_one_month_after(now),
        source=source,
        source_channel=source_channel,
    )
    audit_record(action="data_request.created", acting_user=created_by, target=request)
    if created_by is not None:
        _verified(request, acting_user=created_by)
    else:
        # privacy.tasks imports this module.
        from privacy.tasks import data_request_verification_send_task

        data_request_verification_send_task.delay_on_commit(request.pk)
    return request


def _verified(request: DataRequest, *, acting_user: AbstractBaseUser | None) -> None:
    # privacy.tasks imports this module.
    from privacy.tasks import data_request_process_task

    request.status = DataRequest.Status.VERIFIED
    request.verified_at = request.queued_at = timezone.now()
    request.verification_hash = ""
    # Only a verified subject: a claim with this address may be anyone's (an impostor's).
    request.subject = subject_verified_by_index(email_index=request.email_index)
    request.save(
        update_fields=["status", "verified_at", "queued_at", "verification_hash", "subject"]
    )
    audit_record(
        action="data_request.verified",
        acting_user=acting_user,
        target=request,
        subject=request.subject,
    )
    data_request_process_task.delay_on_commit(request.pk)


@transaction.atomic
def data_request_verification_send(*, request: DataRequest) -> None:
    """Email a fresh confirmation link (an earlier one stops working). Safe to retry."""
    if request.status != DataRequest.Status.UNVERIFIED:
        return
    token = secrets.token_urlsafe(32)
    request.verification_hash = _token_hash(token)
    request.verification_expires_at = timezone.now() + timedelta(
        hours=settings.DATA_REQUEST_VERIFICATION_HOURS
    )
    request.save(update_fields=["verification_hash", "verification_expires_at"])
    link = f"{settings.SITE_URL}/privacy/requests/verify/{token}/"
    with translation.override(request.language):
        subject_line = _("Please confirm your data protection request")
        body = render_to_string(
            "privacy/email/request_verify.txt",
            {"request": request, "link": link, "hours": settings.DATA_REQUEST_VERIFICATION_HOURS},
        )
    email = request.email
    transaction.on_commit(
        lambda: send_mail(subject_line, body, settings.DEFAULT_FROM_EMAIL, [email])
    )


@transaction.atomic
def data_request_verify(*, token: str) -> DataRequest | None:
    """Confirm a request by its emailed token; None for an unknown or expired token."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    request = (
        DataRequest.objects.select_for_update()
        .filter(verification_hash=_token_hash(token), status=DataRequest.Status.UNVERIFIED)
        .first()
    )
    if request is None:
        return None
    if request.verification_expires_at and request.verification_expires_at < timezone.now():
        request.status = DataRequest.Status.EXPIRED
        request.save(update_fields=["status"])
        return None
    _verified(request, acting_user=None)
    return request


def _still_verified(request: DataRequest) -> bool:
    """Inside the finishing transaction: lock the request, is it still to be done?

    Two runs of one request (a redelivered task beside one the sweeper queued) may build
    at once; only the first to finish completes it, the other gives up here.
    """
    return (
        DataRequest.objects.select_for_update()
        .filter(pk=request.pk, status=DataRequest.Status.VERIFIED)
        .exists()
    )


def data_request_process(*, request: DataRequest) -> None:
    """Carry out a verified request. Idempotent: a completed request is left alone, and of
    two runs at once only one completes it (the request row is locked when finishing)."""
    if request.status != DataRequest.Status.VERIFIED:
        return
    if request.kind == DataRequest.Kind.ACCESS:
        data_export_build(request=request)
    elif request.kind == DataRequest.Kind.ERASURE:
        _erasure_carry_out(request)
    else:
        _objection_carry_out(request)


@transaction.atomic
def _erasure_carry_out(request: DataRequest) -> None:
    if not _still_verified(request):
        return
    counts = {}
    if request.subject is not None:
        counts = subject_erase(
            subject=request.subject,
            acting_user=request.created_by,
            reason_code=AuditEvent.Reason.DATA_REQUEST,
            reason=f"request {request.pk}",
        )
    _webhook("erasure.completed", {"request": str(request.public_id)})
    # The receipt keeps the request id, time and counts; no subject, no email.
    DataRequest.objects.filter(pk=request.pk).update(
        status=DataRequest.Status.COMPLETED,
        completed_at=timezone.now(),
        result={"erased": counts},
        email="",
        email_index="",
        subject=None,
    )


def _learning_objection_record(*, subject: DataSubject | None, request: DataRequest) -> None:
    if subject is not None:
        DataSubject.objects.filter(pk=subject.pk).update(learning_objected_at=timezone.now())
    audit_record(
        action="subject.learning_objected", acting_user=None, target=request, subject=subject
    )


@transaction.atomic
def _objection_carry_out(request: DataRequest) -> None:
    if not _still_verified(request):
        return
    DataRequest.objects.filter(pk=request.pk).update(
        status=DataRequest.Status.COMPLETED, completed_at=timezone.now(), email="", email_index=""
    )
    _learning_objection_record(subject=request.subject, request=request)


@transaction.atomic
def data_request_objection_record(
    *, subject: DataSubject, language: str, source: str, source_channel: str = ""
) -> DataRequest:
    """An objection to learning (Art. 21) made where the person is already known, as in
    their own chat: in force at once for that subject, without an e-mail round trip (an
    objection only ever restricts use). Kept as a completed request, so the privacy
    officer sees it and where it came from."""
    now = timezone.now()
    request = DataRequest.objects.create(
        kind=DataRequest.Kind.OBJECTION,
        status=DataRequest.Status.COMPLETED,
        subject=subject,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        created_at=now,
        verified_at=now,
        completed_at=now,
        due_at=_one_month_after(now),
        source=source,
        source_channel=source_channel,
    )
    audit_record(action="data_request.created", acting_user=None, target=request, subject=subject)
    _learning_objection_record(subject=subject, request=request)
    return request


def _webhook(event: str, payload: dict, *, subject: DataSubject | None = None) -> None:
    request_event_announce(
        event=event, payload=payload, subject_public_id=subject.public_id if subject else None
    )


def _export_path(file_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORTS_FOLDER / file_name


def data_export_archive(
    *, subject: DataSubject | None, language: str | None = None, audit: bool = True
) -> bytes:
    """The ZIP: data.json (everything every provider returns) and report.html (readable,
    in `language` if given, else the subject's; privacy.services.report)."""
    if subject is not None:
        export = subject_export(subject=subject, acting_user=None, audit=audit)
    else:
        export = {"subject": None, "exported_at": timezone.now().isoformat(), "data": {}}
    language = report_language(subject=subject, requested=language)
    with translation.override(language):
        report = render_to_string(
            "privacy/dsar_report.html",
            {
                "sections": report_sections(export),
                "exported_at": report_time(export["exported_at"]),
                "time_zone": settings.TIME_ZONE,
                "language": language,
            },
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(export, ensure_ascii=False, indent=2))
        archive.writestr("report.html", report)
    return buffer.getvalue()


def data_export_build(*, request: DataRequest) -> DataExport:
    """Build, encrypt and store the export, then email a download link that expires."""
    export, _created = DataExport.objects.get_or_create(
        request=request, defaults={"subject": request.subject}
    )
    # Audited once, as "export.built" below, in the transaction that stores the file.
    archive = data_export_archive(subject=request.subject, language=request.language, audit=False)
    file_name = f"{uuid.uuid4().hex}.zip.enc"
    path = _export_path(file_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Encrypted at rest like every other personal datum; decrypted only on download.
    path.write_bytes(library_fields.CRYPTER.encrypt(archive))
    token = secrets.token_urlsafe(32)
    link = f"{settings.SITE_URL}/privacy/exports/{token}/"
    with transaction.atomic():
        if not _still_verified(request):
            # Another run completed it meanwhile: keep its file, drop this one.
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
            export.refresh_from_db()
            return export
        export.refresh_from_db(fields=["file_name"])
        old_file = export.file_name
        export.file_name = file_name
        export.size_bytes = len(archive)
        export.status = DataExport.Status.READY
        export.download_token_hash = _token_hash(token)
        export.finished_at = timezone.now()
        export.expires_at = export.finished_at + timedelta(days=settings.DATA_EXPORT_DOWNLOAD_DAYS)
        export.save()
        # Done: the address and its blind index go (the request stays, without them).
        DataRequest.objects.filter(pk=request.pk).update(
            status=DataRequest.Status.COMPLETED,
            completed_at=export.finished_at,
            email="",
            email_index="",
        )
        audit_record(
            action="export.built", acting_user=None, target=export, subject=request.subject
        )
        _webhook(
            "dsar.completed",
            {"request": str(request.public_id), "kind": request.kind},
            subject=request.subject,
        )
        if old_file:
            transaction.on_commit(lambda: _export_path(old_file).unlink(missing_ok=True))
        if request.email:
            with translation.override(request.language):
                subject_line = _("Your data is ready to download")
                body = render_to_string(
                    "privacy/email/export_ready.txt",
                    {"link": link, "expires_at": export.expires_at},
                )
            email = request.email
            transaction.on_commit(
                lambda: send_mail(subject_line, body, settings.DEFAULT_FROM_EMAIL, [email])
            )
    return export


def data_export_open(*, token: str, acting_user: AbstractBaseUser | None = None) -> bytes | None:
    """The decrypted ZIP for a valid, unexpired download token; the download is audited."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    export = DataExport.objects.filter(
        download_token_hash=_token_hash(token),
        status=DataExport.Status.READY,
        expires_at__gt=timezone.now(),
    ).first()
    if export is None:
        return None
    path = _export_path(export.file_name)
    if not path.exists():
        return None
    archive = ciphertext_decrypt_bytes(path.read_bytes())
    with transaction.atomic():
        DataExport.objects.filter(pk=export.pk).update(downloaded_at=timezone.now())
        audit_record(
            action="export.downloaded",
            acting_user=acting_user,
            target=export,
            subject=export.subject,
        )
    return archive


def data_export_read(*, request: DataRequest, acting_user: AbstractBaseUser) -> bytes | None:
    """The decrypted ZIP of an access request, for staff; every read is audited."""
    export = DataExport.objects.filter(
        request=request, status=DataExport.Status.READY, expires_at__gt=timezone.now()
    ).first()
    if export is None or not _export_path(export.file_name).exists():
        return None
    archive = ciphertext_decrypt_bytes(_export_path(export.file_name).read_bytes())
    audit_record(
        action="export.read", acting_user=acting_user, target=export, subject=export.subject
    )
    return archive


def data_exports_delete(exports) -> int:
    """Delete exports and their files (retention, erasure)."""
    deleted = 0
    for export in exports:
        if export.file_name:
            _export_path(export.file_name).unlink(missing_ok=True)
        export.delete()
        deleted += 1
    return deleted


def data_requests_stuck(*, cutoff: datetime):
    return DataRequest.objects.annotate(
        last_queued=Coalesce("queued_at", "verified_at", "created_at")
    ).filter(status=DataRequest.Status.VERIFIED, last_queued__lt=cutoff)


@transaction.atomic
def data_request_retry(
    *,
    request: DataRequest,
    acting_user: AbstractBaseUser | None,
    cutoff: datetime | None = None,
) -> bool:
    """Queue a verified (or failed) request again; False if there was nothing to retry.

    The sweeper passes `cutoff` (only a request queued before it); staff retry any
    unfinished one. Audited either way: the request's legal deadline is running.
    """
    candidates = DataRequest.objects.filter(pk=request.pk)
    if cutoff is not None:
        candidates = data_requests_stuck(cutoff=cutoff).filter(pk=request.pk)
    else:
        candidates = candidates.filter(
            status__in=[DataRequest.Status.VERIFIED, DataRequest.Status.FAILED]
        )
    if not candidates.update(status=DataRequest.Status.VERIFIED, queued_at=timezone.now()):
        return False
    audit_record(
        action="data_request.requeued",
        acting_user=acting_user,
        target=request,
        subject=request.subject,
        # Stored untranslated; the admin shows the note in the reader's language.
        reason=gettext_noop("sweeper") if acting_user is None else gettext_noop("retried by staff"),
    )
    # privacy.tasks imports this module.
    from privacy.tasks import data_request_process_task

    data_request_process_task.delay_on_commit(request.pk)
    return True
