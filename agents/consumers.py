"""The agents' websockets.

/ws/inbox/: live updates of the inbox (new escalations, claims, transfers,
resolutions, agents' availability) for the queues an agent may see.

/ws/inbox/conversations/<public id hex>/: one conversation, live: the
customer's messages and typing, colleagues' replies and notes, state changes;
sends the agent's typing to the customer. "conversation.ready" carries the
conversation's last_seq; a page that rendered fewer messages sends
{"type": "resume", "since": <its last seq>} and gets the ones after it as "message"
frames (as the customer's chat resumes with "since"). Replies go through the page's form
(POST, CSRF), which is the one write path for pages and scripts alike.

Both authorise in connect() (4401 anonymous, 4403 not allowed, 4404 unknown
conversation) and close when the account is disabled (staff.close).
"""

import time

from channels.db import database_sync_to_async

from agents.selectors import (
    ACTIVE_STATUSES,
    bot_message_explanation,
    conversation_get_by_public_id,
    conversation_is_visible,
    conversation_message_frames_since,
    queue_list_for_agent,
    suggestion_items_rendered,
    user_is_agent,
    user_sees_all_queues,
)
from bot.chat import message_suggestion_items
from event_pipeline import events
from platform_core.consumers import JsonConsumer
from staff.selectors import session_may_see_staff_data

# Close codes in the 4000 range are the application's own (RFC 6455, 7.4.2).
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# The customer sees "typing" for a few seconds; more than one frame per interval is noise.
TYPING_MIN_INTERVAL_SECONDS = 2.0


@database_sync_to_async
def _inbox_access(user, session) -> tuple[list[int], bool] | None:
    if not user_is_agent(user=user) or not session_may_see_staff_data(user=user, session=session):
        return None
    queue_ids = list(queue_list_for_agent(user=user).values_list("id", flat=True))
    return queue_ids, user_sees_all_queues(user=user)


@database_sync_to_async
def _conversation_access(user, session, public_hex: str):
    """(conversation, None) when the user may watch it, else (None, close code)."""
    if not user_is_agent(user=user) or not session_may_see_staff_data(user=user, session=session):
        return None, CLOSE_FORBIDDEN
    conversation = conversation_get_by_public_id(public_id=public_hex)
    if conversation is None:
        return None, CLOSE_NOT_FOUND
    if not conversation_is_visible(user=user, conversation=conversation):
        return None, CLOSE_FORBIDDEN
    return conversation, None


@database_sync_to_async
def _suggestions(conversation, frame: dict) -> list[dict]:
    return suggestion_items_rendered(
        message_suggestion_items(
            conversation_public_hex=conversation.public_id.hex,
            seq=frame["seq"],
            question=frame["text"],
            language=conversation.language,
        )
    )


@database_sync_to_async
def _message_frames_since(conversation, after_seq: int) -> list[dict]:
    return conversation_message_frames_since(conversation=conversation, after_seq=after_seq)


@database_sync_to_async
def _explanation(conversation, seq: int) -> dict | None:
    return bot_message_explanation(conversation=conversation, seq=seq)


