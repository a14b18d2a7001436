from datetime import timedelta

import pytest
from django.utils import timezone

from bot.dialog import Reply
from bot.models import Conversation, Message
from bot.services import (
    Question,
    conversation_resolve,
    conversations_close_resolved,
    message_append,
    question_append,
)
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


def test_a_question_and_its_replies_take_one_update_and_one_insert(django_assert_num_queries):
    conversation = ConversationFactory()
    message_append(conversation=conversation, sender="customer", text="Hallo")
    replies = [Reply(text="Der Versand kostet 4,95 EUR.", intent_slug="shipping", confidence=0.9)]

    # savepoint, UPDATE ... RETURNING, INSERT of both rows, release
    with django_assert_num_queries(4):
        question, stored, created = question_append(
            Question(
                conversation=conversation,
                text="Versandkosten?",
                client_message_id="c-1",
                replies=replies,
            )
        )

    assert created and (question.seq, [m.seq for m in stored]) == (2, [3])
    assert list(Message.objects.order_by("seq").values_list("sender", "intent_slug")) == [
        ("customer", ""),
        ("customer", ""),
        ("bot", "shipping"),
    ]
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 3


def test_the_bot_stays_quiet_once_a_person_has_taken_over():
    conversation = ConversationFactory()
    # An agent claims the conversation after the customer's socket loaded it.
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.ASSIGNED)

    question, stored, created = question_append(
        Question(
            conversation=conversation,
            text="Noch da?",
            client_message_id="c-1",
            replies=[Reply(text="Eine Antwort des Bots")],
        )
    )

    assert created and stored == [] and question.seq == 1
    assert conversation.status == Conversation.Status.ASSIGNED
    assert list(Message.objects.values_list("sender", flat=True)) == ["customer"]
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 1


def test_a_resent_question_stores_neither_it_nor_replies_again():
    conversation = ConversationFactory()
    replies = [Reply(text="Antwort")]
    question = Question(
        conversation=conversation, text="Frage", client_message_id="c-1", replies=replies
    )
    first, _stored, _created = question_append(question)

    again, stored_again, created_again = question_append(question)

    assert (again.pk, stored_again, created_again) == (first.pk, [], False)
    assert Message.objects.count() == 2
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 2


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
