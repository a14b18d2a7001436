"""Pushes to websockets, sent after the transaction that caused them commits.

Services call `on_commit_send(...)`; nothing here touches the database. Group names:

- `customer_<public id hex>`: the customer's own chat socket (bot.consumers.ChatConsumer);
  events `chat.message` carrying a chat-protocol frame.
- `conversation_<public id hex>`: the agents watching a conversation (and where bot sends
  the customer's messages and typing after escalation); our events `conversation.event`.
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
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

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


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a push that fails must not undo or hide a committed change
        logger.exception("Could not push %s to group %s", message.get("type"), group)


def customer_frame_send(*, public_hex: str, frames: list[dict]) -> None:
    for frame in frames:
        _group_send(customer_group(public_hex), {"type": "chat.message", "frame": frame})


def conversation_event_send(*, public_hex: str, payload: dict) -> None:
    _group_send(conversation_group(public_hex), {"type": "conversation.event", "payload": payload})


def inbox_event_send(*, groups: set[str], payload: dict) -> None:
    for group in sorted(groups):
        _group_send(group, {"type": "inbox.event", "payload": payload})


def staff_close_send(*, user_id: int) -> None:
    _group_send(staff_group(user_id), {"type": "staff.close"})


def on_commit_send(function, **kwargs) -> None:
    """Run one of the senders above once the current transaction has committed."""
    transaction.on_commit(lambda: function(**kwargs))


def staff_session_close_send(*, session_key: str) -> None:
    _group_send(staff_session_group(session_key), {"type": "staff.close"})
