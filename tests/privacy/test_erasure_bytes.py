"""Erasure reaches the stored bytes, and comes back after a backup is restored.

SQLite: after erasure neither the database file nor its WAL holds the plaintext or
the ciphertext recorded before. PostgreSQL (services): the tables are vacuumed and
`pg_dump` holds neither. In both, `erasure_replay` erases again a subject that an
older backup brought back.
"""

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from bot.chat import chat_consent_give
from bot.services import message_append
from privacy.models import DataRequest, DataSubject, ErasureLedgerEntry
from privacy.services import data_request_create, subject_erase
from tests.factories import ConversationFactory, known_subject
from tests.processes import sqlite_file_bytes
from tests.supportdesk.test_celery import celery_worker_for  # noqa: F401 (fixture)

NAME = "Quendolin Hagebuttenmark"
EMAIL = "quendolin.hagebuttenmark@example.org"
PHONE = "+49 171 5544332"
MESSAGE = "Mein Kennwort-Hinweis lautet mondscheinsonate-4417"
PLAINTEXTS = [NAME, EMAIL, PHONE, MESSAGE, "mondscheinsonate-4417"]

sqlite_only = pytest.mark.skipif(
    os.environ.get("SUPPORTDESK_TEST_SERVICES") == "1", reason="the embedded SQLite database"
)


@pytest.fixture
def ledger_file(settings, tmp_path) -> Path:
    settings.ERASURE_LEDGER_PATH = str(tmp_path / "erasure-ledger.jsonl")
    return tmp_path / "erasure-ledger.jsonl"


def _seed() -> DataSubject:
    subject = known_subject(name=NAME, email=EMAIL, phone=PHONE)
    conversation = ConversationFactory(subject=subject)
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    message_append(conversation=conversation, sender="customer", text=MESSAGE)
    return subject


