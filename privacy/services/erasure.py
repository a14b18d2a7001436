"""Erasure down to the stored bytes, and again after a backup is restored.

Deleting a row is not enough: SQLite keeps the old page images in its WAL until a
checkpoint, PostgreSQL keeps dead tuples until a vacuum. After an erasure or a
retention purge commits, `database_compact` checkpoints (SQLite) or vacuums
(PostgreSQL, in Celery: VACUUM cannot run in a transaction and may take a while).

A backup restored later brings erased people back. The erasure ledger (opaque ids
and blind indexes, nothing else) lists whom to erase again; `erasure_replay` does
it. The ledger is also appended to a file outside the database, because a restored
database has lost the entries made after its backup.
"""

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from platform_core.health import HealthResult
from privacy.models import DataRequest, DataSubject, ErasureLedgerEntry
from privacy.registry import models_with_encrypted_fields, provider_list
from privacy.services.audit import audit_record

logger = logging.getLogger(__name__)


# Physical removal -------------------------------------------------------------------------


def _tables_with_personal_data() -> list[str]:
    models = set(models_with_encrypted_fields())
    for provider in provider_list():
        models.update(provider.models)
    models.update({DataSubject, DataRequest})
    return sorted({model._meta.db_table for model in models})


def database_compact(*, after_xid: int | None = None) -> dict[str, object]:
    """Make deleted rows unreadable in the database files. Outside a transaction only.

    SQLite (with secure_delete on, see settings) zeroes freed space in the main file;
    the checkpoint copies the WAL back and truncates it, so no old page image stays.
    PostgreSQL: VACUUM removes the dead tuples of the tables that hold personal data,
    but only those no open transaction can still see. Given the id of the transaction that
    deleted them (`after_xid`), it vacuums only once no transaction or replication slot of
    this database holds a snapshot from before that one committed; until then it returns
    {"waiting_for_transactions": n} and the task tries again later (a VACUUM that ran
    earlier would have kept the erased rows and nobody would have run it again).
    """
    if connection.in_atomic_block:
        return {"skipped": "in a transaction"}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _done = cursor.fetchone()
        return {"checkpointed": not busy}
    if connection.vendor == "postgresql":
        if after_xid is not None and (waiting := _snapshots_older_than(after_xid)):
            return {"vacuumed": 0, "waiting_for_transactions": waiting}
        full = settings.PRIVACY_VACUUM_FULL
        tables = _tables_with_personal_data()
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    f"VACUUM {'FULL ' if full else ''}{connection.ops.quote_name(table)}"
                )
        return {"vacuumed": len(tables), "full": full}
    return {"skipped": connection.vendor}


def _snapshots_older_than(xid: int) -> int:
    """Sessions of this database (and replication slots) whose snapshot or own transaction
    is no newer than transaction `xid`: while one lasts, VACUUM must keep what `xid`
    deleted. Ages compare 32-bit xids across wrap-around."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH deleting AS (SELECT ((%s::bigint %% 4294967296)::text)::xid AS xid)
            SELECT
              (SELECT count(*) FROM pg_stat_activity, deleting
               WHERE pid <> pg_backend_pid() AND datname = current_database()
                 AND (age(backend_xmin) >= age(deleting.xid)
                      OR age(backend_xid) >= age(deleting.xid)))
            + (SELECT count(*) FROM pg_replication_slots, deleting
               WHERE (database IS NULL OR database = current_database())
                 AND (age(xmin) >= age(deleting.xid)
                      OR age(catalog_xmin) >= age(deleting.xid)))
            """,
            [xid],
        )
        return cursor.fetchone()[0]


