from datetime import timedelta

import pytest
from django.utils import timezone

from bot.models import Conversation, Message
from bot.services import conversation_resolve, conversations_close_resolved, message_append
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_messages_get_consecutive_seqs():
    conversation = ConversationFactory()

    seqs = [
        message_append(conversation=conversation, sender="customer", text=f"Frage {n}")[0].seq
        for n in range(3)
    ]

    assert seqs == [1, 2, 3]
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 3


def test_a_resent_client_message_is_stored_once():
    conversation = ConversationFactory()
    first, created = message_append(
        conversation=conversation, sender="customer", text="Hallo", client_message_id="c-1"
    )

    again, created_again = message_append(
        conversation=conversation, sender="customer", text="Hallo", client_message_id="c-1"
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and Message.objects.count() == 1


def test_the_redacted_copy_holds_no_personal_data(subject):
    conversation = ConversationFactory(subject=subject)
    first_name = subject.name.split()[0]

    message, _created = message_append(
        conversation=conversation,
        sender="customer",
        text=f"Ich bin {subject.name}, Mail {subject.email}, Tel. +49 171 2345678",
    )

    assert first_name not in message.text_redacted
    assert subject.email not in message.text_redacted
    assert "2345678" not in message.text_redacted
    assert "[NAME]" in message.text_redacted and "[EMAIL]" in message.text_redacted


def test_resolved_conversations_close_after_the_grace_period(settings):
    settings.CONVERSATION_CLOSE_AFTER_HOURS = 24
    old = conversation_resolve(conversation=ConversationFactory())
    Conversation.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(hours=25))
    recent = conversation_resolve(conversation=ConversationFactory())
    open_conversation = ConversationFactory()

    assert conversations_close_resolved(batch_size=1) == 1
    assert conversations_close_resolved() == 0  # a second run changes nothing

    statuses = dict(Conversation.objects.values_list("pk", "status"))
    assert statuses[old.pk] == "closed"
    assert statuses[recent.pk] == "resolved"
    assert statuses[open_conversation.pk] == "bot"