class _StaffConsumer(JsonConsumer):
    groups_joined: list[str]

    async def _join(self, groups: list[str]) -> None:
        # Ending this sign-in (an admin, the idle timeout, sign-out) closes the socket.
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            groups = [*groups, events.staff_session_group(session_key)]
        self.groups_joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def staff_close(self, event: dict) -> None:
        """The account was disabled or deleted, or the sign-in ended: no more live personal
        data for it."""
        await self.close(code=CLOSE_FORBIDDEN)

    def _user(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return user


class InboxConsumer(_StaffConsumer):
    async def connect(self) -> None:
        user = self._user()
        if user is None:
            return await self.close(code=CLOSE_NOT_AUTHENTICATED)
        access = await _inbox_access(user, self.scope.get("session"))
        if access is None:
            return await self.close(code=CLOSE_FORBIDDEN)
        queue_ids, sees_all = access
        # Supervisors get every update once, through inbox_all, not once per queue.
        groups = (
            [events.INBOX_ALL_GROUP]
            if sees_all
            else [events.inbox_group(queue_id) for queue_id in queue_ids]
        )
        groups += [events.staff_group(user.pk), events.INBOX_PRESENCE_GROUP]
        await self._join(groups)
        await self.accept()
        await self.send_json({"type": "inbox.ready", "queues": queue_ids})

    async def receive_json(self, content, **kwargs) -> None:
        await self.send_json(
            {"type": "error", "code": "read_only", "detail": "This socket only sends updates."}
        )

    async def inbox_event(self, event: dict) -> None:
        # Forward only: the event was authorised and built by a service.
        await self.send_json(event["payload"])


class ConversationConsumer(_StaffConsumer):
    conversation = None
    last_typing_sent = 0.0

    async def connect(self) -> None:
        user = self._user()
        if user is None:
            return await self.close(code=CLOSE_NOT_AUTHENTICATED)
        public_hex = self.scope["url_route"]["kwargs"]["public_hex"]
        conversation, refusal = await _conversation_access(
            user, self.scope.get("session"), public_hex
        )
        if conversation is None:
            return await self.close(code=refusal)
        self.conversation = conversation
        self.status = conversation.status
        await self._join(
            [events.conversation_group(conversation.public_id.hex), events.staff_group(user.pk)]
        )
        await self.accept()
        await self.send_json(
            {
                "type": "conversation.ready",
                "conversation": conversation.public_id.hex,
                "status": conversation.status,
                "last_seq": conversation.last_seq,
            }
        )

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resume":
            return await self._resume(content.get("since"))
        if kind != "typing":
            return await self.send_json(
                {"type": "error", "code": "unknown_type", "detail": "Only typing and resume."}
            )
        if self.status not in ACTIVE_STATUSES:
            return
        now = time.monotonic()
        if now - self.last_typing_sent < TYPING_MIN_INTERVAL_SECONDS:
            return
        self.last_typing_sent = now
        await self.channel_layer.group_send(
            events.customer_group(self.conversation.public_id.hex),
            {"type": "chat.message", "frame": {"type": "typing", "from": "agent"}},
        )

    async def _resume(self, since) -> None:
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            return await self.send_json(
                {"type": "error", "code": "invalid_since", "detail": "since: a message seq."}
            )
        for frame in await _message_frames_since(self.conversation, since):
            await self.send_json(frame)

    # From the customer (bot.consumers.ChatConsumer) ----------------------------------------

    async def conversation_message(self, event: dict) -> None:
        frame = event["frame"]
        seq = frame.get("seq")
        if frame.get("from") == "bot" and isinstance(seq, int) and "explanation" not in frame:
            # Why the bot answered, as the page shows it for the messages it rendered.
            explanation = await _explanation(self.conversation, seq)
            if explanation:
                frame = {**frame, "explanation": explanation}
        await self.send_json(frame)
        if frame.get("from") == "customer" and isinstance(frame.get("text"), str):
            # The suggestions follow the customer's last question: worked out once per
            # message and shared by every agent watching (bot.chat.message_suggestion_items).
            items = await _suggestions(self.conversation, frame)
            await self.send_json({"type": "suggestions", "items": items})

    async def conversation_typing(self, event: dict) -> None:
        if event.get("from") == "customer":
            await self.send_json({"type": "typing", "from": "customer"})

    # From our services (event_pipeline/events.py) ---------------------------------------------

    async def conversation_event(self, event: dict) -> None:
        payload = event["payload"]
        if payload.get("type") == "state":
            self.status = payload.get("status", self.status)
        await self.send_json(payload)

    async def inbox_event(self, event: dict) -> None:
        """staff_<id> also carries inbox rows; this page has no list to update."""
