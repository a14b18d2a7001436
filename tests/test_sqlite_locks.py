"""Reading a live SQLite database's bytes keeps this process's locks on it.

The privacy tests read the test database's raw bytes while live-server processes use it.
Read with open()/close() in this process, that dropped SQLite's POSIX locks here; the next
server process to close its last connection then deleted the WAL under this process, and
every later connection of the test run failed with "disk I/O error".
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.processes import sqlite_file_bytes


def _open_wal_database(path: Path) -> sqlite3.Connection:
    held = sqlite3.connect(path)
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("CREATE TABLE t (x)")
    held.execute("INSERT INTO t VALUES (1)")
    held.commit()
    return held


def _another_process_connects_and_closes(path: Path) -> None:
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('INSERT INTO t VALUES (2)'); c.commit(); c.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)


def test_reading_in_another_process_leaves_the_wal_to_the_connections_here(tmp_path):
    # given a connection here holding a WAL database
    path = tmp_path / "live.sqlite3"
    held = _open_wal_database(path)

    # when its bytes are read, then another process opens and closes its connection
    assert b"SQLite format 3" in sqlite_file_bytes(path)
    _another_process_connects_and_closes(path)

    # then that process knew it was not the last user: the WAL and its index stay
    assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
    assert held.execute("SELECT count(*) FROM t").fetchone() == (2,)
    held.close()


def test_reading_in_this_process_would_let_the_wal_be_deleted(tmp_path):
    """The failure the helper avoids, shown on a throwaway database."""
    path = tmp_path / "live.sqlite3"
    held = _open_wal_database(path)

    path.read_bytes()
    _another_process_connects_and_closes(path)

    assert not Path(f"{path}-wal").exists()
    held.close()


@pytest.mark.skipif(
    os.environ.get("SUPPORTDESK_TEST_SERVICES") == "1",
    reason="the guard watches the embedded SQLite test database (services: PostgreSQL)",
)
@pytest.mark.django_db
def test_opening_the_live_test_database_here_fails_at_once_naming_the_helper():
    path = Path(connection.settings_dict["NAME"])

    with pytest.raises(RuntimeError, match="sqlite_file_bytes"):
        path.read_bytes()
    with pytest.raises(RuntimeError, match="sqlite_file_bytes"):
        open(f"{path}-shm", "rb")  # noqa: SIM115 (never opened: the guard refuses)

    assert sqlite_file_bytes(path).startswith(b"SQLite format 3")
