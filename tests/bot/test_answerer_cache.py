"""An edited answer text is answered at once: the answerer cache of every process compares
the newest IntentAnswer.updated_at (bot.chat.answerer_get), not only the intents'."""

import pytest
from django.db.models import Max
from rest_framework.test import APIClient

from bot import chat
from bot.models import Intent, IntentAnswer
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUESTION = "Was kostet der Versand?"


@pytest.fixture
def rechecked(monkeypatch):
    """Each answerer_get checks the knowledge base, as a process does once its recheck
    interval (bot.chat.ANSWERER_RECHECK_SECONDS) has passed."""
    monkeypatch.setattr(chat, "ANSWERER_RECHECK_SECONDS", 0.0)


def _answered_text() -> str:
    return chat.answerer_get().answer(QUESTION, "de").text


def test_an_answer_edited_on_its_own_is_answered_at_once(knowledge_base, rechecked):
    assert "Neu: Versand kostet nichts." not in _answered_text()
    intents_changed = Intent.objects.aggregate(changed=Max("updated_at"))
    answer = IntentAnswer.objects.get(intent__slug="shipping_costs", language="de")

    answer.text = "Neu: Versand kostet nichts."
    answer.save()  # what the admin's inline does when only the answer changed

    assert Intent.objects.aggregate(changed=Max("updated_at")) == intents_changed
    assert _answered_text() == "Neu: Versand kostet nichts."


def test_an_answer_edited_through_the_api_is_answered_at_once(knowledge_base, rechecked):
    _answered_text()
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.SUPERVISOR))
    intent = client.get("/api/v1/knowledge/intents/shipping_costs/").json()
    intent["answers"]["de"] = "Per API: Versand ab 50 EUR frei."

    response = client.put("/api/v1/knowledge/intents/shipping_costs/", intent, format="json")

    assert response.status_code == 200, response.content
    assert _answered_text() == "Per API: Versand ab 50 EUR frei."


def test_an_unchanged_knowledge_base_keeps_the_answerer(knowledge_base, rechecked):
    first = chat.answerer_get()

    assert chat.answerer_get() is first
