from platform_core.cache import SharedConnectionPool


def test_every_cache_object_of_a_process_shares_one_pool_per_redis():
    first = SharedConnectionPool.from_url("redis://127.0.0.1:6379/5", socket_timeout=1)
    again = SharedConnectionPool.from_url("redis://127.0.0.1:6379/5", socket_timeout=1)
    other = SharedConnectionPool.from_url("redis://127.0.0.1:6379/6", socket_timeout=1)

    assert first is again
    assert other is not first and other.connection_kwargs["db"] == 6