def _transaction_id() -> int | None:
    """The id of the current PostgreSQL transaction (assigned if it has none yet)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def database_compact_on_commit() -> None:
    """Schedule `database_compact` for after the current transaction commits."""
    after_xid = _transaction_id()
    transaction.on_commit(lambda: _compact_after_commit(after_xid))


def mail_files_erase_on_commit(*, email: str) -> None:
    """Development mails (the filebased backend, no EMAIL_URL) addressed to an erased person
    go with them once the erasure commits, rather than at the next retention run: they hold
    the address and links (found by the issue 13 canary, tests/privacy/test_canary.py)."""
    if email:
        transaction.on_commit(lambda: mail_files_erase(email=email))


def mail_files_erase(*, email: str) -> int:
    mailer = getattr(settings, "MAILERS", {}).get("default", {})
    if not email or mailer.get("BACKEND") != "django.core.mail.backends.filebased.EmailBackend":
        return 0
    folder = Path(mailer.get("OPTIONS", {}).get("file_path", ""))
    if not folder.is_dir():
        return 0
    needle, deleted = email.lower().encode(), 0
    for path in folder.iterdir():
        # One file per connection, possibly several messages: all go (they are
        # development copies of mails already sent).
        if path.is_file() and needle in path.read_bytes().lower():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def _compact_after_commit(after_xid: int | None = None) -> None:
    # privacy.tasks imports this module.
    from privacy.tasks import database_compact_task

    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # A checkpoint is quick: at once, so the WAL holds the erased pages for no longer
        # than the erasure itself. A reader still holding old pages makes it "busy": the
        # task tries again shortly.
        if database_compact().get("checkpointed"):
            return
        database_compact_task.apply_async(countdown=30)
        return
    database_compact_task.delay(after_xid=after_xid)


# The erasure ledger -----------------------------------------------------------------------


def _ledger_path() -> Path:
    return Path(settings.ERASURE_LEDGER_PATH)


def _ledger_line(entry: ErasureLedgerEntry) -> str:
    return json.dumps(
        {
            "subject": str(entry.subject_public_id),
            "email_index": entry.email_index,
            "erased_at": entry.erased_at.isoformat(),
        }
    )


def _ledger_file_append(line: str) -> None:
    path = _ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, f"{line}\n".encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def erasure_ledger_record(*, subject: DataSubject, erased_at: datetime) -> ErasureLedgerEntry:
    """Note the erasure (inside its transaction); the file line is written after commit.

    The address's blind index only for a verified subject: an unverified one may have
    typed someone else's address, and a replay must not erase that person.
    """
    email_index = (subject.email_index or "") if subject.is_verified else ""
    entry, created = ErasureLedgerEntry.objects.get_or_create(
        subject_public_id=subject.public_id,
        defaults={"email_index": email_index, "erased_at": erased_at},
    )
    if created:
        line = _ledger_line(entry)
        transaction.on_commit(lambda: _ledger_file_append(line))
    return entry


def _ledger_file_entries(path: Path) -> list[ErasureLedgerEntry]:
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            entries.append(
                ErasureLedgerEntry(
                    subject_public_id=data["subject"],
                    email_index=data.get("email_index", ""),
                    erased_at=datetime.fromisoformat(data["erased_at"]),
                )
            )
        except (ValueError, KeyError):
            logger.warning("Erasure ledger line %d is not readable; skipped.", number)
    return entries


def erasure_replay(*, ledger_path: Path | None = None) -> dict[str, int]:
    """Erase again everyone the ledger lists (after a backup restore). Idempotent.

    Entries from the ledger file that the restored database lacks are added back
    first. A subject counts when it has an erased subject's id, or, verified, the
    erased address and was created before that erasure (someone who came back later
    under the same address is not touched). Requests from before the erasure lose
    their address and are closed: the erasure superseded them.
    """
    # privacy.services.subjects imports this module.
    from privacy.services.subjects import subject_erase

    restored = 0
    for entry in _ledger_file_entries(ledger_path or _ledger_path()):
        _entry, created = ErasureLedgerEntry.objects.get_or_create(
            subject_public_id=entry.subject_public_id,
            defaults={"email_index": entry.email_index, "erased_at": entry.erased_at},
        )
        restored += created
    erased = requests_closed = 0
    for entry in ErasureLedgerEntry.objects.order_by("erased_at", "pk"):
        matches = Q(public_id=entry.subject_public_id)
        if entry.email_index:
            matches |= Q(
                email_index=entry.email_index,
                email_verified_at__isnull=False,
                created_at__lte=entry.erased_at,
            )
        for subject in DataSubject.objects.filter(matches):
            subject_erase(subject=subject, acting_user=None, reason="erasure replay")
            erased += 1
        if entry.email_index:
            requests_closed += DataRequest.objects.filter(
                email_index=entry.email_index, created_at__lte=entry.erased_at
            ).update(
                email="",
                email_index="",
                subject=None,
                status=DataRequest.Status.COMPLETED,
                completed_at=timezone.now(),
            )
    counts = {"ledger_restored": restored, "subjects_erased": erased}
    counts["requests_closed"] = requests_closed
    with transaction.atomic():
        audit_record(action="erasure.replayed", acting_user=None, details={"counts": counts})
        database_compact_on_commit()
    return counts


def erasure_ledger_health():
    """Whether the ledger file outside the database knows every erasure the database does.

    A file that lost lines (deleted, restored from an old copy) means a backup restore
    would bring back people erased since: the operator must hear of it before that.
    """

    path = _ledger_path()
    in_database = ErasureLedgerEntry.objects.count()
    in_file = 0
    if path.exists():
        with path.open("rb") as ledger:
            in_file = sum(1 for line in ledger if line.strip())
    folder = path.parent
    writable = os.access(folder if folder.exists() else folder.parent, os.W_OK)
    details = {"in_database": in_database, "in_file": in_file}
    if not writable:
        return HealthResult(
            name="privacy.erasure_ledger",
            ok=False,
            summary=_("The erasure ledger file cannot be written (ERASURE_LEDGER_PATH)."),
            details=details,
        )
    if in_file < in_database:
        return HealthResult(
            name="privacy.erasure_ledger",
            ok=False,
            summary=_(
                "The erasure ledger file lacks %(missing)d erasures: after a backup restore "
                "they could not be replayed."
            )
            % {"missing": in_database - in_file},
            details=details,
        )
    return HealthResult(
        name="privacy.erasure_ledger",
        ok=True,
        summary=_("The erasure ledger file holds every erasure."),
        details=details,
    )
