"""Why the bot answered: on each bot message of the agents' transcript, the intent's
title, the confidence band and the closest example questions, nothing unredacted."""

import re

import pytest
from django.test import Client
from django.utils import translation

from agents.services import assignment_route
from bot.chat import conversation_escalate
from bot.models import BotModel, ExampleQuestion, Message
from bot.selectors import bot_answer_explanations
from bot.services import message_append
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue", "knowledge_base")]

QUESTION = (
    "Ich bin Erika Mustermann, erika@example.org. Kann ich die Größe in meiner Bestellung ändern?"
)


@pytest.fixture
def active_model():
    return BotModel.objects.create(
        language="de",
        version=1,
        status=BotModel.Status.ACTIVE,
        thresholds={"answer": 0.7, "suggest": 0.4},
    )


def _answered(confidence: float, *, source=Message.AnswerSource.MODEL):
    conversation = ConversationFactory(language="de")
    message_append(conversation=conversation, sender="customer", text=QUESTION)
    answer, _created = message_append(
        conversation=conversation,
        sender="bot",
        text="Solange Ihre Bestellung noch nicht versendet wurde …",
        intent_slug="order_change",
        confidence=confidence,
    )
    Message.objects.filter(pk=answer.pk).update(answer_source=source)
    return conversation


def _explanation(conversation):
    messages = list(Message.objects.filter(conversation=conversation).order_by("seq"))
    explanations = bot_answer_explanations(messages=messages, language="de")
    assert len(explanations) == 1
    return next(iter(explanations.values()))


@pytest.mark.parametrize(("confidence", "band"), [(0.83, "high"), (0.55, "medium"), (0.2, "low")])
def test_the_band_is_measured_against_the_active_models_thresholds(active_model, confidence, band):
    assert _explanation(_answered(confidence)).band == band


def test_keyword_answers_use_the_keyword_matchers_thresholds(active_model, settings):
    settings.BOT_FALLBACK_ANSWER_THRESHOLD = 0.9
    settings.BOT_FALLBACK_SUGGEST_THRESHOLD = 0.5

    why = _explanation(_answered(0.83, source=Message.AnswerSource.KEYWORD))

    assert (why.band, why.answer_threshold) == ("medium", 0.9)


def test_the_closest_examples_are_the_intents_own_closest_first(active_model):
    why = _explanation(_answered(0.83))

    own = set(
        ExampleQuestion.objects.filter(intent__slug="order_change", language="de").values_list(
            "text", flat=True
        )
    )
    assert why.intent_title == "Bestellung ändern"
    assert len(why.closest_examples) == 3 and set(why.closest_examples) <= own
    assert why.closest_examples[0] == "Kann ich in meiner Bestellung die Größe von M auf L ändern?"


def test_the_transcript_shows_why_the_bot_answered_and_nothing_unredacted(active_model, queue):
    conversation = _answered(0.83)
    conversation_escalate(conversation=conversation, reason="customer_request")
    assignment_route(conversation_id=conversation.pk)
    client = Client()
    client.force_login(queue.members.get())

    with translation.override("de"):
        page = client.get(
            f"/inbox/c/{conversation.public_id}/", HTTP_ACCEPT_LANGUAGE="de"
        ).content.decode()

    why = re.search(r'<details class="bot-why">(.*?)</details>', page, re.S).group(1)
    assert "Warum der Bot so geantwortet hat" in why
    assert "Bestellung ändern" in why and "order_change" in why
    assert "83 %" in why and "70 %" in why and "hoch" in why
    assert "Kann ich in meiner Bestellung die Größe von M auf L ändern?" in why
    assert "Erika" not in why and "erika@example.org" not in why
