import threading
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bot.models import Conversation, Message
from bot.services import conversation_resolve, message_append
from privacy.models import AuditEvent, ConsentRecord, DataSubject, PurgeRun, RetentionPolicy
from privacy.services import legal_hold_place, legal_hold_release, retention_purge
from privacy.tasks import retention_purge_task
from tests.factories import ConversationFactory, DataSubjectFactory

NOW = timezone.now()


def _days_ago(days: int):
    return NOW - timedelta(days=days)


def _resolved_conversation(*, days_ago: int, subject=None) -> Conversation:
    conversation = ConversationFactory(subject=subject)
    message_append(conversation=conversation, sender="customer", text="Meine Bestellung?")
    conversation_resolve(conversation=conversation)
    Conversation.objects.filter(pk=conversation.pk).update(resolved_at=_days_ago(days_ago))
    return conversation


def _policy_days(category: str) -> int:
    return RetentionPolicy.objects.get(category=category).duration_days


@pytest.mark.django_db
class TestRetention:
    def test_only_expired_conversations_are_deleted_with_their_messages(self):
        expired = _resolved_conversation(days_ago=31)
        recent = _resolved_conversation(days_ago=5)
        open_with_agent = ConversationFactory(status="waiting")

        run = retention_purge(now=NOW)

        assert not Conversation.objects.filter(pk=expired.pk).exists()
        assert not Message.objects.filter(conversation_id=expired.pk).exists()
        assert Conversation.objects.filter(pk__in=[recent.pk, open_with_agent.pk]).count() == 2
        assert run.counts["conversations_resolved"] == 1

    def test_a_second_run_deletes_nothing(self):
        _resolved_conversation(days_ago=31)
        retention_purge(now=NOW)

        second = retention_purge(now=NOW)

        assert set(second.counts.values()) == {0}

    def test_abandoned_bot_sessions_are_deleted_after_their_period(self):
        left = ConversationFactory()
        Conversation.objects.filter(pk=left.pk).update(updated_at=_days_ago(3))
        active = ConversationFactory()

        retention_purge(now=NOW)

        assert list(Conversation.objects.values_list("pk", flat=True)) == [active.pk]

    def test_a_legal_hold_on_the_subject_blocks_deletion_until_released(self, agent):
        subject = DataSubjectFactory()
        held = _resolved_conversation(days_ago=400, subject=subject)
        hold = legal_hold_place(acting_user=agent, reason="Klage anhängig", subject=subject)

        retention_purge(now=NOW)
        assert Conversation.objects.filter(pk=held.pk).exists()
        assert DataSubject.objects.filter(pk=subject.pk).exists()

        legal_hold_release(hold=hold, acting_user=agent)
        retention_purge(now=NOW)
        assert not Conversation.objects.filter(pk=held.pk).exists()
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"legal_hold.placed", "legal_hold.released"} <= actions

    def test_a_legal_hold_on_one_conversation_blocks_its_deletion(self, agent):
        held = _resolved_conversation(days_ago=400)
        other = _resolved_conversation(days_ago=400)
        legal_hold_place(acting_user=agent, reason="Behördenanfrage", reference=held.public_id)

        retention_purge(now=NOW)

        assert Conversation.objects.filter(pk=held.pk).exists()
        assert not Conversation.objects.filter(pk=other.pk).exists()

    def test_a_subject_goes_once_nothing_refers_to_it_any_more(self):
        subject = DataSubjectFactory()
        _resolved_conversation(days_ago=31, subject=subject)
        DataSubject.objects.filter(pk=subject.pk).update(updated_at=_days_ago(31))
        busy = DataSubjectFactory()
        _resolved_conversation(days_ago=1, subject=busy)
        DataSubject.objects.filter(pk=busy.pk).update(updated_at=_days_ago(31))

        retention_purge(now=NOW)

        assert list(DataSubject.objects.values_list("pk", flat=True)) == [busy.pk]

    def test_old_audit_events_and_consent_proofs_are_deleted(self, policies):
        from privacy.services import audit_record, consent_record

        old_event = audit_record(action="x.old", acting_user=None)
        AuditEvent.objects.filter(pk=old_event.pk).update(created_at=_days_ago(4 * 365))
        import uuid

        proof = consent_record(
            reference=uuid.uuid4(), language="de", policy_version="2026-11", channel="web"
        )
        ConsentRecord.objects.filter(pk=proof.pk).update(granted_at=_days_ago(4 * 365))

        retention_purge(now=NOW)

        assert not AuditEvent.objects.filter(pk=old_event.pk).exists()
        assert not ConsentRecord.objects.filter(pk=proof.pk).exists()

    def test_a_run_records_counts_and_an_audit_event_without_content(self):
        _resolved_conversation(days_ago=31)

        run = retention_purge(now=NOW)

        stored = PurgeRun.objects.get(pk=run.pk)
        assert stored.counts["conversations_resolved"] == 1 and stored.finished_at
        event = AuditEvent.objects.get(action="retention.purged")
        assert event.details == {"counts": stored.counts}

    def test_a_dry_run_counts_and_deletes_nothing(self):
        _resolved_conversation(days_ago=31)

        run = retention_purge(now=NOW, dry_run=True)

        assert run.counts["conversations_resolved"] == 1
        assert Conversation.objects.count() == 1

    def test_bounded_batches_report_that_more_is_pending(self):
        for _ in range(3):
            _resolved_conversation(days_ago=31)

        run = retention_purge(now=NOW, batch_size=1, max_batches=2)

        assert run.counts["conversations_resolved"] == 2 and run.more_pending
        assert Conversation.objects.count() == 1

    def test_the_retention_period_is_read_from_the_database(self):
        conversation = _resolved_conversation(days_ago=10)
        RetentionPolicy.objects.filter(category="conversations_resolved").update(duration_days=7)

        retention_purge(now=NOW)

        assert not Conversation.objects.filter(pk=conversation.pk).exists()

    def test_the_task_takes_no_arguments_and_requeues_while_a_backlog_remains(self):
        with (
            mock.patch("privacy.tasks.PURGE_BATCH_SIZE", 1),
            mock.patch("privacy.tasks.PURGE_MAX_BATCHES", 1),
            mock.patch.object(retention_purge_task, "delay") as requeue,
        ):
            _resolved_conversation(days_ago=31)
            _resolved_conversation(days_ago=31)
            retention_purge_task()

        requeue.assert_called_once_with()

    def test_the_command_prints_counts(self):
        _resolved_conversation(days_ago=31)
        out = StringIO()

        call_command("purge_expired", "--dry-run", stdout=out)

        assert "conversations_resolved: 1 due for deletion" in out.getvalue()
        assert Conversation.objects.count() == 1


@pytest.fixture
def default_retention_policies():
    """The migration's defaults again: a transactional test's flush removed them."""
    import importlib

    defaults = importlib.import_module("privacy.migrations.0004_default_retention_policies")
    for category, days in defaults.DEFAULTS.items():
        RetentionPolicy.objects.get_or_create(category=category, defaults={"duration_days": days})


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_delete_each_row_once(default_retention_policies):
    assert connection.vendor == "postgresql"
    for _ in range(40):
        _resolved_conversation(days_ago=31)
    results, errors = [], []

    def run():
        try:
            results.append(retention_purge(now=NOW, batch_size=5).counts["conversations_resolved"])
        except Exception as error:  # noqa: BLE001 (the test reports it)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(results) == 40
    assert Conversation.objects.count() == 0
