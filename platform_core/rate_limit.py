"""Requests per client in a fixed window, counted in the shared cache: the public forms'
limit (the help centre's searches, votes and contact form; the bot's follow-up form).

The client is a keyed hash of its address (HMAC with the project's secret key): no
address is kept, not even in the cache. A cache outage lets requests through (the forms
and search keep working).
"""

import logging
import time

from django.core.cache import cache
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def client_rate_allows(*, request, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this request of the client in `scope`; whether it is within `limit` per
    `window_seconds`."""
    client = salted_hmac(
        "platform_core.rate_limit", request.META.get("REMOTE_ADDR", ""), algorithm="sha256"
    ).hexdigest()
    window = int(time.time() // window_seconds)
    key = f"client-rate:{scope}:{client}:{window}"
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first request
            count = 1 if cache.add(key, 1, timeout=window_seconds * 2) else cache.incr(key)
    except RedisError:
        logger.warning("Rate limit of %s skipped: the cache cannot be reached.", scope)
        return True
    return count <= limit
