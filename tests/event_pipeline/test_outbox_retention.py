"""An outbox event given up on is kept for a person to dispatch again ("never dropped
unsent"), with its actions: a frame may carry a message's text (encrypted). Once the
conversation it is about is gone (retention), nothing is left to push it to, and its
text must not outlive the conversation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bot.models import Conversation
from bot.services import conversation_resolve, message_append
from event_pipeline import events
from event_pipeline.models import OutboxEvent
from privacy.services import retention_purge
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

TEXT = "Meine Kundennummer ist KD-99127, bitte zurückrufen."


def _failed_event_about(conversation: Conversation) -> OutboxEvent:
    message, _created = message_append(conversation=conversation, sender="customer", text=TEXT)
    event = OutboxEvent.objects.create(
        kind="message.created",
        actions=events.customer_frames_actions(
            public_hex=conversation.public_id.hex, frames=[events.message_frame(message)]
        ),
        reference=conversation.public_id,
        attempts=5,
        failed_at=timezone.now(),
    )
    assert TEXT in str(OutboxEvent.objects.get(pk=event.pk).actions)
    return event


def test_a_given_up_event_goes_with_the_conversation_retention_deletes():
    expired = ConversationFactory()
    kept = ConversationFactory()
    _failed_event_about(expired)
    _failed_event_about(kept)
    conversation_resolve(conversation=expired)
    Conversation.objects.filter(pk=expired.pk).update(
        resolved_at=timezone.now() - timedelta(days=400)
    )

    run = retention_purge()

    assert run.counts["conversations_resolved"] == 1
    assert OutboxEvent.objects.filter(reference=kept.public_id, failed_at__isnull=False).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM supportdesk_outboxevent")
        references = {str(row[0]).replace("-", "") for row in cursor.fetchall()}
    assert expired.public_id.hex not in references
