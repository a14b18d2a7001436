"""An async test's ORM calls leave no session on the test database behind them: PostgreSQL
refuses to drop a database another session still uses, at the end of the services suite."""

import time

import pytest
from asgiref.sync import SyncToAsync
from django.db import connection

from tests.processes import stray_database_connections_close

pytestmark = pytest.mark.services


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _session_open(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_the_connection_of_asgirefs_thread_for_thread_sensitive_code_is_closed():
    # given a connection where an async test's `await Queue.objects.acount()` opens one
    pid = SyncToAsync.single_thread_executor.submit(_backend_pid).result()
    opened = _session_open(pid)

    # when (what the suite does before it drops the test database)
    stray_database_connections_close()

    # then (a closed connection's backend leaves pg_stat_activity a moment later)
    deadline = time.monotonic() + 10
    while _session_open(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (opened, _session_open(pid)) == (True, False)
