"""The agents' inbox websocket, /ws/inbox/: live updates for the queues an agent may see."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agents.selectors import queue_list_for_agent, user_is_agent

# Close codes in the 4000 range are the application's own (RFC 6455, 7.4.2).
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _inbox_queue_ids(user) -> list[int] | None:
    if not user_is_agent(user=user):
        return None
    return list(queue_list_for_agent(user=user).values_list("id", flat=True))


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(code=CLOSE_NOT_AUTHENTICATED)
        queue_ids = await _inbox_queue_ids(user)
        if queue_ids is None:
            return await self.close(code=CLOSE_FORBIDDEN)
        self.groups_joined = [f"inbox_{queue_id}" for queue_id in queue_ids]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "inbox.ready", "queues": queue_ids})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        await self.send_json(
            {"type": "error", "code": "read_only", "detail": "This socket only sends updates."}
        )

    async def inbox_event(self, event: dict) -> None:
        # Forward only: the event was authorised and built by a service.
        await self.send_json(event["payload"])
