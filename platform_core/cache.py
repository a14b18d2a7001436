"""The Redis cache's connection pool, and a cache object, shared by the whole process."""

import threading

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
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


# One cache object per process and configuration (process_cache).
_process_caches: dict[tuple[str, str], BaseCache] = {}


def process_cache(alias: str = DEFAULT_CACHE_ALIAS) -> BaseCache:
    """The cache `alias` as one object for the whole process, for the chat's hot path.

    django.core.cache.caches holds one per asgiref context: every websocket connection,
    and every hop of it to a thread, builds its own (its client, serializer and Redis
    client classes looked up afresh), about 0.6 ms of CPU before its first command.
    Cache objects are safe to share between threads (Redis: the shared pool; locmem:
    its lock). A new configuration (tests' override_settings) gets a new one.
    """
    key = (alias, repr(settings.CACHES.get(alias)))
    backend = _process_caches.get(key)
    if backend is None:
        backend = _process_caches.setdefault(key, caches.create_connection(alias))
    return backend
