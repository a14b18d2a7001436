import pytest

from bot.models import Conversation, Message
from bot.services import message_append
from privacy.models import AuditEvent, DataSubject
from privacy.registry import models_not_covered, models_with_encrypted_fields
from privacy.services import subject_erase, subject_export
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_every_model_with_an_encrypted_field_is_covered_by_a_provider():
    assert models_with_encrypted_fields(), "expected personal-data models"
    assert models_not_covered() == []


def _subject_with_a_conversation(subject):
    conversation = ConversationFactory(subject=subject)
    message_append(conversation=conversation, sender="customer", text="Wo ist mein Paket?")
    return conversation


def test_export_walks_every_provider(subject, agent):
    _subject_with_a_conversation(subject)

    export = subject_export(subject=subject, acting_user=agent)

    assert export["data"]["privacy.data_subject"]["email"] == subject.email
    messages = export["data"]["bot.conversations"]["conversations"][0]["messages"]
    assert messages[0]["text"] == "Wo ist mein Paket?"
    event = AuditEvent.objects.get(action="subject.exported")
    assert event.acting_user == agent and event.subject_public_id == subject.public_id


def test_erasure_removes_the_subject_everywhere_and_keeps_counts_only(subject, agent):
    conversation = _subject_with_a_conversation(subject)
    public_id = subject.public_id

    counts = subject_erase(subject=subject, acting_user=agent, reason="Art. 17 request")

    assert not DataSubject.objects.filter(public_id=public_id).exists()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    assert counts["bot.conversations"] == {
        "messages": 1,
        "follow_ups": 0,
        "conversations": 1,
        "example_questions": 0,
        "choice_examples": 0,
    }
    event = AuditEvent.objects.get(action="subject.erased")
    assert event.subject_public_id == public_id and event.details["counts"] == counts


def test_audit_events_are_append_only(agent, subject):
    subject_export(subject=subject, acting_user=agent)
    event = AuditEvent.objects.get()

    event.reason = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
