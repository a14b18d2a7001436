import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from bot.models import Conversation
from bot.services import message_append
from bot.tokens import resume_token_hash
from supportdesk.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost")]


async def _connect(headers=ORIGIN):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _subprotocol = await communicator.connect()
    assert connected
    return communicator


async def test_hello_starts_a_conversation_and_returns_its_resume_token():
    communicator = await _connect()

    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "en"})
    welcome = await communicator.receive_json_from()

    assert welcome["type"] == "welcome" and welcome["consent"]["required"] is True
    assert welcome["history"] == []
    conversation = await Conversation.objects.aget(
        resume_token_hash=resume_token_hash(welcome["conversation"])
    )
    assert conversation.language == "en"
    await communicator.disconnect()


async def test_a_reconnecting_client_gets_the_history_since_its_last_seq():
    communicator = await _connect()
    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "de"})
    token = (await communicator.receive_json_from())["conversation"]
    await communicator.disconnect()
    conversation = await Conversation.objects.aget(resume_token_hash=resume_token_hash(token))
    for text in ["eins", "zwei", "drei"]:
        await sync_to_async(message_append)(conversation=conversation, sender="bot", text=text)

    again = await _connect()
    await again.send_json_to({"type": "hello", "conversation": token, "lang": "de", "since": 1})
    welcome = await again.receive_json_from()

    assert welcome["conversation"] == token
    assert [(m["seq"], m["text"]) for m in welcome["history"]] == [(2, "zwei"), (3, "drei")]
    await again.disconnect()


async def test_an_unknown_resume_token_starts_a_new_conversation():
    communicator = await _connect()

    await communicator.send_json_to({"type": "hello", "conversation": "forged", "lang": "de"})
    welcome = await communicator.receive_json_from()

    assert welcome["conversation"] != "forged"
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        (json.dumps([1, 2]), "invalid_frame"),
        (json.dumps({"type": "message", "id": "1", "text": "hi"}), "hello_required"),
        (json.dumps({"type": "hello", "since": "x"}), "invalid_frame"),
        ("x" * 20000, "frame_too_large"),
    ],
)
async def test_bad_input_gets_an_error_and_the_connection_stays_usable(frame, code):
    communicator = await _connect()

    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from()
    await communicator.send_json_to({"type": "hello", "lang": "de"})
    welcome = await communicator.receive_json_from()

    assert error["type"] == "error" and error["code"] == code and error["detail"]
    assert welcome["type"] == "welcome"
    await communicator.disconnect()


async def test_no_message_is_accepted_before_consent():
    communicator = await _connect()
    await communicator.send_json_to({"type": "hello", "lang": "en"})
    await communicator.receive_json_from()

    await communicator.send_json_to({"type": "message", "id": "c1", "text": "my email is a@b.de"})
    error = await communicator.receive_json_from()

    assert error["code"] == "consent_required"
    assert "privacy" in error["detail"]
    assert await Conversation.objects.filter(last_seq__gt=0).acount() == 0
    await communicator.disconnect()


async def test_errors_are_in_the_customers_language():
    communicator = await _connect()
    await communicator.send_json_to({"type": "hello", "lang": "de"})
    await communicator.receive_json_from()

    await communicator.send_json_to({"type": "nonsense"})
    error = await communicator.receive_json_from()

    assert error["detail"] == "Unbekannter Nachrichtentyp."
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"https://evil.example")]
    )

    connected, _code = await communicator.connect()

    assert connected is False
