"""Requests per client in a fixed window, counted in the shared cache.

The client is the keyed blind index of its address: no address is kept, not even in
the cache. A cache outage lets requests through (the form and search keep working).
"""

import logging
import time

from django.core.cache import cache
from redis.exceptions import RedisError

from privacy.crypto import blind_index

logger = logging.getLogger(__name__)


def client_rate_allows(*, request, scope: str, limit: int, window_seconds: int) -> bool:
    client = blind_index(f"helpcentre-client:{request.META.get('REMOTE_ADDR', '')}")
    window = int(time.time() // window_seconds)
    key = f"helpcentre-rate:{scope}:{client}:{window}"
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first request
            count = 1 if cache.add(key, 1, timeout=window_seconds * 2) else cache.incr(key)
    except RedisError:
        logger.warning("Help-centre rate limit skipped: the cache cannot be reached.")
        return True
    return count <= limit
