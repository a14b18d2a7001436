"""One dialog, every channel: the website chat and each messenger are translators for the
same conversation engine, so the same script leaves the same stored conversation.

The script: consent, identification, a question the bot answers, a near miss it offers
choices for, a request for a person (escalation), the agent's reply, resolution, rating.
Messengers have no rating prompt yet: their rating goes through the engine's verb
(bot.chat.conversation_rate), as a messenger translator would call it.
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from agents.services import conversation_reply, conversation_resolve_by_agent
from bot import chat
from bot.models import ChannelConversation, Conversation
from bot.tokens import resume_token_hash
from supportdesk.asgi import application
from tests.bot.channels.conftest import (  # noqa: F401  (fixtures)
    active_channel,
    driver,
    fake_platforms,
)
from tests.factories import AgentFactory, QueueFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
NAME, EMAIL = "Erika Mustermann", "erika@example.org"
QUESTIONS = [
    "Wie hoch sind die Versandkosten?",  # answered
    "Kosten Lieferung",  # a near miss: "Did you mean …?"
    "Ich möchte mit einem Mitarbeiter sprechen",  # handed to a person
]
AGENT_REPLY = "Die Versandkosten betragen 4,90 Euro."
RATING = 4


@pytest.fixture
def agent(db, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    agent = AgentFactory()
    QueueFactory(language="de", members=[agent])
    return agent


async def _receive_until(communicator, frame_type: str, **match) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=20)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame


def _web(agent) -> Conversation:
    async def script() -> Conversation:
        communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
        assert (await communicator.connect(timeout=10))[0]
        await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "de"})
        welcome = await _receive_until(communicator, "welcome")
        version = welcome["consent"]["policy_version"]
        await communicator.send_json_to(
            {"type": "consent", "accept": True, "policy_version": version}
        )
        await _receive_until(communicator, "consent.accepted")
        await communicator.send_json_to({"type": "identify", "name": NAME, "email": EMAIL})
        await _receive_until(communicator, "identified")
        for number, text in enumerate(QUESTIONS):
            await communicator.send_json_to({"type": "message", "id": f"q{number}", "text": text})
            await _receive_until(communicator, "ack", id=f"q{number}")
            await _receive_until(communicator, "message")
        await _receive_until(communicator, "status", status="waiting")
        token_hash = resume_token_hash(welcome["conversation"])
        conversation = await Conversation.objects.aget(resume_token_hash=token_hash)
        # The agent works in the inbox (pages and API call these services).
        await sync_to_async(conversation_reply)(
            conversation=conversation, agent=agent, text=AGENT_REPLY
        )
        await _receive_until(communicator, "message", **{"from": "agent"})
        await sync_to_async(conversation_resolve_by_agent)(conversation=conversation, agent=agent)
        await _receive_until(communicator, "csat.request")
        await communicator.send_json_to({"type": "rating", "score": RATING})
        await _receive_until(communicator, "rating.recorded")
        await communicator.disconnect()
        return conversation

    return async_to_sync(script)()


def _messenger(channel: str, agent, driver, active_channel) -> Conversation:  # noqa: F811
    active_channel(channel)
    platform = driver(channel)
    for text in ("Hallo", "JA", NAME, EMAIL, *QUESTIONS):
        platform.say(text)
    conversation = ChannelConversation.objects.get(identity__channel=channel).conversation
    with platform.capture(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text=AGENT_REPLY)
    with platform.capture(execute=True):
        conversation_resolve_by_agent(conversation=conversation, agent=agent)
    chat.conversation_rate(conversation=conversation, score=RATING)
    return conversation


def _stored(conversation: Conversation) -> dict:
    conversation = Conversation.objects.select_related("consent", "subject").get(pk=conversation.pk)
    return {
        "language": conversation.language,
        "status": conversation.status,
        "escalation_reason": conversation.escalation_reason,
        "rating": conversation.csat_score,
        "consent": sorted(conversation.consent.purposes),
        "identity": (conversation.subject.name, conversation.subject.email),
        "messages": [
            (message.seq, message.sender, message.text, message.intent_slug)
            for message in conversation.messages.order_by("seq")
        ],
    }


@pytest.mark.parametrize("channel", ["telegram", "whatsapp", "messenger"])
def test_the_same_dialog_leaves_the_same_conversation_on_every_channel(
    channel,
    agent,
    policies,
    knowledge_base,
    driver,  # noqa: F811
    active_channel,  # noqa: F811
):
    web = _stored(_web(agent))

    messenger = _stored(_messenger(channel, agent, driver, active_channel))

    assert messenger == web
    # and the script did what it says
    senders = [sender for _seq, sender, _text, _intent in web["messages"]]
    assert senders == ["customer", "bot", "customer", "bot", "customer", "system"] + [
        "agent",
        "system",
    ]
    assert web["escalation_reason"] == "customer_request"
    assert (web["status"], web["rating"], web["identity"]) == ("resolved", RATING, (NAME, EMAIL))
