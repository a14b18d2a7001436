"""Django's PostgreSQL backend, with the connection health check skipped for a connection
that has just committed (settings' ENGINE on PostgreSQL).

With CONN_HEALTH_CHECKS, Django sends a `SELECT 1` round trip before the first statement
of every request, and channels' database_sync_to_async counts every trip of the chat to
the database thread as one: a round trip per message and set-up step besides its own
(issue 22), while the database thread waits. A connection whose COMMIT came back a moment
ago was healthy then; it is checked again once it has been idle for
HEALTH_CHECK_AFTER_IDLE_SECONDS. Only a PostgreSQL restart within that second is found by
the next trip's own statement (that trip fails, and channels closes the connection after
it, as with checks off); one that sat idle longer is checked and replaced as before.
"""

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_AFTER_IDLE_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    # When this connection's last COMMIT succeeded (time.monotonic()).
    committed_at = float("-inf")

    def _commit(self):
        committed = super()._commit()
        self.committed_at = time.monotonic()
        return committed

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and time.monotonic() - self.committed_at < HEALTH_CHECK_AFTER_IDLE_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
