"""The customer's presence counter (bot.customer_presence) stays off the database thread:
the chat's database work queues for that one thread (bot.consumers.DatabaseQueue), and a
hello or a closed socket must not wait behind it (issue 22)."""

import asyncio
import threading

from asgiref.sync import sync_to_async

from bot.customer_presence import (
    customer_connected,
    customer_connection_close,
    customer_connection_open,
)


async def test_presence_is_counted_while_the_database_thread_is_busy():
    release = threading.Event()
    # Holds the one thread that thread-sensitive calls (the ORM's, Django's async cache
    # methods) run in, as a long database batch would.
    busy = asyncio.ensure_future(sync_to_async(release.wait, thread_sensitive=True)())
    await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(customer_connection_open("c0ffee"), timeout=5)
        await asyncio.wait_for(customer_connection_open("c0ffee"), timeout=5)
        connected_twice = customer_connected("c0ffee")
        await asyncio.wait_for(customer_connection_close("c0ffee"), timeout=5)
        still_connected = customer_connected("c0ffee")
        await asyncio.wait_for(customer_connection_close("c0ffee"), timeout=5)
        gone = not customer_connected("c0ffee")
    finally:
        release.set()
        await busy

    assert (connected_twice, still_connected, gone) == (True, True, True)
