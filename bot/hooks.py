"""Listeners other apps register for bot events (agents routes escalations to its queues).

bot must not import agents (agents -> bot -> privacy), so agents registers its
functions here in its AppConfig.ready(), as every app registers its personal-data
provider with privacy. Listeners take a conversation id; `hook_emit` records the event
in the outbox inside the caller's transaction, so they run after it commits, and still
run (from the outbox drain) when the process dies right after the commit.
"""

from collections.abc import Callable

from supportdesk.outbox import Action, call_action, outbox_handler_register

Listener = Callable[[int], None]

# A conversation was handed to the team (queued for a person).
ESCALATED = "escalated"
# A customer wrote in a conversation a person handles (not the bot).
CUSTOMER_WROTE = "customer_wrote"

_listeners: dict[str, list[Listener]] = {ESCALATED: [], CUSTOMER_WROTE: []}


def listener_register(event: str, listener: Listener) -> None:
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def listeners(event: str) -> list[Listener]:
    return list(_listeners[event])


def hook_action(event: str, conversation_id: int) -> Action:
    """The outbox action that calls the event's listeners after commit."""
    return call_action(f"bot.hook.{event}", conversation_id=conversation_id)


def _listeners_call(event: str) -> Callable[..., None]:
    def call(*, conversation_id: int) -> None:
        for listener in listeners(event):
            listener(conversation_id)

    return call


for _event in _listeners:
    outbox_handler_register(f"bot.hook.{_event}", _listeners_call(_event))
