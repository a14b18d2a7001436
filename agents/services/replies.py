"""Agents' replies, internal notes and the typing indicator."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from agents.models import InternalNote
from agents.selectors import (
    agent_display_name,
)
from agents.services.base import (
    NOTE_TEXT_MAX_LENGTH,
    InboxError,
    conversation_audit,
    conversation_lock,
    require_active,
    require_free,
    require_visible,
    staff_text_clean,
)
from agents.services.claims import assignment_claim
from bot.models import Conversation, Message
from bot.services import MESSAGE_TEXT_MAX_LENGTH, message_append
from event_pipeline import events
from event_pipeline.outbox import outbox_event_record


@transaction.atomic
def conversation_reply(
    *, conversation: Conversation, agent: AbstractBaseUser, text: object
) -> Message:
    """Send the customer an agent's reply; a waiting conversation is claimed by it."""
    text = staff_text_clean(text, max_length=MESSAGE_TEXT_MAX_LENGTH)
    conversation = conversation_lock(conversation)
    require_visible(agent, conversation)
    require_active(conversation)
    require_free(agent, conversation)
    if conversation.status == Conversation.Status.WAITING:
        assignment_claim(conversation, agent)
    message, _created = message_append(
        conversation=conversation, sender=Message.Sender.AGENT, text=text, sender_user=agent
    )
    conversation_audit(
        "conversation.replied",
        acting_user=agent,
        conversation=conversation,
        details={"seq": message.seq},
    )
    # A claim's status move told the customer and the inboxes before this event.
    frame = events.message_frame(message)
    public_hex = conversation.public_id.hex
    outbox_event_record(
        kind="message.created",
        actions=[
            *events.customer_frames_actions(public_hex=public_hex, frames=[frame]),
            events.conversation_event_action(
                public_hex=public_hex, payload={**frame, "agent_name": agent_display_name(agent)}
            ),
        ],
        reference=conversation.public_id,
    )
    return message


@transaction.atomic
def note_add(*, conversation: Conversation, author: AbstractBaseUser, text: object) -> InternalNote:
    """An internal note: stored encrypted, shown to agents, never sent to the customer."""
    text = staff_text_clean(text, max_length=NOTE_TEXT_MAX_LENGTH)
    conversation = conversation_lock(conversation)
    require_visible(author, conversation)
    if conversation.status == Conversation.Status.CLOSED:
        raise InboxError(_("This conversation is closed."), code="conversation_closed")
    note = InternalNote.objects.create(conversation=conversation, author=author, text=text)
    conversation_audit(
        "note.added", acting_user=author, conversation=conversation, details={"note": note.pk}
    )
    events.conversation_event_publish(
        public_hex=conversation.public_id.hex,
        payload={
            "type": "note",
            "id": note.pk,
            "text": note.text,
            "author": agent_display_name(author),
            "written_at": note.created_at.isoformat(),
        },
    )
    return note


def typing_frame_send(*, conversation: Conversation) -> None:
    """The customer sees "the team is typing"; nothing is stored."""
    events.customer_typing_send(public_hex=conversation.public_id.hex, sender="agent")
