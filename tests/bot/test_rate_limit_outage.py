"""The chat's shared rate limit lives in the cache (Redis when scaled out). A Redis
restart must not close every chat socket: the limit fails open meanwhile."""

import logging
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.consumers import conversations_rate_allow
from tests.factories import ConversationFactory


@pytest.mark.django_db
def test_an_unreachable_cache_lets_the_message_through_and_says_so(monkeypatch, caplog):
    conversation = ConversationFactory()

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    # Whichever way the count goes (one pipelined round trip on Redis, incr/add elsewhere).
    monkeypatch.setattr(cache, "incr", unreachable)
    monkeypatch.setattr(cache, "add", unreachable)
    monkeypatch.setattr("bot.consumers.counters_increment", unreachable)

    with caplog.at_level(logging.WARNING, logger="bot.consumers"):
        allowed = conversations_rate_allow([conversation, conversation])

    assert allowed == [True, True]
    assert "cannot be reached" in caplog.text


@pytest.mark.django_db
def test_the_shared_limit_still_counts_while_the_cache_answers(settings, monkeypatch):
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 2, 1
    # One fixed window: the three messages must not straddle a window boundary.
    monkeypatch.setattr("bot.consumers.time", SimpleNamespace(time=lambda: 1_000_000.0))
    conversation = ConversationFactory()

    verdicts = [conversations_rate_allow([conversation])[0] for _ in range(3)]

    assert verdicts == [True, True, False]


@pytest.mark.django_db
def test_a_windows_counter_expires_with_its_window(settings, monkeypatch):
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches
    from django.core.cache.backends.redis import RedisCache

    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 10, 1
    monkeypatch.setattr("bot.consumers.time", SimpleNamespace(time=lambda: 1_000_000.0))
    conversation = ConversationFactory()

    assert all(conversations_rate_allow([conversation])[0] for _ in range(2))

    key = f"chat-rate:{conversation.public_id.hex}:{1_000_000 // 10}"
    assert cache.get(key) == 2
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):  # the services suite: the expiry Redis keeps
        redis_key = backend.make_and_validate_key(key)
        assert 0 < backend._cache.get_client(redis_key).ttl(redis_key) <= 20


@pytest.mark.django_db
def test_a_batchs_messages_count_in_order_each_against_its_own_conversation(settings, monkeypatch):
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 2, 1
    monkeypatch.setattr("bot.consumers.time", SimpleNamespace(time=lambda: 1_000_000.0))
    busy, quiet = ConversationFactory(), ConversationFactory()

    # the group commit's messages: three of one conversation, one of another
    verdicts = conversations_rate_allow([busy, quiet, busy, busy])

    assert verdicts == [True, True, True, False]
    assert conversations_rate_allow([quiet]) == [True]
