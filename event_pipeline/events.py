"""Pushes to websockets: the group names, the frames, and the one way to send them.

Services publish inside their transaction; the push is an outbox event
(event_pipeline/outbox.py), sent once the transaction commits and not lost when the
process dies in between. Group names:

- `customer_<public id hex>`: the customer's own chat socket (bot.consumers.ChatConsumer);
  events `chat.message` carrying a chat-protocol frame.
- `conversation_<public id hex>`: the agents watching a conversation; events
  `conversation.message` (a customer's message), `conversation.typing` and
  `conversation.event`.
- `inbox_<queue id>`: the inbox sockets of the queue's agents; `inbox_all`: those of
  supervisors and admins, who see every queue (and conversations no queue took);
  events `inbox.event`. Each update goes to its queues' groups and to `inbox_all`.
- `inbox_presence`: every inbox socket; agents' availability.
- `staff_<user id>`: every socket of one staff user; `inbox.event` for what is theirs,
  `staff.close` when the account is disabled.
- `staff_session_<hash of the session key>`: the sockets opened with one sign-in;
  `staff.close` when that session ends (staff/services.py).
"""

import hashlib
import uuid

from event_pipeline import outbox
from event_pipeline.outbox import Action, group_action, outbox_event_record
from platform_core.answer_markup import answer_html

INBOX_ALL_GROUP = "inbox_all"
INBOX_PRESENCE_GROUP = "inbox_presence"


def customer_group(public_hex: str) -> str:
    return f"customer_{public_hex}"


def conversation_group(public_hex: str) -> str:
    return f"conversation_{public_hex}"


def inbox_group(queue_id: int) -> str:
    return f"inbox_{queue_id}"


def staff_group(user_id: int) -> str:
    return f"staff_{user_id}"


def staff_session_group(session_key: str) -> str:
    # A hash: the session key is a credential and stays out of the channel layer.
    return f"staff_session_{hashlib.sha256(session_key.encode()).hexdigest()[:32]}"


# Frames of the chat protocol (README "Chat protocol") -----------------------------------------


def message_frame(message) -> dict:
    """A stored message as the customer's page (and the agent's) renders it; with the
    numbered choices of a "Did you mean …?" reply when it has them."""
    frame = {
        "type": "message",
        "seq": message.seq,
        "from": message.sender,
        "text": message.text,
        "sent_at": message.created_at.isoformat(),
    }
    if message.sender == "bot":
        # Knowledge-base answers may carry links, bold and lists (platform_core.answer_markup).
        frame["html"] = answer_html(message.text)
    suggestions = getattr(message, "suggestions", None)
    if suggestions:
        frame["suggestions"] = list(suggestions)
    return frame


def status_frame(status: str, *, agent_name: str = "") -> dict:
    frame = {"type": "status", "status": status}
    if agent_name:
        frame["agent"] = agent_name
    return frame


# Publishing (inside the transaction) ----------------------------------------------------------


def customer_frames_actions(*, public_hex: str, frames: list[dict]) -> list[Action]:
    return [
        group_action(customer_group(public_hex), {"type": "chat.message", "frame": frame})
        for frame in frames
    ]


def conversation_event_action(*, public_hex: str, payload: dict) -> Action:
    return group_action(
        conversation_group(public_hex), {"type": "conversation.event", "payload": payload}
    )


def inbox_event_actions(*, groups: set[str], payload: dict) -> list[Action]:
    return [
        group_action(group, {"type": "inbox.event", "payload": payload}) for group in sorted(groups)
    ]


def conversation_event_publish(*, public_hex: str, payload: dict) -> None:
    outbox_event_record(
        kind=f"conversation.{payload.get('type', 'event')}"[:50],
        actions=[conversation_event_action(public_hex=public_hex, payload=payload)],
        reference=uuid.UUID(hex=public_hex),
    )


def inbox_event_publish(*, groups: set[str], payload: dict) -> None:
    outbox_event_record(
        kind=f"inbox.{payload.get('type', 'event')}"[:50],
        actions=inbox_event_actions(groups=groups, payload=payload),
    )


def staff_close_publish(*, user_id: int) -> None:
    outbox_event_record(
        kind="staff.close", actions=[group_action(staff_group(user_id), {"type": "staff.close"})]
    )


def staff_session_close_publish(*, session_key: str) -> None:
    outbox_event_record(
        kind="staff.close",
        actions=[group_action(staff_session_group(session_key), {"type": "staff.close"})],
    )


def customer_typing_send(*, public_hex: str, sender: str) -> None:
    """Typing is shown for seconds and not stored: pushed at once, not through the outbox."""
    outbox.group_send(
        customer_group(public_hex),
        {"type": "chat.message", "frame": {"type": "typing", "from": sender}},
    )
