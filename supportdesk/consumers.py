"""The base of every websocket consumer."""

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer


class JsonConsumer(AsyncJsonWebsocketConsumer):
    """channels' JSON consumer without its per-frame hop to the database thread.

    channels' dispatch first runs close_old_connections in the database thread, for
    every frame. Our consumers touch the database only through database_sync_to_async,
    which closes old connections itself, before and after; and under load that extra
    hop queues behind every other connection's database work, doubling each frame's
    wait (benchmarks/chat_load.py).
    """

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
