import pytest

from platform_core.cache import SharedConnectionPool


def test_every_cache_object_of_a_process_shares_one_pool_per_redis():
    first = SharedConnectionPool.from_url("redis://127.0.0.1:6379/5", socket_timeout=1)
    again = SharedConnectionPool.from_url("redis://127.0.0.1:6379/5", socket_timeout=1)
    other = SharedConnectionPool.from_url("redis://127.0.0.1:6379/6", socket_timeout=1)

    assert first is again
    assert other is not first and other.connection_kwargs["db"] == 6


def test_the_process_cache_is_one_object_across_threads_and_contexts_until_reconfigured(
    settings,
):
    import contextvars
    import threading

    from django.core.cache import caches

    from platform_core.cache import process_cache

    seen = []
    for _ in range(2):
        contextvars.Context().run(lambda: seen.append(process_cache()))
    worker = threading.Thread(target=lambda: seen.append(process_cache()))
    worker.start()
    worker.join()
    # Django's own: a new object in each fresh context.
    django_objects = [contextvars.Context().run(lambda: caches["default"]) for _ in range(2)]

    assert seen[0] is seen[1] is seen[2]
    assert django_objects[0] is not django_objects[1]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}
    }
    assert process_cache() is not seen[0]


def test_a_counter_starts_at_one_and_keeps_its_expiry_fresh_when_asked():
    from django.core.cache import cache

    from platform_core.cache import counter_increment

    cache.delete("test-counter")

    counts = [counter_increment("test-counter", timeout=60) for _ in range(2)]
    counts.append(counter_increment("test-counter", timeout=60, refresh_expiry=True))

    assert counts == [1, 2, 3]
    assert cache.get("test-counter") == 3


def test_a_counter_counts_down_is_removed_at_zero_and_stays_gone_once_expired():
    from django.core.cache import cache

    from platform_core.cache import counter_decrement, counter_increment

    cache.delete("test-counter-down")
    for _ in range(2):
        counter_increment("test-counter-down", timeout=60)

    counts = [counter_decrement("test-counter-down") for _ in range(2)]
    removed = cache.get("test-counter-down") is None
    # Expired (or never there): nothing to count down, and no key made at -1.
    after_expiry = counter_decrement("test-counter-down")

    assert (counts, removed, after_expiry) == ([1, 0], True, None)
    assert cache.get("test-counter-down") is None


def test_every_redis_cache_object_of_a_process_shares_one_client_per_pool():
    import contextvars

    from platform_core.cache import SharedClientRedisCache

    params = {"OPTIONS": {"pool_class": "platform_core.cache.SharedConnectionPool"}}
    location = "redis://127.0.0.1:6379/5"  # never connected to: building a client does not

    def client_of_a_new_cache_object(write: bool):
        # Django builds a cache object per asgiref context; each asked for its client here.
        backend = SharedClientRedisCache(location, params)
        return backend._cache.get_client("key", write=write)

    clients = [
        contextvars.Context().run(client_of_a_new_cache_object, write) for write in (False, True)
    ]
    clients.append(client_of_a_new_cache_object(False))

    assert clients[0] is clients[1] is clients[2]
    assert clients[0].connection_pool.connection_kwargs["db"] == 5


@pytest.mark.services
def test_a_redis_counter_expires_once_created_renews_only_when_asked_and_survives_a_restart(
    monkeypatch,
):
    from platform_core import cache as platform_cache
    from platform_core.cache import counter_increment, process_cache

    backend = process_cache()
    client = backend._cache.get_client("test-counter-ttl", write=True)
    redis_key = backend.make_and_validate_key("test-counter-ttl")
    client.delete(redis_key)

    first = counter_increment("test-counter-ttl", timeout=100)
    client.expire(redis_key, 50)  # time passes
    second = counter_increment("test-counter-ttl", timeout=100)
    ttl_kept = client.ttl(redis_key)
    # Redis restarted: it knows the script by no SHA1 (a server-wide SCRIPT FLUSH would
    # disturb whoever else shares this Redis).
    monkeypatch.setattr(platform_cache._COUNTER_SCRIPT, "sha", "0" * 40)
    third = counter_increment("test-counter-ttl", timeout=100, refresh_expiry=True)

    assert (first, second, third) == (1, 2, 3)
    assert 40 < ttl_kept <= 50
    assert 90 < client.ttl(redis_key) <= 100
    assert backend.get("test-counter-ttl") == 3
    assert platform_cache._COUNTER_SCRIPT.sha != "0" * 40  # loaded again


@pytest.mark.services
def test_redis_counts_several_keys_in_one_command_in_their_order(monkeypatch):
    from platform_core.cache import counters_increment, process_cache

    backend = process_cache()
    client = backend._cache.get_client("test-counters-a", write=True)
    redis_keys = [backend.make_and_validate_key(f"test-counters-{n}") for n in "ab"]
    client.delete(*redis_keys)
    commands = []
    original = client.execute_command

    def counted(*args, **options):
        commands.append(args[0])
        return original(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)

    counts = counters_increment(
        ["test-counters-a", "test-counters-b", "test-counters-a"], timeout=100
    )

    assert counts == [1, 1, 2]
    assert commands == ["EVALSHA"]  # one round trip for the three
    assert 90 < client.ttl(redis_keys[1]) <= 100
