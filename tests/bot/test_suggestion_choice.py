"""A "Did you mean …?" choice is recorded: which intent the bot ranked first, which one the
customer picked, in the web chat (a chip) and a messenger (its number); nothing else."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.utils import timezone

from agents.analytics import analytics_csv_rows, analytics_report
from bot.models import ChannelConversation, ChoiceExample, Message, SuggestionChoice
from supportdesk.asgi import application
from tests.bot.channels.conftest import (  # noqa: F401  (fixtures)
    active_channel,
    driver,
    fake_platforms,
)

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
NEAR_MISS = "Kosten Lieferung"


async def _receive_until(communicator, frame_type: str, **match) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=20)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame


async def _consented_chat() -> tuple[WebsocketCommunicator, dict]:
    """A web chat past consent, and the bot's greeting (with its topic chips)."""
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    assert (await communicator.connect(timeout=10))[0]
    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "de"})
    welcome = await _receive_until(communicator, "welcome")
    await communicator.send_json_to(
        {
            "type": "consent",
            "accept": True,
            "policy_version": welcome["consent"]["policy_version"],
            # The optional box ticked: the bot may learn from this conversation.
            "purposes": ["support_chat", "bot_improvement"],
        }
    )
    await _receive_until(communicator, "consent.accepted")
    return communicator, await _receive_until(communicator, "message", **{"from": "bot"})


def _web_chat_picks_second_chip() -> tuple[dict, dict]:
    async def script() -> tuple[dict, dict]:
        communicator, _greeting = await _consented_chat()
        await communicator.send_json_to({"type": "message", "id": "q1", "text": NEAR_MISS})
        await _receive_until(communicator, "ack", id="q1")
        offer = await _receive_until(communicator, "message", **{"from": "bot"})
        await communicator.send_json_to(
            {"type": "message", "id": "q2", "text": offer["suggestions"][1]}
        )
        await _receive_until(communicator, "ack", id="q2")
        answer = await _receive_until(communicator, "message", **{"from": "bot"})
        await communicator.disconnect()
        return offer, answer

    return async_to_sync(script)()


def test_a_picked_chip_in_the_web_chat_is_recorded_with_intents_only(
    settings, policies, knowledge_base
):
    settings.CHAT_IDENTITY_FIELDS = []

    offer, answer = _web_chat_picks_second_chip()

    assert len(offer["suggestions"]) >= 2
    first = Message.objects.get(seq=offer["seq"]).intent_slug
    chosen = Message.objects.get(seq=answer["seq"]).intent_slug
    assert first and chosen and first != chosen
    choice = SuggestionChoice.objects.get()
    assert (choice.channel, choice.language) == ("web", "de")
    assert (choice.intent_offered_first, choice.intent_chosen) == (first, chosen)
    # nothing of the customer's words or the conversation in the stored row
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {SuggestionChoice._meta.db_table}")  # noqa: S608
        columns = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    assert set(columns) == {
        "id",
        "language",
        "channel",
        "intent_offered_first",
        "intent_chosen",
        "created_at",
    }
    assert NEAR_MISS not in repr(row)
    # The question itself is kept apart, redacted, as a candidate example (bot.models.
    # ChoiceExample: the consent covers bot improvement).
    example = ChoiceExample.objects.get()
    assert (example.text, example.intent.slug, example.language) == (NEAR_MISS, chosen, "de")


def test_a_topic_chip_is_no_suggestion_choice(settings, policies, knowledge_base):
    settings.CHAT_IDENTITY_FIELDS = []

    async def script() -> None:
        # the greeting's topic chips: a pick there is no "Did you mean …?" choice
        communicator, greeting = await _consented_chat()
        await communicator.send_json_to(
            {"type": "message", "id": "q1", "text": greeting["suggestions"][0]}
        )
        await _receive_until(communicator, "ack", id="q1")
        await _receive_until(communicator, "message", **{"from": "bot"})
        await communicator.disconnect()

    async_to_sync(script)()

    assert not SuggestionChoice.objects.exists()


def test_a_messenger_number_for_a_suggestion_is_recorded(
    settings,
    policies,
    knowledge_base,
    driver,  # noqa: F811
    active_channel,  # noqa: F811
):
    settings.CHAT_IDENTITY_FIELDS = []
    active_channel("telegram")
    platform = driver("telegram")
    for text in ("Hallo", "JA", NEAR_MISS):
        platform.say(text)
    link = ChannelConversation.objects.get(identity__channel="telegram")
    assert len(link.suggestions) >= 2
    offered_first = link.conversation.messages.order_by("-seq").first().intent_slug

    platform.say("2")

    choice = SuggestionChoice.objects.get()
    answer = link.conversation.messages.order_by("-seq").first()
    assert (choice.channel, choice.intent_offered_first) == ("telegram", offered_first)
    assert choice.intent_chosen == answer.intent_slug != offered_first


@pytest.mark.django_db
def test_the_supervisors_report_counts_the_choices():
    SuggestionChoice.objects.create(
        language="de", channel="web", intent_offered_first="a", intent_chosen="a"
    )
    SuggestionChoice.objects.create(
        language="de", channel="telegram", intent_offered_first="a", intent_chosen="b"
    )
    today = timezone.localdate()

    report = analytics_report(since=today, until=today)

    assert report.totals["suggestions_chosen"] == 2
    assert report.totals["suggestion_first_share"] == 0.5
    assert ["total", "suggestions_chosen", 2] in list(analytics_csv_rows(report))
