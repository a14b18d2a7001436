"""The Redis cache's connection pool, shared by the whole process."""

import threading

from redis import ConnectionPool


class SharedConnectionPool(ConnectionPool):
    """One pool per process and Redis URL.

    Django keeps its cache objects in an asgiref Local, so every hop from a consumer to
    a thread (database_sync_to_async) gets a new cache object, and each would open a
    new connection to Redis: one per websocket frame. Their pools are this one.
    """

    _shared: dict[tuple, ConnectionPool] = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs) -> ConnectionPool:
        # Django passes the same options every time (some of them unhashable).
        key = (url, repr(sorted(kwargs.items())))
        with cls._lock:
            if key not in cls._shared:
                cls._shared[key] = super().from_url(url, **kwargs)
            return cls._shared[key]
