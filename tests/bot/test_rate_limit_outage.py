"""The chat's shared rate limit lives in the cache (Redis when scaled out). A Redis
restart must not close every chat socket: the limit fails open meanwhile."""

import logging
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.consumers import conversation_rate_allows
from tests.factories import ConversationFactory


@pytest.mark.django_db
def test_an_unreachable_cache_lets_the_message_through_and_says_so(monkeypatch, caplog):
    conversation = ConversationFactory()

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "incr", unreachable)
    monkeypatch.setattr(cache, "add", unreachable)

    with caplog.at_level(logging.WARNING, logger="bot.consumers"):
        allowed = conversation_rate_allows(conversation)

    assert allowed is True
    assert "cannot be reached" in caplog.text


@pytest.mark.django_db
def test_the_shared_limit_still_counts_while_the_cache_answers(settings, monkeypatch):
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 2, 1
    # One fixed window: the three messages must not straddle a window boundary.
    monkeypatch.setattr("bot.consumers.time", SimpleNamespace(time=lambda: 1_000_000.0))
    conversation = ConversationFactory()

    verdicts = [conversation_rate_allows(conversation) for _ in range(3)]

    assert verdicts == [True, True, False]
