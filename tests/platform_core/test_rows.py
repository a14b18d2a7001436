"""Rows written without the query compiler: what create() and save(update_fields) store."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bot.models import Conversation
from platform_core.rows import row_update, rows_insert
from privacy.models import AuditEvent, DataSubject
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_inserted_rows_get_their_ids_defaults_and_encrypted_values():
    subjects = [DataSubject(name=f"Erika {n}", email=f"erika{n}@example.org") for n in range(3)]

    rows_insert(subjects)

    assert all(not subject._state.adding for subject in subjects)
    for subject in subjects:
        stored = DataSubject.objects.get(pk=subject.pk)
        assert (stored.name, stored.email, stored.public_id) == (
            subject.name,
            subject.email,
            subject.public_id,
        )
        assert stored.created_at is not None and stored.updated_at is not None
        with connection.cursor() as cursor:
            cursor.execute("SELECT email FROM privacy_datasubject WHERE id = %s", [subject.pk])
            (raw,) = cursor.fetchone()
        assert subject.email not in raw  # ciphertext, as save() stores it


def test_an_inserted_audit_event_keeps_its_json_details():
    event = AuditEvent(action="consent.granted", details={"purpose": "support_chat"})

    rows_insert([event])

    assert AuditEvent.objects.get(pk=event.pk).details == {"purpose": "support_chat"}


def test_an_update_writes_the_named_fields_and_the_auto_now_ones_only():
    conversation = ConversationFactory()
    long_ago = timezone.now() - timedelta(days=3)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=long_ago)
    subject = DataSubject.objects.create(name="Erika")
    conversation.subject = subject
    conversation.status = Conversation.Status.CLOSED  # not named: not written

    row_update(conversation, "subject")

    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.subject_id == subject.pk
    assert stored.status != Conversation.Status.CLOSED
    assert stored.updated_at > long_ago
