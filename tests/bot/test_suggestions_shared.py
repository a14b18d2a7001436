"""The bot's suggestions for a customer's message: worked out once, shared by the agents."""

import pytest
from redis.exceptions import RedisError

from bot import chat

pytestmark = pytest.mark.django_db

QUESTION = "Wie hoch sind die Versandkosten?"


@pytest.fixture
def counted(monkeypatch, knowledge_base):
    asked = []
    ranked = chat.answer_suggestions

    def count(**kwargs):
        asked.append(kwargs["question"])
        return ranked(**kwargs)

    monkeypatch.setattr(chat, "answer_suggestions", count)
    return asked


def _items(seq: int = 1) -> list[dict]:
    return chat.message_suggestion_items(
        conversation_public_hex="ab" * 16, seq=seq, question=QUESTION, language="de"
    )


def test_a_message_is_worked_out_once_however_many_agents_ask(counted):
    first, second = _items(), _items()

    assert first == second and first[0]["intent"] == "shipping_costs"
    assert counted == [QUESTION]
    _items(seq=2)  # another message: worked out for itself
    assert counted == [QUESTION, QUESTION]


def test_without_the_cache_each_socket_works_them_out(counted, monkeypatch):
    def unreachable(*args, **kwargs):
        raise RedisError("connection refused")

    monkeypatch.setattr(chat.cache, "get_or_set", unreachable)

    assert _items()[0]["intent"] == "shipping_costs"
