"""Bad input on every websocket is answered, never a crash: limits, text, paths, Origin."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from bot.models import Message
from platform_core.consumers import MAX_INTEGER_DIGITS, MAX_JSON_DEPTH, FrameError, frame_decode
from supportdesk.asgi import application
from supportdesk.middleware import websocket_origin_allowed
from supportdesk.routing import websocket_urlpatterns
from tests.factories import AgentFactory, QueueFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
DEEP = "[" * 10_000 + "]" * 10_000
HUGE_INTEGER = '{"type": "feedback", "seq": ' + "9" * 5_000 + ', "helpful": true}'


class _ScopeUser:
    def __init__(self, app, user):
        self.app, self.user = app, user

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "user": self.user}, receive, send)


@pytest.fixture
def chat_ready(policies, knowledge_base, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]


async def _chat():
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    assert (await communicator.connect(timeout=10))[0]
    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "en"})
    welcome = await communicator.receive_json_from(timeout=10)
    return communicator, welcome


async def _ready_chat():
    communicator, welcome = await _chat()
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "consent.accepted"
    await communicator.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "identified"
    assert (await communicator.receive_json_from(timeout=10))["from"] == "bot"  # the greeting
    return communicator


async def _agent_socket(user, path):
    app = _ScopeUser(URLRouter(websocket_urlpatterns), user or AnonymousUser())
    communicator = WebsocketCommunicator(app, path)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def _still_usable(communicator) -> None:
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from(timeout=10))["code"] == "invalid_json"


# Limits: nesting depth and integer size -------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [(DEEP, "invalid_frame"), (HUGE_INTEGER, "invalid_frame"), ('{"type": NaN}', "invalid_json")],
    ids=["10000-levels", "5000-digit-integer", "nan"],
)
async def test_the_chat_answers_json_beyond_its_limits_with_an_error_frame_and_stays_open(
    chat_ready, frame, code
):
    communicator, _welcome = await _chat()

    await communicator.send_to(text_data=frame)

    error = await communicator.receive_json_from(timeout=10)
    assert (error["type"], error["code"]) == ("error", code)
    await _still_usable(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws/inbox/", "conversation"])
@pytest.mark.parametrize("frame", [DEEP, HUGE_INTEGER], ids=["10000-levels", "5000-digit-integer"])
async def test_the_agent_sockets_answer_json_beyond_the_limits_with_an_error_frame(
    chat_ready, path, frame
):
    agent = await _agent()
    if path == "conversation":
        path = f"/ws/inbox/conversations/{await _escalated_conversation_hex()}/"
    communicator, connected, _code = await _agent_socket(agent, path)
    assert connected
    await communicator.receive_json_from(timeout=10)  # ready

    await communicator.send_to(text_data=frame)

    error = await communicator.receive_json_from(timeout=10)
    assert (error["type"], error["code"]) == ("error", "invalid_frame")
    await _still_usable(communicator)
    await communicator.disconnect()


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '{"type": "message", "id": "a", "text": "' + "[{" * 5_000 + '"}'

    assert frame_decode(text)["text"] == "[{" * 5_000


def test_the_limits_admit_what_the_protocol_needs():
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert frame_decode(nested) is not None
    assert frame_decode(str(-(10**MAX_INTEGER_DIGITS - 1))) == -(10**MAX_INTEGER_DIGITS - 1)
    with pytest.raises(FrameError):
        frame_decode("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


# Text the database refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["hello\x00world", "lone \ud800 surrogate"], ids=["nul", "surrogate"]
)
async def test_a_message_the_database_cannot_store_is_refused_with_its_id_and_nothing_stored(
    chat_ready, text
):
    communicator = await _ready_chat()

    await communicator.send_json_to({"type": "message", "id": "m-1", "text": text})

    error = await communicator.receive_json_from(timeout=10)
    assert error == {**error, "type": "error", "code": "invalid_text", "id": "m-1"}
    assert not await Message.objects.filter(client_message_id="m-1").aexists()
    # The connection works on: the next message is stored and acknowledged.
    await communicator.send_json_to({"type": "message", "id": "m-2", "text": "Where is my parcel?"})
    assert (await communicator.receive_json_from(timeout=10))["type"] == "ack"
    await communicator.disconnect()


async def test_identity_fields_the_database_cannot_store_are_refused_as_invalid_text(chat_ready):
    communicator, welcome = await _chat()
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to(
        {"type": "identify", "name": "Erika\x00", "email": "erika@example.org"}
    )

    assert (await communicator.receive_json_from(timeout=10))["code"] == "invalid_text"
    await communicator.disconnect()


async def test_a_resume_token_with_a_nul_character_is_refused_not_a_crash(chat_ready):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    assert (await communicator.connect(timeout=10))[0]

    await communicator.send_json_to({"type": "hello", "conversation": "abc\x00", "lang": "en"})

    assert (await communicator.receive_json_from(timeout=10))["code"] == "invalid_text"
    await _still_usable(communicator)
    await communicator.disconnect()


# Paths and ids ------------------------------------------------------------------------------


async def test_an_unknown_websocket_path_closes_with_4404():
    communicator = WebsocketCommunicator(application, "/ws/nowhere/", headers=ORIGIN)

    connected, code = await communicator.connect(timeout=10)

    assert (connected, code) == (False, 4404)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "%C2%84", "0" * 31, "g" * 32])
async def test_a_conversation_socket_with_a_malformed_id_closes_with_4404(bad_id):
    agent = await _agent()

    _communicator, connected, code = await _agent_socket(
        agent, f"/ws/inbox/conversations/{bad_id}/"
    )

    assert (connected, code) == (False, 4404)


# Origin: scheme, host and port --------------------------------------------------------------


def _scope(origin: str, host: str = "support.example.com", scheme: str = "ws", **headers):
    return {
        "type": "websocket",
        "scheme": scheme,
        "headers": [(b"origin", origin.encode()), (b"host", host.encode())]
        + [(k.encode(), v.encode()) for k, v in headers.items()],
    }


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (_scope("http://support.example.com"), True),
        (_scope("http://support.example.com:80"), True),
        (_scope("http://support.example.com:8080"), False),  # another service's port
        (_scope("https://support.example.com"), False),  # the socket is not wss
        (_scope("https://support.example.com", scheme="wss"), True),
        (_scope("https://support.example.com", **{"x-forwarded-proto": "https"}), True),
        (_scope("http://support.example.com:8000", host="support.example.com:8000"), True),
        (_scope("http://evil.example"), False),
        (_scope("null"), False),
        (_scope("http://evil.example", host="evil.example"), False),  # not in ALLOWED_HOSTS
    ],
)
def test_the_websocket_origin_must_match_scheme_host_and_port(settings, scope, allowed):
    settings.ALLOWED_HOSTS = ["support.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert websocket_origin_allowed(scope) is allowed


def test_a_trusted_origin_is_allowed_with_its_port(settings):
    settings.ALLOWED_HOSTS = ["support.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://shop.example.com:8443"]

    assert websocket_origin_allowed(_scope("https://shop.example.com:8443"))
    assert not websocket_origin_allowed(_scope("https://shop.example.com"))


def test_a_wildcard_allowed_host_no_longer_lets_every_origin_in(settings):
    settings.ALLOWED_HOSTS = ["*"]

    assert not websocket_origin_allowed(_scope("http://evil.example"))


# Helpers that touch the database ------------------------------------------------------------


async def _agent():
    from asgiref.sync import sync_to_async

    def make():
        agent = AgentFactory()
        QueueFactory(members=[agent])
        return agent

    return await sync_to_async(make)()


async def _escalated_conversation_hex() -> str:
    communicator = await _ready_chat()
    await communicator.send_json_to({"type": "escalate"})
    while (await communicator.receive_json_from(timeout=10)).get("type") != "status":
        pass
    await communicator.disconnect()
    conversation = await Message.objects.select_related("conversation").alatest("id")
    return conversation.conversation.public_id.hex
