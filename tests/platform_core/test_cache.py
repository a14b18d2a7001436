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
