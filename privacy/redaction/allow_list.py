"""Words redaction does not take for names: the admin's allow-list and the shop's own words.

- The allow-list (privacy.RedactionAllowedWord, edited by the admin): never redacted as
  names by any rule (products that look like names, "Paula" a dress).
- The shop's words: every word of the knowledge base the bot is trained on (intent
  titles, answers, example questions), read from the sources the apps above privacy
  register (`shop_words_source_register`; bot registers its knowledge base). They are
  known words to the German rule that takes an unknown capitalised word for a name
  (privacy/redaction/unknown_words.py): "Zalando" or "Dyson" in the shop's answers stay
  in the bot's training text. Other rules still hide them (a name list, "Herr …").

Read on every redaction, so kept close: a process-local snapshot, refreshed from
the shared cache (or the database) at most every REFRESH_SECONDS, and dropped when
an entry is saved or deleted (this process at once, the others within
REFRESH_SECONDS). If a list cannot be read, the snapshot stays as it was (empty
at first): failing to read it only means more is hidden, never less.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache

from privacy.redaction.names import TOKEN_RE

logger = logging.getLogger(__name__)

CACHE_KEY = "privacy:redaction-allowed-words"
SHOP_WORDS_CACHE_KEY = "privacy:redaction-shop-words"
CACHE_SECONDS = 300
REFRESH_SECONDS = 30.0


class _WordsSnapshot:
    """Lower-cased words read by `read`, shared through the cache under `cache_key`."""

    def __init__(self, cache_key: str, read: Callable[[], Iterable[str]], what: str) -> None:
        self.cache_key = cache_key
        self.read = read
        self.what = what
        self.lock = threading.Lock()
        self.words: frozenset[str] = frozenset()
        self.loaded_at: float | None = None

    def get(self) -> frozenset[str]:
        now = time.monotonic()
        if self.loaded_at is not None and now - self.loaded_at < REFRESH_SECONDS:
            return self.words
        if getattr(_loading, "active", False):
            return self.words  # a log line written while reading a list: no recursion
        _loading.active = True
        try:
            words = cache.get(self.cache_key)
            if words is None:
                words = sorted({word.lower() for word in self.read()})
                cache.set(self.cache_key, words, CACHE_SECONDS)
            words = frozenset(words)
        except Exception as error:  # noqa: BLE001 - see the module docstring: fail towards hiding
            logger.warning("The %s could not be read (%s).", self.what, type(error).__name__)
            words = self.words
        finally:
            _loading.active = False
        with self.lock:
            self.words, self.loaded_at = words, now
        return words

    def reset(self) -> None:
        with self.lock:
            self.loaded_at = None
        try:
            cache.delete(self.cache_key)
        except Exception as error:  # noqa: BLE001 - the cache entry expires on its own
            logger.warning(
                "The cached %s could not be dropped (%s).", self.what, type(error).__name__
            )


_loading = threading.local()


def _allowed_read() -> list[str]:
    # Here: the logging filter imports this module before Django loads the models.
    from privacy.models import RedactionAllowedWord

    return list(RedactionAllowedWord.objects.values_list("word", flat=True))


_shop_word_sources: list[Callable[[], Iterable[str]]] = []


def shop_words_source_register(source: Callable[[], Iterable[str]]) -> None:
    """A function that returns texts of the shop's own (the knowledge base's); its words
    become known words (called by an app's ready(); registering twice is harmless)."""
    if source not in _shop_word_sources:
        _shop_word_sources.append(source)


def _shop_words_read() -> set[str]:
    return {
        word
        for source in _shop_word_sources
        for text in source()
        for word in TOKEN_RE.findall(text)
    }


_allowed = _WordsSnapshot(CACHE_KEY, _allowed_read, "redaction allow-list")
_shop = _WordsSnapshot(SHOP_WORDS_CACHE_KEY, _shop_words_read, "shop's words for redaction")


def allowed_words() -> frozenset[str]:
    """The lower-cased allowed words."""
    return _allowed.get()


def allowed_words_reset(**kwargs) -> None:
    """Forget the snapshot and the cached list (a signal receiver: takes its arguments)."""
    _allowed.reset()


def shop_words() -> frozenset[str]:
    """The lower-cased words of the shop's knowledge base (`shop_words_source_register`)."""
    return _shop.get()


def shop_words_reset(**kwargs) -> None:
    """Forget the shop's words (a signal receiver: the knowledge base changed)."""
    _shop.reset()
