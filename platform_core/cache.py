"""The Redis cache's connection pool, its client and a cache object, shared by the whole
process."""

import threading
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import ConnectionPool, Redis
from redis.commands.core import Script


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


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with one redis.Redis per connection pool.

    Django's builds a redis.Redis for every command, and each builds its table of some
    170 response callbacks: more CPU than the round trip itself (issue 22). A redis.Redis
    is safe to share between threads (each command takes a connection from the pool), so
    the pool keeps the one it was built for: shared as widely as the pool is.
    """

    def get_client(self, key=None, *, write=False) -> Redis:
        pool = self._get_connection_pool(write)
        client = getattr(pool, "shared_cache_client", None)
        if client is None:  # two threads may both build one: either serves
            client = pool.shared_cache_client = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    """Django's Redis cache with SharedClientRedisCacheClient (settings' CACHES)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient


# One cache object per process and configuration (process_cache).
_process_caches: dict[tuple[str, str], BaseCache] = {}


def process_cache(alias: str = DEFAULT_CACHE_ALIAS) -> BaseCache:
    """The cache `alias` as one object for the whole process, for the chat's hot path.

    django.core.cache.caches holds one per asgiref context: every websocket connection,
    and every hop of it to a thread, builds its own (its client, serializer and Redis
    client classes looked up afresh) before its first command: thousands of Python calls.
    Cache objects are safe to share between threads (Redis: the shared pool; locmem:
    its lock). A new configuration (tests' override_settings) gets a new one.
    """
    key = (alias, repr(settings.CACHES.get(alias)))
    backend = _process_caches.get(key)
    if backend is None:
        backend = _process_caches.setdefault(key, caches.create_connection(alias))
    return backend


# Per key: INCR, and EXPIRE when that created the key (or always, to renew the expiry);
# the counts in the keys' order. One command, atomic on the server, for any number of
# keys. Run by its SHA1 (EVALSHA); redis-py loads it again after a restart emptied Redis's
# script cache.
_COUNTER_SCRIPT = Script(
    None,
    b"""
    local counts = {}
    for i, key in ipairs(KEYS) do
        local count = redis.call('INCR', key)
        if count == 1 or ARGV[2] == '1' then redis.call('EXPIRE', key, ARGV[1]) end
        counts[i] = count
    end
    return counts
    """,
)


def counter_increment(key: str, *, timeout: int, refresh_expiry: bool = False) -> int:
    """Count one more under `key` in the process's cache, created at 0 with `timeout`
    (and that expiry renewed, with `refresh_expiry`); returns the count.

    On Redis one round trip and one command (_COUNTER_SCRIPT): a third less CPU than SET NX,
    INCR and EXPIRE pipelined (issue 22). Django's add, incr and touch take a round trip
    each, and its incr asks EXISTS first. Raises the cache's errors (RedisError) for the
    caller to fail open or closed.
    """
    [count] = counters_increment([key], timeout=timeout, refresh_expiry=refresh_expiry)
    return count


def counters_increment(
    keys: Sequence[str], *, timeout: int, refresh_expiry: bool = False
) -> list[int]:
    """counter_increment for each of `keys` (one more for each time a key is named), in
    one round trip on Redis: the chat's group commit counts its messages' rate limits
    together (issue 22). Returns the counts in the keys' order."""
    if not keys:
        return []
    backend = process_cache()
    if isinstance(backend, RedisCache):
        redis_keys = [backend.make_and_validate_key(key) for key in keys]
        # Django's client for the keys (its private attribute: no public way to a script);
        # one Redis, so the first key's client serves them all.
        client = backend._cache.get_client(redis_keys[0], write=True)
        return _COUNTER_SCRIPT(keys=redis_keys, args=[timeout, int(refresh_expiry)], client=client)
    return [_counter_increment_elsewhere(backend, key, timeout, refresh_expiry) for key in keys]


def _counter_increment_elsewhere(
    backend: BaseCache, key: str, timeout: int, refresh_expiry: bool
) -> int:
    backend.add(key, 0, timeout=timeout)
    try:
        count = backend.incr(key)
    except ValueError:  # expired (or deleted) between the two
        backend.add(key, 0, timeout=timeout)
        count = backend.incr(key)
    if refresh_expiry:
        backend.touch(key, timeout=timeout)
    return count


# DECR where the key exists (an expired one stays gone), DEL once the count is down to 0.
_COUNTER_DOWN_SCRIPT = Script(
    None,
    b"""
    if redis.call('EXISTS', KEYS[1]) == 0 then return false end
    local count = redis.call('DECR', KEYS[1])
    if count <= 0 then redis.call('DEL', KEYS[1]) end
    return count
    """,
)


def counter_decrement(key: str) -> int | None:
    """Count one less under `key` (counter_increment's), removing it at 0; returns the
    count, or None where the key expired already (nothing to count down).

    On Redis one round trip and one command (_COUNTER_DOWN_SCRIPT): Django's decr asks
    EXISTS first and a delete at 0 takes a third. Raises the cache's errors (RedisError)."""
    backend = process_cache()
    if isinstance(backend, RedisCache):
        redis_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(redis_key, write=True)
        return _COUNTER_DOWN_SCRIPT(keys=[redis_key], client=client)
    try:
        count = backend.decr(key)
    except ValueError:  # expired already
        return None
    if count <= 0:
        backend.delete(key)
    return count
