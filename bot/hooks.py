"""Listeners other apps register for bot events (agents routes escalations to its queues).

bot must not import agents (agents -> bot -> privacy), so agents registers its
functions here in its AppConfig.ready(), as every app registers its personal-data
provider with privacy. Listeners take a conversation id; `hook_emit` records the event
in the outbox inside the caller's transaction, so they run after it commits, and still
run (from the outbox drain) when the process dies right after the commit.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from event_pipeline.outbox import Action, call_action, outbox_handler_register

# Called with the conversation id (and, for STATUS_MOVED, the ids of its context).
Listener = Callable[..., None]

# A conversation was handed to the team (queued for a person).
ESCALATED = "escalated"
# A customer wrote in a conversation a person handles (not the bot).
CUSTOMER_WROTE = "customer_wrote"
# A conversation's status moved (bot.conversation_status), other than into the queue by an
# escalation (ESCALATED): the agents' inboxes and conversation pages show it. Listeners
# also get `previous_queue_id` / `previous_agent_id` when the move took it from them.
STATUS_MOVED = "status_moved"

_listeners: dict[str, list[Listener]] = {ESCALATED: [], CUSTOMER_WROTE: [], STATUS_MOVED: []}

# A message was stored in a conversation of a channel that delivers by itself (e-mail):
# called INSIDE the storing transaction with (conversation, message), so the channel
# queues its delivery atomically with the message. A seam until the outbox of the
# conversation engine (issue 21) carries this event; see email_channel/seam.py.
MessageListener = Callable[[Any, Any], None]
_message_stored_listeners: dict[str, list[MessageListener]] = {}


def message_stored_listener_register(channel: str, listener: MessageListener) -> None:
    channel_listeners = _message_stored_listeners.setdefault(channel, [])
    if listener not in channel_listeners:
        channel_listeners.append(listener)


def message_stored_listeners(channel: str) -> list[MessageListener]:
    return list(_message_stored_listeners.get(channel, ()))


# Follow-up by e-mail (email_channel registers it): a web-chat customer waiting for the
# team may leave an address, and the team's replies then also go out by mail.
# `available(conversation)` says whether it can be offered (a mailbox to send from);
# `leave(conversation=, address=)` records it (ValidationError with a code if refused);
# `left(conversation)` says whether the customer already left one;
# `withdraw(conversation)` forgets it when the customer withdraws consent in the chat.
# The bot's follow-up form (bot.follow_ups), consented there: `answer_by_mail(conversation,
# address)` opens the way for the team's replies to go by mail (False: no mailbox), and
# `answer_by_mail_end(conversation)` forgets the address once the follow-up is done.
class FollowUpRefused(ValidationError):
    """The address was refused; `code` is the chat's stable error code."""


@dataclass(frozen=True)
class FollowUpChannel:
    available: Callable[[Any], bool]
    leave: Callable[..., None]
    left: Callable[[Any], bool]
    withdraw: Callable[[Any], None]
    answer_by_mail: Callable[[Any, str], bool]
    answer_by_mail_end: Callable[[Any], None]


_follow_up: list[FollowUpChannel] = []


def follow_up_register(channel: FollowUpChannel) -> None:
    _follow_up[:] = [channel]


def follow_up_channel() -> FollowUpChannel | None:
    return _follow_up[0] if _follow_up else None


def listener_register(event: str, listener: Listener) -> None:
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def listeners(event: str) -> list[Listener]:
    return list(_listeners[event])


# Whether a person is there right now for a language, beside the opening hours: agents
# register "someone serving it is online". Customers outside the hours are then told a
# person will answer instead of "back on Monday".
PresenceSource = Callable[[str], bool]
_presence_sources: list[PresenceSource] = []


def presence_source_register(source: PresenceSource) -> None:
    if source not in _presence_sources:
        _presence_sources.append(source)


def team_present(*, language: str) -> bool:
    return any(source(language) for source in _presence_sources)


# Questions the bot could not answer that reached it outside a conversation (the help
# centre's searches without a good hit): a source takes the period (start, end) and a
# maximum and returns (redacted text, language) pairs, newest first. The "questions
# the bot could not answer" topics cluster them with the escalated chat questions.
UnansweredSource = Callable[[datetime, datetime, int], list[tuple[str, str]]]
_unanswered_sources: list[UnansweredSource] = []


def unanswered_source_register(source: UnansweredSource) -> None:
    if source not in _unanswered_sources:
        _unanswered_sources.append(source)


def unanswered_sources() -> list[UnansweredSource]:
    return list(_unanswered_sources)


def hook_action(event: str, conversation_id: int, **context: int) -> Action:
    """The outbox action that calls the event's listeners after commit (with `context`,
    ids the event names besides the conversation, as keyword arguments)."""
    return call_action(f"bot.hook.{event}", conversation_id=conversation_id, **context)


def _listeners_call(event: str) -> Callable[..., None]:
    def call(*, conversation_id: int, **context: int) -> None:
        for listener in listeners(event):
            listener(conversation_id, **context)

    return call


for _event in _listeners:
    outbox_handler_register(f"bot.hook.{_event}", _listeners_call(_event))
