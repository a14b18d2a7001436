"""echo_asgi's application plus a count of every SQL statement, for the verbose mode of
chat_open_loop.py: where a set-up step's or a message's server time goes.

Every database connection the process opens gets an execute wrapper (Django's
`connection.execute_wrappers`) that counts statements and their time by verb and
table, and the chat consumer's trips to the database thread are counted too
(bot.consumers' database_sync_to_async); GET /bench/sql/ answers the totals so far as
JSON. Benchmarks only: the wrappers cost a little time per statement.
"""

import json
import re
import threading
import time
from collections import Counter

from django.db.backends.signals import connection_created

from benchmarks.echo_asgi import application as echo_application
from bot import consumers as chat_consumers

STATS_PATH = "/bench/sql/"
_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+[`"]?(\w+)', re.IGNORECASE)
_lock = threading.Lock()
_statements: Counter = Counter()
_seconds: Counter = Counter()
_trips: Counter = Counter()


def _statement_kind(sql: str) -> str:
    """'SELECT chat_conversation', 'INSERT bot_message', 'SAVEPOINT', ...: what a report
    groups by (the verb and the first table named)."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table else verb


def _count(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        kind = _statement_kind(sql)
        with _lock:
            _statements[kind] += 1
            _seconds[kind] += time.perf_counter() - started


def _wrap(sender, connection, **kwargs):
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


connection_created.connect(_wrap)

_database_sync_to_async = chat_consumers.database_sync_to_async


def _counting_database_sync_to_async(func):
    def trip(*args, **kwargs):
        with _lock:
            _trips["database thread"] += 1
        return func(*args, **kwargs)

    return _database_sync_to_async(trip)


chat_consumers.database_sync_to_async = _counting_database_sync_to_async


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == STATS_PATH:
        with _lock:
            body = json.dumps(
                {"statements": _statements, "seconds": _seconds, "trips": _trips}
            ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    await echo_application(scope, receive, send)
