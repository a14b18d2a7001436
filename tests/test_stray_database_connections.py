"""An async test's ORM calls leave no session on the test database behind them: PostgreSQL
refuses to drop a database another session still uses, at the end of the services suite."""

import gc
import subprocess
import sys
import threading
import time

import pytest
from asgiref.sync import SyncToAsync
from django.db import connection

from tests import processes
from tests.processes import database_sessions_others, stray_database_connections_close

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


@pytest.mark.django_db(transaction=True)
def test_the_connection_of_a_thread_that_ended_is_closed():
    # given a thread that used the ORM and ended without closing its connection (an event
    # loop's executor thread): Django's connection object is freed only by the collector
    # (which stays off until the close, so that it cannot run first by chance)
    pids = []
    gc.disable()
    try:
        thread = threading.Thread(target=lambda: pids.append(_backend_pid()))
        thread.start()
        thread.join()
        opened = _session_open(pids[0])

        # when
        stray_database_connections_close()
    finally:
        gc.enable()

    # then
    assert (opened, _session_closes(pids[0])) == (True, True)


@pytest.mark.django_db(transaction=True)
def test_the_connection_of_a_thread_still_alive_is_closed():
    # given a thread that used the ORM and waits (a test server's daemon thread)
    pids, done = [], threading.Event()

    def serve():
        pids.append(_backend_pid())
        done.wait(30)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    while not pids:
        time.sleep(0.01)

    # when
    stray_database_connections_close()

    # then
    assert _session_closes(pids[0])
    done.set()
    thread.join()


@pytest.mark.django_db(transaction=True)
def test_a_session_left_on_the_test_database_is_named_with_its_process():
    # given a session another process holds (a server the suite started)
    script = (
        "import os, sys, time, psycopg; c = psycopg.connect(sys.argv[1]);"
        " c.execute('SELECT 1'); print('ready', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, processes.test_database_url()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"

        # when
        stray_database_connections_close()
        sessions = database_sessions_others(timeout=0)

        # then
        [session] = sessions
        assert session["process"].startswith(f"{child.pid} {sys.executable} -c")
    finally:
        child.kill()
        child.wait(timeout=20)


def _session_closes(pid: int) -> bool:
    """The backend leaves pg_stat_activity a moment after its client closed."""
    deadline = time.monotonic() + 10
    while _session_open(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _session_open(pid)
