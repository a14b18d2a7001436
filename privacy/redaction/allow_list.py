"""The admin-edited words never redacted as names (privacy.RedactionAllowedWord).

Read on every redaction, so kept close: a process-local snapshot, refreshed from
the shared cache (or the database) at most every REFRESH_SECONDS, and dropped when
an entry is saved or deleted (this process at once, the others within
REFRESH_SECONDS). If the list cannot be read, the snapshot stays as it was (empty
at first): failing to read it only means more is hidden, never less.
"""

import logging
import threading
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_KEY = "privacy:redaction-allowed-words"
CACHE_SECONDS = 300
REFRESH_SECONDS = 30.0

_lock = threading.Lock()
_snapshot: frozenset[str] = frozenset()
_loaded_at: float | None = None
_loading = threading.local()


def _read() -> frozenset[str]:
    words = cache.get(CACHE_KEY)
    if words is None:
        # Here: the logging filter imports this module before Django loads the models.
        from privacy.models import RedactionAllowedWord

        words = sorted(
            {w.lower() for w in RedactionAllowedWord.objects.values_list("word", flat=True)}
        )
        cache.set(CACHE_KEY, words, CACHE_SECONDS)
    return frozenset(words)


def allowed_words() -> frozenset[str]:
    """The lower-cased allowed words."""
    global _snapshot, _loaded_at
    now = time.monotonic()
    if _loaded_at is not None and now - _loaded_at < REFRESH_SECONDS:
        return _snapshot
    if getattr(_loading, "active", False):
        return _snapshot  # a log line written while reading the list: no recursion
    _loading.active = True
    try:
        words = _read()
    except Exception as error:  # noqa: BLE001 - see the module docstring: fail towards hiding
        logger.warning("The redaction allow-list could not be read (%s).", type(error).__name__)
        words = _snapshot
    finally:
        _loading.active = False
    with _lock:
        _snapshot, _loaded_at = words, now
    return words


def allowed_words_reset(**kwargs) -> None:
    """Forget the snapshot and the cached list (a signal receiver: takes its arguments)."""
    global _loaded_at
    with _lock:
        _loaded_at = None
    try:
        cache.delete(CACHE_KEY)
    except Exception as error:  # noqa: BLE001 - the cache entry expires on its own
        logger.warning("The cached allow-list could not be dropped (%s).", type(error).__name__)
