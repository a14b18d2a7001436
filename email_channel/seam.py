"""THE SEAM between e-mail and the conversations (issue 17).

Everything the e-mail channel asks of the chat side goes through these functions, and
they call the channel-independent engine's verbs, as the web chat and the messengers do:
the sender's identity is a claim (bot.conversation_setup.identity_claim), the bot's
reaction is the dialog's (bot.chat.dialog_state, bot.dialog.dialog_next), a customer's
reply to a case the team has or had goes the chat's way (bot.chat.customer_wrote_to_team),
escalation is bot.chat.conversation_escalate (its status move records the event), and
routing to the mailbox's queue is agents.services.assignment_route.
E-mail runs under Art. 6(1)(b) (a request the customer sent us), not chat consent: the
conversation has no consent record, so none of its texts are used to teach the bot.

The bot on a new mail: the agents always see its suggestions (the conversation page
works them out from the customer's last message, as for chat). With the mailbox's
auto-answer on, a question in the answer band is answered by mail at once and the
conversation stays with the bot; the customer's reply to that mail hands it to the
team (the hand-over path). Everything else goes to the mailbox's queue.
"""

from agents.models import Queue
from agents.services import assignment_route
from bot.chat import (
    AGENTS_MESSAGE_PUSH,
    answerer_get,
    conversation_escalate,
    customer_wrote_to_team,
    dialog_state,
)
from bot.conversation_setup import identity_claim
from bot.customer_presence import customer_connected
from bot.dialog import DialogResult, Escalation, Reply, dialog_next
from bot.models import Conversation, Intent, Message
from bot.services import conversation_start, message_append
from email_channel.models import MailThread
from event_pipeline.outbox import call_action, outbox_event_record
from privacy.models import DataSubject

# Conversation.escalation_reason of a conversation that came in by e-mail: a mail is
# written to the team, so it goes to the mailbox's queue at once.
ESCALATION_REASON_EMAIL = "email"


def conversation_from_mail(
    *,
    queue: Queue,
    language: str,
    subject: DataSubject,
    text: str,
    client_message_id: str,
    auto_answer: bool = False,
) -> tuple[Conversation, Message]:
    """A new e-mail conversation with the customer's first mail: answered by the bot when
    `auto_answer` allows and it is sure (mail_bot_react), else in the queue's inbox."""
    conversation, _resume_token = conversation_start(
        channel=Conversation.Channel.EMAIL, language=language
    )
    identity_claim(conversation=conversation, subject=subject)
    message, _created = message_append(
        conversation=conversation,
        sender=Message.Sender.CUSTOMER,
        text=text,
        client_message_id=client_message_id,
    )
    return conversation, message


def mail_bot_reaction(*, conversation: Conversation, question: str) -> DialogResult:
    """What the chat's dialog engine says to the mail's question (stores nothing)."""
    return dialog_next(state=dialog_state(conversation), question=question, answerer=answerer_get())


def _auto_answer(reaction: DialogResult) -> Reply | None:
    """The bot's answer when the engine answered outright (the answer band): one reply with
    an intent, no "Did you mean …?" choices, no hand-over. An intent that acts (hand-over,
    privacy request, link) needs the chat's consent and identity steps: a person answers."""
    if reaction.escalate_reason or len(reaction.replies) != 1:
        return None
    reply = reaction.replies[0]
    if reply.sender != Message.Sender.BOT or not reply.intent_slug or reply.suggestions:
        return None
    if Intent.objects.filter(slug=reply.intent_slug).exclude(action="").exists():
        return None
    return reply


def mail_bot_react(
    *, conversation: Conversation, queue: Queue, question: str, auto_answer: bool
) -> Message | None:
    """After the thread of a new mail is stored: the bot's answer (returned; mailed by
    agent_reply_stored), or the hand-over to the mailbox's queue.

    Escalation reasons: the customer asked for a person; the bot, allowed to answer, was
    not sure; or (auto-answer off) a mail written to the team."""
    reaction = mail_bot_reaction(conversation=conversation, question=question)
    reply = _auto_answer(reaction) if auto_answer else None
    if reply is not None:
        message, _created = message_append(
            conversation=conversation,
            sender=Message.Sender.BOT,
            text=reply.text,
            intent_slug=reply.intent_slug,
            confidence=reply.confidence,
            answer_source=reply.answer_source,
        )
        return message
    if reaction.escalate_reason == Escalation.CUSTOMER_REQUEST:
        reason = Escalation.CUSTOMER_REQUEST
    elif auto_answer:
        reason = Escalation.LOW_CONFIDENCE
    else:
        reason = ESCALATION_REASON_EMAIL
    conversation_escalate(conversation=conversation, reason=reason)
    # Routed to the mailbox's queue now (in this transaction); the escalation listener
    # that runs after commit finds it routed and leaves it there.
    assignment_route(conversation_id=conversation.pk, queue=queue)
    return None


def message_from_mail(
    *, conversation: Conversation, queue: Queue | None, text: str, client_message_id: str
) -> Message:
    """The customer's reply in an existing conversation: a resolved one goes back to the
    team, one the bot answered goes to the team (a reply to the bot's mail is the
    hand-over), one a person handles shows the new message in the inboxes. As a chat
    message does (bot.chat), the mail reaches the agents' open conversation pages live,
    through one outbox event after commit (with the bot's suggestions for it)."""
    message, _created = message_append(
        conversation=conversation,
        sender=Message.Sender.CUSTOMER,
        text=text,
        client_message_id=client_message_id,
    )
    actions = []
    if conversation.status == Conversation.Status.BOT:
        conversation_escalate(conversation=conversation, reason=Escalation.CUSTOMER_REQUEST)
        if queue is not None:
            assignment_route(conversation_id=conversation.pk, queue=queue)
    else:
        actions = customer_wrote_to_team(conversation)
    actions.append(call_action(AGENTS_MESSAGE_PUSH, message_id=message.pk))
    outbox_event_record(kind="message.created", actions=actions, reference=conversation.public_id)
    return message


def agent_reply_stored(conversation: Conversation, message: Message) -> None:
    """bot's MESSAGE_STORED hook (inside the storing transaction), registered for e-mail,
    web-chat and contact-form conversations: an agent's reply, or the bot's auto-answer
    on e-mail, is queued as a mail in the same transaction, where the conversation has a
    mail thread (web chat: the customer left an address; a form's thread opens with the
    first reply). System messages ("marked as resolved") stay in the conversation.

    A web-chat customer still connected to the chat reads the reply there: it goes by
    mail only once they are not (bot.customer_presence)."""
    if (
        conversation.channel == Conversation.Channel.WEB
        and message.sender == Message.Sender.AGENT
        and customer_connected(conversation.public_id.hex)
    ):
        return
    if message.sender == Message.Sender.AGENT or (
        message.sender == Message.Sender.BOT and conversation.channel == Conversation.Channel.EMAIL
    ):
        # email_channel.services and .follow_up import this module.
        from email_channel.follow_up import form_thread_open
        from email_channel.services import reply_mail_enqueue

        if (
            conversation.channel == Conversation.Channel.FORM
            and not MailThread.objects.filter(conversation=conversation).exists()
        ):
            form_thread_open(conversation)
        reply_mail_enqueue(conversation=conversation, message=message)
