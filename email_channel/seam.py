"""THE SEAM between e-mail and the conversations (issue 17, first slice).

Everything the e-mail channel asks of the chat side goes through these three functions,
so moving e-mail onto the channel-independent conversation engine (issue 21) changes
this module only: an inbound mail becomes the engine's "customer message" event, and the
engine's "agent reply stored" event calls `agent_reply_stored` instead of the hook.

Until then they use the existing public services: bot.services (conversation_start,
message_append), bot.chat.conversation_escalate and agents.services.assignment_route.
E-mail runs under Art. 6(1)(b) (a request the customer sent us), not chat consent: the
conversation has no consent record, so none of its texts are used to teach the bot.
Not in this slice: the bot's answer suggestion and auto-answer on e-mail.
"""

from django.db import transaction

from agents.models import Queue
from agents.services import assignment_route
from bot import hooks
from bot.chat import conversation_escalate
from bot.dialog import Escalation
from bot.models import Conversation, Message
from bot.services import conversation_start, message_append
from privacy.models import DataSubject

# Conversation.escalation_reason of a conversation that came in by e-mail: a mail is
# written to the team, so it goes to the mailbox's queue at once.
ESCALATION_REASON_EMAIL = "email"


def conversation_from_mail(
    *, queue: Queue, language: str, subject: DataSubject, text: str, client_message_id: str
) -> tuple[Conversation, Message]:
    """A new e-mail conversation with the customer's first mail, in the queue's inbox."""
    conversation, _resume_token = conversation_start(
        channel=Conversation.Channel.EMAIL, language=language
    )
    conversation.subject = subject
    conversation.save(update_fields=["subject", "updated_at"])
    message, _created = message_append(
        conversation=conversation,
        sender=Message.Sender.CUSTOMER,
        text=text,
        client_message_id=client_message_id,
    )
    conversation_escalate(conversation=conversation, reason=ESCALATION_REASON_EMAIL)
    # Routed to the mailbox's queue now (in this transaction); the escalation listener
    # that runs after commit finds it routed and leaves it there.
    assignment_route(conversation_id=conversation.pk, queue=queue)
    return conversation, message


def message_from_mail(*, conversation: Conversation, text: str, client_message_id: str) -> Message:
    """The customer's reply in an existing conversation: a resolved one goes back to the
    team, one a person handles shows the new message in the inboxes."""
    message, _created = message_append(
        conversation=conversation,
        sender=Message.Sender.CUSTOMER,
        text=text,
        client_message_id=client_message_id,
    )
    if conversation.status == Conversation.Status.RESOLVED:
        conversation_escalate(
            conversation=conversation, reason=Escalation.CUSTOMER_WROTE_AGAIN, reopen=True
        )
    elif conversation.status == Conversation.Status.BOT:
        conversation_escalate(conversation=conversation, reason=ESCALATION_REASON_EMAIL)
    else:
        for listener in hooks.listeners(hooks.CUSTOMER_WROTE):
            transaction.on_commit(lambda listener=listener: listener(conversation.pk))
    return message


def agent_reply_stored(conversation: Conversation, message: Message) -> None:
    """bot's MESSAGE_STORED hook for e-mail conversations (inside the storing transaction):
    an agent's reply is queued as a mail in the same transaction. Bot and system messages
    ("marked as resolved") stay in the conversation and are not mailed."""
    if message.sender != Message.Sender.AGENT:
        return
    # email_channel.services imports this module.
    from email_channel.services import reply_mail_enqueue

    reply_mail_enqueue(conversation=conversation, message=message)
