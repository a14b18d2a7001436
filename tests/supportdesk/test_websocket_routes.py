"""The websocket stack (supportdesk.asgi, supportdesk.routing): staff routes resolve the
signed-in user from the session cookie; the customer's chat does not, with or without a
cookie, and works the same."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from agents.consumers import CLOSE_NOT_AUTHENTICATED
from supportdesk.asgi import application
from tests.factories import AgentFactory, QueueFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


@pytest.fixture
def chat_ready(policies, knowledge_base, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]


@pytest.fixture
def sessions_loaded(monkeypatch):
    """How often a session was read from the database (the real load, counted)."""
    loaded = []
    load = SessionStore.load

    def counted_load(store):
        loaded.append(store.session_key)
        return load(store)

    monkeypatch.setattr(SessionStore, "load", counted_load)
    return loaded


def signed_in_agent_cookie() -> bytes:
    agent = AgentFactory()
    QueueFactory(members=[agent])
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def socket(path: str, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [*ORIGIN, *([(b"cookie", cookie)] if cookie else [])]
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.mark.parametrize("with_cookie", [False, True], ids=["no-cookie", "staff-session-cookie"])
async def test_the_customer_chat_works_without_reading_a_session_or_user(
    chat_ready, sessions_loaded, with_cookie
):
    cookie = await sync_to_async(signed_in_agent_cookie)() if with_cookie else None
    sessions_loaded.clear()
    chat = await socket("/ws/chat/", cookie)

    assert (await chat.connect(timeout=10))[0]
    await chat.send_json_to({"type": "hello", "conversation": None, "lang": "en"})
    welcome = await chat.receive_json_from(timeout=10)
    await chat.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    assert (await chat.receive_json_from(timeout=10))["type"] == "consent.accepted"
    await chat.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    assert (await chat.receive_json_from(timeout=10))["type"] == "identified"
    await chat.disconnect()

    assert welcome["type"] == "welcome"
    # Not even a staff member's own session is read: the chat never uses it.
    assert sessions_loaded == []


async def test_staff_sockets_still_resolve_the_signed_in_user_from_the_session_cookie(
    sessions_loaded,
):
    cookie = await sync_to_async(signed_in_agent_cookie)()
    sessions_loaded.clear()
    inbox = await socket("/ws/inbox/", cookie)

    connected, _code = await inbox.connect(timeout=10)

    assert connected
    assert (await inbox.receive_json_from(timeout=10))["type"] == "inbox.ready"
    assert len(sessions_loaded) == 1
    await inbox.disconnect()


@pytest.mark.parametrize("path", ["/ws/inbox/", f"/ws/inbox/conversations/{'a' * 32}/"])
async def test_staff_sockets_refuse_anonymous_users(path):
    connected, code = await (await socket(path)).connect(timeout=10)

    assert (connected, code) == (False, CLOSE_NOT_AUTHENTICATED)