def _ciphertexts(subject: DataSubject) -> list[str]:
    """The encrypted values as stored, read with raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, email, phone FROM privacy_datasubject WHERE id = %s", [subject.pk]
        )
        values = list(cursor.fetchone())
        cursor.execute(
            "SELECT m.text FROM bot_message m JOIN bot_conversation c "
            "ON m.conversation_id = c.id WHERE c.subject_id = %s",
            [subject.pk],
        )
        values += [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("gAAAA") for value in values)
    return values


def _sqlite_bytes() -> bytes:
    path = Path(connection.settings_dict["NAME"])
    wal = Path(f"{path}-wal")
    return sqlite_file_bytes(path) + (sqlite_file_bytes(wal) if wal.exists() else b"")


def _found(haystack: bytes, needles: list[str]) -> list[str]:
    return [needle for needle in needles if needle.encode() in haystack]


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_project_turns_secure_delete_on_for_every_connection():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_after_erasure_neither_the_sqlite_file_nor_its_wal_holds_the_subject(
    policies, agent, ledger_file
):
    # given a subject whose data is in the file or the WAL (the message's redacted copy
    # in plaintext: it found no personal data in it)
    subject = _seed()
    ciphertexts = _ciphertexts(subject)
    before = _sqlite_bytes()
    assert _found(before, ciphertexts) == ciphertexts and MESSAGE.encode() in before

    # when the subject is erased (the checkpoint runs when the erasure commits)
    subject_erase(subject=subject, acting_user=agent, reason="request")

    # then neither the main file nor the WAL holds a ciphertext recorded before
    after = _sqlite_bytes()
    assert Path(f"{connection.settings_dict['NAME']}-wal").stat().st_size == 0
    assert _found(after, ciphertexts) == []
    assert _found(after, PLAINTEXTS) == []
    # and the ledger outside the database holds only opaque ids
    entry = json.loads(ledger_file.read_text())
    assert entry["subject"] == str(subject.public_id) and set(entry) == {
        "subject",
        "email_index",
        "erased_at",
    }
    assert _found(ledger_file.read_bytes(), PLAINTEXTS + ciphertexts) == []


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_retention_purge_leaves_no_bytes_of_what_it_removed(policies, settings):
    from datetime import timedelta

    from django.utils import timezone

    from privacy.services import retention_purge

    # given a request whose confirmation link expired unused, its address in the WAL
    request = data_request_create(kind="access", email=EMAIL)
    DataRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.DATA_REQUEST_VERIFICATION_HOURS + 1)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM privacy_datarequest WHERE id = %s", [request.pk])
        ciphertext = cursor.fetchone()[0]
    assert _found(_sqlite_bytes(), [ciphertext])

    # when retention clears it
    retention_purge()

    # then the WAL is checkpointed and neither file holds the address's ciphertext
    assert Path(f"{connection.settings_dict['NAME']}-wal").stat().st_size == 0
    assert _found(_sqlite_bytes(), [ciphertext]) == []


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_replay_after_restoring_an_older_sqlite_backup_erases_the_subject_again(
    policies, agent, ledger_file, tmp_path
):
    # given a backup taken while the subject was there, then the erasure
    subject = _seed()
    ciphertexts = _ciphertexts(subject)
    database = Path(connection.settings_dict["NAME"])
    backup = tmp_path / "backup.sqlite3"
    _sqlite_copy(database, backup)
    subject_erase(subject=subject, acting_user=agent, reason="request")

    # when the operator restores the backup
    connection.close()
    _sqlite_copy(backup, database)
    assert DataSubject.objects.filter(public_id=subject.public_id).exists()
    assert not ErasureLedgerEntry.objects.exists()  # the backup predates the erasure
    # and someone comes back later under the same address (not to be touched)
    returned = known_subject(name="Neu", email=EMAIL.replace("quendolin", "q"))

    call_command("erasure_replay", stdout=open(os.devnull, "w"))

    # then the subject is gone again, down to the bytes, and the ledger is complete
    assert not DataSubject.objects.filter(public_id=subject.public_id).exists()
    assert ErasureLedgerEntry.objects.filter(subject_public_id=subject.public_id).exists()
    assert DataSubject.objects.filter(pk=returned.pk).exists()
    assert _found(_sqlite_bytes(), ciphertexts + PLAINTEXTS) == []
    # and a second run changes nothing
    from privacy.services import erasure_replay

    assert erasure_replay() == {
        "ledger_restored": 0,
        "subjects_erased": 0,
        "requests_closed": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_replay_does_not_touch_a_customer_who_came_back_after_the_erasure(
    policies, agent, ledger_file
):
    subject = _seed()
    subject_erase(subject=subject, acting_user=agent, reason="request")
    again = known_subject(name="Wieder da", email=EMAIL)

    from privacy.services import erasure_replay

    counts = erasure_replay()

    assert counts["subjects_erased"] == 0
    assert DataSubject.objects.filter(pk=again.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_replay_closes_a_restored_request_of_the_erased_address(policies, agent, ledger_file):
    # given a request restored from before the erasure (simulated: made, then erased by id)
    subject = _seed()
    request = data_request_create(kind="access", email=EMAIL)  # unconfirmed
    subject_erase(subject=subject, acting_user=agent, reason="request")
    ErasureLedgerEntry.objects.filter(subject_public_id=subject.public_id).update(
        erased_at=request.created_at
    )

    from privacy.services import erasure_replay

    erasure_replay()

    request.refresh_from_db()
    assert (request.email, request.email_index, request.status) == ("", "", "completed")


# PostgreSQL ----------------------------------------------------------------------------------


def _pg(command: str, *args: str, text: bool = True) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    return subprocess.run(
        [command, "-h", db["HOST"], "-p", str(db["PORT"] or 5432), "-U", db["USER"], *args],
        capture_output=True,
        check=True,
        text=text,
    )


def _vacuumed_tables() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, vacuum_count, n_dead_tup FROM pg_stat_user_tables "
            "WHERE relname IN ('privacy_datasubject', 'bot_message')"
        )
        return {name: (count, dead) for name, count, dead in cursor.fetchall()}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_postgresql_vacuums_after_erasure_and_pg_dump_holds_nothing(
    policies, agent, celery_eager, ledger_file
):
    subject = _seed()
    ciphertexts = _ciphertexts(subject)
    before = _vacuumed_tables()

    subject_erase(subject=subject, acting_user=agent, reason="request")

    # the statistics collector reports asynchronously: ask it to flush first
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    after = _vacuumed_tables()
    assert all(after[name][0] > before[name][0] for name in after)
    dump = _pg("pg_dump", connection.settings_dict["NAME"]).stdout
    assert [value for value in ciphertexts + PLAINTEXTS if value in dump] == []


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_replay_after_restoring_an_older_postgresql_dump_erases_the_subject_again(
    policies, agent, celery_eager, ledger_file, tmp_path
):
    # given a dump taken while the subject was there, then the erasure
    subject = _seed()
    name = connection.settings_dict["NAME"]
    dump = tmp_path / "backup.dump"
    _pg("pg_dump", "-Fc", "-f", str(dump), name)
    subject_erase(subject=subject, acting_user=agent, reason="request")

    # when the operator restores it
    connection.close()
    _pg("pg_restore", "--clean", "--if-exists", "--single-transaction", "-d", name, str(dump))
    assert DataSubject.objects.filter(public_id=subject.public_id).exists()
    assert not ErasureLedgerEntry.objects.exists()

    call_command("erasure_replay", stdout=open(os.devnull, "w"))

    # then the subject is gone again, and a dump shows no trace
    assert not DataSubject.objects.filter(public_id=subject.public_id).exists()
    assert not DataRequest.objects.filter(email_index__gt="").exists()
    after = _pg("pg_dump", name).stdout
    assert [value for value in PLAINTEXTS if value in after] == []


@pytest.mark.django_db(transaction=True)
def test_health_reports_a_ledger_file_that_lost_erasures(policies, agent, ledger_file):
    from privacy.services.erasure import erasure_ledger_health

    subject_erase(subject=_seed(), acting_user=agent, reason="request")
    assert erasure_ledger_health().ok

    ledger_file.unlink()  # an operator "cleaned up" var/

    result = erasure_ledger_health()
    assert not result.ok and result.details == {"in_database": 1, "in_file": 0}


@pytest.mark.django_db(transaction=True)
def test_erasing_an_impostors_claim_never_leads_a_replay_to_the_owner_of_the_address(
    policies, agent, ledger_file
):
    from privacy.services import data_subject_identify, erasure_replay

    owner = known_subject(name="Erika", email=EMAIL)
    impostor = data_subject_identify(name="Mallory", email=EMAIL)
    subject_erase(subject=impostor, acting_user=agent, reason="request")

    erasure_replay()

    assert ErasureLedgerEntry.objects.get(subject_public_id=impostor.public_id).email_index == ""
    assert DataSubject.objects.filter(pk=owner.pk).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_vacuums_after_an_erasure(
    policies,
    agent,
    ledger_file,
    celery_worker_for,  # noqa: F811 (the fixture imported above)
):
    import time

    # given a worker process on the broker, and a subject
    log = celery_worker_for(os.environ["CELERY_BROKER_URL"])
    subject = _seed()
    before = _vacuumed_tables()

    # when the subject is erased (the task goes through the broker after commit)
    subject_erase(subject=subject, acting_user=agent, reason="request")

    # then the worker vacuums the tables that held the subject
    deadline = time.monotonic() + 90
    after = before
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
        after = _vacuumed_tables()
        if all(after[name][0] > before[name][0] for name in after):
            break
        time.sleep(1)
    assert all(after[name][0] > before[name][0] for name in after), log.read_text()[-3000:]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_vacuum_waits_for_a_transaction_that_can_still_see_the_erased_rows(
    policies, agent, ledger_file, monkeypatch
):
    """A report or backup holding a snapshot from before the erasure would keep the
    erased rows through VACUUM: the compaction waits for it, then vacuums."""
    import psycopg

    from privacy.services.erasure import database_compact
    from privacy.tasks import database_compact_task

    enqueued = []
    monkeypatch.setattr(database_compact_task, "delay", lambda **kwargs: enqueued.append(kwargs))
    subject = _seed()
    older = psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        host=connection.settings_dict["HOST"] or None,
        port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"] or None,
        autocommit=True,
    )
    try:
        # given a transaction whose snapshot predates the erasure
        older.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        older.execute("SELECT count(*) FROM privacy_datasubject").fetchone()
        subject_erase(subject=subject, acting_user=agent, reason="request")
        [task_kwargs] = enqueued
        assert isinstance(task_kwargs["after_xid"], int)

        # then the compaction waits and vacuums nothing
        before = _vacuumed_tables()
        assert database_compact(**task_kwargs) == {"vacuumed": 0, "waiting_for_transactions": 1}

        # and once that transaction ends, it vacuums
        older.execute("COMMIT")
        result = database_compact(**task_kwargs)
        assert result["vacuumed"] > 0 and "waiting_for_transactions" not in result
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
        after = _vacuumed_tables()
        assert all(after[name][0] > before[name][0] for name in before)
    finally:
        older.close()
