"""Whether a customer is connected to their web chat right now.

The chat socket (bot.consumers.ChatConsumer) counts itself in the shared cache while it
is open: +1 when it joins the conversation (hello), -1 when it closes (the customer left
the page, closed the tab, lost the connection). The count expires CHAT_CONNECTED_SECONDS
after the socket last showed activity (hello or a frame, refreshed at most once a
minute): a daphne process that dies cannot say goodbye, and a customer who left a page
open and idle for that long is treated as gone. Nothing personal is kept: the key is the
conversation's public id.

Used by e-mail's follow-up (email_channel.seam): an agent's reply goes by mail only when
the customer is not connected; while they are, the chat delivers it. When the cache
cannot be reached the customer counts as not connected (the mail goes: better twice than
never).
"""

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from redis.exceptions import RedisError

from platform_core.cache import counter_decrement, counter_increment, process_cache

logger = logging.getLogger(__name__)

# A socket refreshes its expiry at most this often (one cache call, not one per frame).
REFRESH_SECONDS = 60


def _key(public_hex: str) -> str:
    return f"chat-connected:{public_hex}"


def _off_the_database_thread(func):
    """func as a coroutine run in a worker thread: Django's own async cache methods each
    take a hop to the one thread the database work queues for (thread_sensitive)."""
    return sync_to_async(func, thread_sensitive=False)


@_off_the_database_thread
def customer_connection_open(public_hex: str) -> None:
    try:
        counter_increment(
            _key(public_hex), timeout=settings.CHAT_CONNECTED_SECONDS, refresh_expiry=True
        )
    except RedisError:
        logger.warning("Chat connection not counted: the cache cannot be reached.")


@_off_the_database_thread
def customer_connection_refresh(public_hex: str) -> None:
    try:
        process_cache().touch(_key(public_hex), timeout=settings.CHAT_CONNECTED_SECONDS)
    except RedisError:
        logger.warning("Chat connection not refreshed: the cache cannot be reached.")


@_off_the_database_thread
def customer_connection_close(public_hex: str) -> None:
    try:
        counter_decrement(_key(public_hex))  # expired already (None): counted as gone
    except RedisError:
        logger.warning("Chat connection not uncounted: the cache cannot be reached.")


def customer_connected(public_hex: str) -> bool:
    """Whether a chat socket of this conversation is open (see the module docstring)."""
    try:
        return (process_cache().get(_key(public_hex)) or 0) > 0
    except RedisError:
        return False
