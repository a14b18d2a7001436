"""The agents' websockets with the real customer socket beside them (in-memory layer)."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from agents import services
from agents.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED, CLOSE_NOT_FOUND
from agents.routing import websocket_urlpatterns
from bot.models import Conversation
from bot.tokens import resume_token_hash
from supportdesk.asgi import application
from tests.factories import AgentFactory, QueueFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


class _ScopeUser:
    """Puts a given user into the scope, as AuthMiddlewareStack would for a session."""

    def __init__(self, app, user):
        self.app, self.user = app, user

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "user": self.user}, receive, send)


async def agent_socket(user, path: str):
    app = _ScopeUser(URLRouter(websocket_urlpatterns), user or AnonymousUser())
    communicator = WebsocketCommunicator(app, path)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def customer_ready():
    """A customer socket, consented and identified, and its conversation."""
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    assert (await communicator.connect(timeout=10))[0]
    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "de"})
    welcome = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    await communicator.receive_json_from(timeout=10)
    conversation = await Conversation.objects.aget(
        resume_token_hash=resume_token_hash(welcome["conversation"])
    )
    return communicator, conversation


async def receive_until(communicator, frame_type: str, **match) -> dict:
    """The next frame of this type (and these values), skipping others."""
    while True:
        frame = await communicator.receive_json_from(timeout=10)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame


@pytest.fixture
def chat_ready(policies, knowledge_base, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]


@pytest.fixture
def staff(db):
    agent = AgentFactory()
    outsider = AgentFactory()
    queue = QueueFactory(members=[agent])
    QueueFactory(language="en", members=[outsider])
    return {
        "agent": agent,
        "outsider": outsider,
        "queue": queue,
        "supervisor": UserFactory(role="supervisor"),
        "privacy_officer": UserFactory(role="privacy officer"),
    }


async def escalated_customer():
    customer, conversation = await customer_ready()
    await customer.send_json_to({"type": "escalate"})
    await receive_until(customer, "status", status="waiting")
    return customer, conversation


# Authorisation of the conversation socket -------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", CLOSE_NOT_AUTHENTICATED),
        ("privacy_officer", CLOSE_FORBIDDEN),
        ("outsider", CLOSE_FORBIDDEN),
        ("agent", None),
        ("supervisor", None),
    ],
)
async def test_the_conversation_socket_admits_only_who_may_see_it(chat_ready, staff, who, expected):
    customer, conversation = await escalated_customer()
    user = None if who == "anonymous" else staff[who]

    communicator, connected, code = await agent_socket(
        user, f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )

    if expected is None:
        assert connected
        ready = await communicator.receive_json_from(timeout=10)
        assert ready["type"] == "conversation.ready" and ready["status"] == "waiting"
        await communicator.disconnect()
    else:
        assert (connected, code) == (False, expected)
    await customer.disconnect()


async def test_an_unknown_conversation_is_closed_as_not_found(staff):
    _communicator, connected, code = await agent_socket(
        staff["agent"], "/ws/inbox/conversations/" + "0" * 32 + "/"
    )

    assert (connected, code) == (False, CLOSE_NOT_FOUND)


# Live, both ways -----------------------------------------------------------------------------


async def test_an_escalation_appears_live_in_the_queues_inbox(chat_ready, staff):
    inbox, connected, _code = await agent_socket(staff["agent"], "/ws/inbox/")
    assert connected and (await inbox.receive_json_from(timeout=10))["type"] == "inbox.ready"

    customer, conversation = await escalated_customer()

    update = await receive_until(inbox, "conversation.update")
    assert update["conversation"]["id"] == conversation.public_id.hex
    assert update["conversation"]["status"] == "waiting"
    assert update["conversation"]["reason"] == "customer_request"
    await inbox.disconnect()
    await customer.disconnect()


async def test_an_escalation_does_not_reach_another_queues_agent(chat_ready, staff):
    inbox, _connected, _code = await agent_socket(staff["outsider"], "/ws/inbox/")
    await inbox.receive_json_from(timeout=10)

    customer, _conversation = await escalated_customer()

    assert await inbox.receive_nothing(timeout=1)
    await inbox.disconnect()
    await customer.disconnect()


async def test_the_customers_message_and_suggestions_reach_the_agent(chat_ready, staff):
    customer, conversation = await escalated_customer()
    watcher, _connected, _code = await agent_socket(
        staff["agent"], f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    await watcher.receive_json_from(timeout=10)

    await customer.send_json_to(
        {"type": "message", "id": "m-1", "text": "Wie hoch sind die Versandkosten?"}
    )

    message = await receive_until(watcher, "message", **{"from": "customer"})
    assert message["text"] == "Wie hoch sind die Versandkosten?"
    suggestions = await receive_until(watcher, "suggestions")
    assert suggestions["items"][0]["intent"] == "shipping_costs"
    await watcher.disconnect()
    await customer.disconnect()


async def test_suggestions_are_worked_out_once_per_message_for_every_agent_watching(
    chat_ready, staff, monkeypatch
):
    from bot import chat

    asked = []
    ranked = chat.answer_suggestions

    def counted(**kwargs):
        asked.append(kwargs["question"])
        return ranked(**kwargs)

    monkeypatch.setattr(chat, "answer_suggestions", counted)
    customer, conversation = await escalated_customer()
    path = f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    watchers = [(await agent_socket(user, path))[0] for user in (staff["agent"], staff["agent"])]
    for watcher in watchers:
        await watcher.receive_json_from(timeout=10)
    asked.clear()  # the questions before the escalation

    await customer.send_json_to(
        {"type": "message", "id": "m-1", "text": "Wie hoch sind die Versandkosten?"}
    )

    seen = [await receive_until(watcher, "suggestions") for watcher in watchers]
    assert seen[0] == seen[1] and seen[0]["items"][0]["intent"] == "shipping_costs"
    assert asked == ["Wie hoch sind die Versandkosten?"]
    for communicator in (*watchers, customer):
        await communicator.disconnect()


async def test_the_agents_reply_reaches_the_customer_live(chat_ready, staff):
    customer, conversation = await escalated_customer()

    message = await sync_to_async(services.conversation_reply)(
        conversation=conversation, agent=staff["agent"], text="Hallo, ich helfe gern."
    )

    await receive_until(customer, "status", status="assigned")
    frame = await receive_until(customer, "message", **{"from": "agent"})
    assert (frame["seq"], frame["text"]) == (message.seq, "Hallo, ich helfe gern.")
    await customer.disconnect()


async def test_resolving_sends_the_customer_the_rating_prompt(chat_ready, staff):
    customer, conversation = await escalated_customer()

    await sync_to_async(services.conversation_resolve_by_agent)(
        conversation=conversation, agent=staff["agent"]
    )

    await receive_until(customer, "status", status="resolved")
    await receive_until(customer, "csat.request")
    await customer.send_json_to({"type": "rating", "score": 5})
    assert (await receive_until(customer, "rating.recorded"))["score"] == 5
    await customer.disconnect()


async def test_typing_goes_both_ways(chat_ready, staff):
    customer, conversation = await escalated_customer()
    watcher, _connected, _code = await agent_socket(
        staff["agent"], f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    await watcher.receive_json_from(timeout=10)

    await customer.send_json_to({"type": "typing"})
    assert await receive_until(watcher, "typing") == {"type": "typing", "from": "customer"}
    await watcher.send_json_to({"type": "typing"})
    assert await receive_until(customer, "typing") == {"type": "typing", "from": "agent"}
    await watcher.disconnect()
    await customer.disconnect()


async def test_a_note_reaches_colleagues_but_not_the_customer(chat_ready, staff):
    customer, conversation = await escalated_customer()
    watcher, _connected, _code = await agent_socket(
        staff["supervisor"], f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    await watcher.receive_json_from(timeout=10)

    await sync_to_async(services.note_add)(
        conversation=conversation, author=staff["agent"], text="Kundin ist Stammkundin"
    )

    note = await receive_until(watcher, "note")
    assert note["text"] == "Kundin ist Stammkundin"
    assert await customer.receive_nothing(timeout=1)
    await watcher.disconnect()
    await customer.disconnect()


async def test_a_disabled_agents_sockets_are_closed(chat_ready, staff):
    customer, conversation = await escalated_customer()
    agent = staff["agent"]
    inbox, _connected, _code = await agent_socket(agent, "/ws/inbox/")
    await inbox.receive_json_from(timeout=10)
    watcher, _connected, _code = await agent_socket(
        agent, f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    await watcher.receive_json_from(timeout=10)

    def disable():
        agent.is_active = False
        agent.save()

    await sync_to_async(disable)()

    assert (await inbox.receive_output(timeout=10))["type"] == "websocket.close"
    assert (await watcher.receive_output(timeout=10))["type"] == "websocket.close"
    await customer.disconnect()


async def test_a_foreign_origin_is_refused_by_the_real_stack(staff):
    communicator = WebsocketCommunicator(
        application, "/ws/inbox/", headers=[(b"origin", b"http://evil.example")]
    )

    connected, _code = await communicator.connect(timeout=10)

    assert not connected


async def test_anonymous_is_refused_by_the_real_stack(staff):
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=ORIGIN)

    connected, code = await communicator.connect(timeout=10)

    assert (connected, code) == (False, CLOSE_NOT_AUTHENTICATED)


async def test_the_inbox_row_shows_the_customers_latest_message(chat_ready, staff):
    customer, conversation = await escalated_customer()
    inbox, _connected, _code = await agent_socket(staff["agent"], "/ws/inbox/")
    await inbox.receive_json_from(timeout=10)

    await customer.send_json_to(
        {"type": "message", "id": "c-9", "text": "Ich bin Erika, erika@example.org, noch da?"}
    )

    update = await receive_until(inbox, "conversation.update")
    row = update["conversation"]
    assert row["id"] == conversation.public_id.hex
    assert "noch da?" in row["preview"] and "erika@example.org" not in row["preview"]
    await inbox.disconnect()
    await customer.disconnect()


async def test_a_supervisor_gets_each_escalation_once(chat_ready, staff):
    inbox, _connected, _code = await agent_socket(staff["supervisor"], "/ws/inbox/")
    await inbox.receive_json_from(timeout=10)

    customer, conversation = await escalated_customer()

    update = await receive_until(inbox, "conversation.update")
    assert update["conversation"]["id"] == conversation.public_id.hex
    assert await inbox.receive_nothing(timeout=1)
    await inbox.disconnect()
    await customer.disconnect()


# Resuming: what the page missed between its rendering and the socket's join ----------------


async def test_the_page_gets_the_messages_stored_before_its_socket_joined(chat_ready, staff):
    from bot.services import message_append

    customer, conversation = await escalated_customer()
    await conversation.arefresh_from_db()
    rendered_seq = conversation.last_seq  # what the page was rendered with
    # Stored after the page was rendered, before its socket joined: no live frame reaches it.
    await sync_to_async(message_append)(
        conversation=conversation, sender="customer", text="Noch eine Frage zum Versand"
    )
    reply = await sync_to_async(services.conversation_reply)(
        conversation=conversation, agent=staff["agent"], text="Ich schaue nach."
    )
    watcher, _connected, _code = await agent_socket(
        staff["agent"], f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )

    ready = await watcher.receive_json_from(timeout=10)
    assert ready["type"] == "conversation.ready" and ready["last_seq"] == reply.seq
    await watcher.send_json_to({"type": "resume", "since": rendered_seq})

    missed = [await receive_until(watcher, "message") for _ in range(reply.seq - rendered_seq)]
    assert [frame["seq"] for frame in missed] == list(range(rendered_seq + 1, reply.seq + 1))
    assert (missed[0]["from"], missed[0]["text"]) == ("customer", "Noch eine Frage zum Versand")
    assert (missed[-1]["from"], missed[-1]["text"]) == ("agent", "Ich schaue nach.")
    assert missed[-1]["agent_name"]
    # Nothing more than was missed.
    await watcher.send_json_to({"type": "resume", "since": reply.seq})
    await watcher.send_json_to({"type": "resume", "since": "0"})
    assert (await watcher.receive_json_from(timeout=10))["code"] == "invalid_since"
    await watcher.disconnect()
    await customer.disconnect()


async def test_a_resumed_bot_answer_carries_its_rendering_and_why(chat_ready, staff):
    customer, conversation = await customer_ready()
    await customer.send_json_to(
        {"type": "message", "id": "m-1", "text": "Wie hoch sind die Versandkosten?"}
    )
    answer = await receive_until(customer, "message", **{"from": "bot"})
    while answer.get("seq") is None:  # the greeting is not stored
        answer = await receive_until(customer, "message", **{"from": "bot"})
    watcher, _connected, _code = await agent_socket(
        staff["supervisor"], f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    await receive_until(watcher, "conversation.ready")

    await watcher.send_json_to({"type": "resume", "since": answer["seq"] - 1})

    frame = await receive_until(watcher, "message")
    assert frame["seq"] == answer["seq"] and frame["html"] == answer["html"]
    assert frame["explanation"]["intent_slug"] == "shipping_costs"
    await watcher.disconnect()
    await customer.disconnect()


async def test_suggestions_carry_the_rendering_and_the_plain_reply(chat_ready, staff):
    customer, conversation = await escalated_customer()
    watcher, _connected, _code = await agent_socket(
        staff["agent"], f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    await watcher.receive_json_from(timeout=10)

    await customer.send_json_to(
        {"type": "message", "id": "m-1", "text": "Wie hoch sind die Versandkosten?"}
    )

    item = (await receive_until(watcher, "suggestions"))["items"][0]
    assert item["html"].startswith("<p>") and item["plain"]
    await watcher.disconnect()
    await customer.disconnect()
