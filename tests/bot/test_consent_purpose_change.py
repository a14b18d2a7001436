"""The optional purpose of a consent changes at any time, on its own, while the chat goes on
(Art. 7(3) GDPR: withdrawing is as easy as giving): the web chat's box under the
conversation, the service below it, and the one rule of whose texts may be learnt from."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from bot.chat import chat_consent_purpose_withdraw
from bot.models import Conversation
from bot.tokens import resume_token_hash
from privacy.models import AuditEvent, ConsentRecord, PolicyVersion
from privacy.selectors import learning_refusal
from privacy.services import (
    ConsentError,
    consent_purpose_withdraw,
    consent_withdraw,
)
from supportdesk.asgi import application
from tests.factories import ConversationFactory, PolicyVersionFactory, web_consent

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


@pytest.fixture
def chat_ready(policies, knowledge_base, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]


async def _consented(purposes: list[str]) -> tuple[WebsocketCommunicator, str, dict]:
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    connected, _subprotocol = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "hello", "lang": "en", "since": 0})
    welcome = await communicator.receive_json_from(timeout=10)
    assert welcome["consent"]["granted_purposes"] == []  # nothing before consent
    await communicator.send_json_to(
        {
            "type": "consent",
            "accept": True,
            "policy_version": welcome["consent"]["policy_version"],
            "purposes": purposes,
        }
    )
    accepted = await communicator.receive_json_from(timeout=10)
    assert accepted["type"] == "consent.accepted"
    return communicator, welcome["conversation"], accepted


async def _consent_of(token: str) -> ConsentRecord:
    conversation = await Conversation.objects.select_related("consent").aget(
        resume_token_hash=resume_token_hash(token)
    )
    return conversation.consent


async def _set(communicator, purpose, granted) -> dict:
    await communicator.send_json_to(
        {"type": "consent_purpose", "purpose": purpose, "granted": granted}
    )
    return await communicator.receive_json_from(timeout=10)


async def test_the_state_says_which_purposes_the_consent_covers(chat_ready):
    communicator, _token, accepted = await _consented(["support_chat", "bot_improvement"])

    assert accepted["consent"]["granted_purposes"] == ["bot_improvement", "support_chat"]
    await communicator.disconnect()


async def test_unticking_the_box_withdraws_only_that_purpose_and_the_chat_goes_on(chat_ready):
    # given: a customer who ticked "improving the bot" when consenting
    communicator, token, _accepted = await _consented(["support_chat", "bot_improvement"])

    # when: they untick it under the conversation
    frame = await _set(communicator, "bot_improvement", False)

    # then: the consent stands for the chat, nothing of it is learnt from any more
    assert frame["type"] == "consent.updated"
    assert frame["consent"]["required"] is False
    assert frame["consent"]["granted_purposes"] == ["support_chat"]
    consent = await _consent_of(token)
    assert consent.purposes == ["support_chat"] and consent.withdrawn_at is None
    refusal = await _learning_refusal(consent)
    assert refusal == "no_learning_consent"
    assert await AuditEvent.objects.filter(action="consent.purpose_withdrawn").acount() == 1
    # and the chat goes on: the customer identifies and writes
    await communicator.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "identified"
    assert (await communicator.receive_json_from(timeout=10))["from"] == "bot"  # the greeting
    await communicator.send_json_to({"type": "message", "id": "c-1", "text": "Versandkosten?"})
    assert (await communicator.receive_json_from(timeout=10))["type"] == "ack"
    await communicator.disconnect()


async def test_ticking_it_later_adds_the_purpose(chat_ready):
    communicator, token, _accepted = await _consented(["support_chat"])

    frame = await _set(communicator, "bot_improvement", True)

    assert frame["consent"]["granted_purposes"] == ["bot_improvement", "support_chat"]
    consent = await _consent_of(token)
    assert await _learning_refusal(consent) == ""
    assert await AuditEvent.objects.filter(action="consent.purpose_added").acount() == 1
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"purpose": "support_chat", "granted": False}, "invalid_purpose"),
        ({"purpose": "marketing", "granted": True}, "invalid_purpose"),
        ({"purpose": "bot_improvement"}, "missing_field"),
        ({"purpose": ["bot_improvement"], "granted": True}, "missing_field"),
    ],
)
async def test_a_bad_purpose_frame_gets_a_clear_error_and_changes_nothing(chat_ready, frame, code):
    communicator, token, _accepted = await _consented(["support_chat", "bot_improvement"])

    await communicator.send_json_to({"type": "consent_purpose", **frame})
    reply = await communicator.receive_json_from(timeout=10)

    assert reply["type"] == "error" and reply["code"] == code and reply["detail"]
    assert (await _consent_of(token)).purposes == ["bot_improvement", "support_chat"]
    await communicator.disconnect()


async def test_before_consent_a_purpose_cannot_be_added(chat_ready):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    await communicator.connect()
    await communicator.send_json_to({"type": "hello", "lang": "en", "since": 0})
    await communicator.receive_json_from(timeout=10)

    reply = await _set(communicator, "bot_improvement", True)

    assert reply["type"] == "error" and reply["code"] == "consent_required"
    assert not await ConsentRecord.objects.aexists()
    await communicator.disconnect()


async def _learning_refusal(consent: ConsentRecord) -> str:
    return await sync_to_async(learning_refusal)(subject_id=None, consent_id=consent.pk)


# The service ------------------------------------------------------------------------------


@pytest.fixture
def record(policies):
    return web_consent(policies["de"], "bot_improvement")


def test_withdrawing_a_purpose_twice_is_recorded_once(record):
    consent_purpose_withdraw(record=record, purpose="bot_improvement")
    consent_purpose_withdraw(record=record, purpose="bot_improvement")

    record.refresh_from_db()
    assert record.purposes == ["support_chat"]
    assert AuditEvent.objects.filter(action="consent.purpose_withdrawn").count() == 1


def test_the_chats_own_purpose_is_withdrawn_only_with_the_whole_consent(record):
    with pytest.raises(ConsentError):
        consent_purpose_withdraw(record=record, purpose="support_chat")

    record.refresh_from_db()
    assert record.purposes == ["bot_improvement", "support_chat"]


def test_a_withdrawn_consent_keeps_its_purposes_as_they_were(record):
    consent_withdraw(record=record)

    consent_purpose_withdraw(record=record, purpose="bot_improvement")

    record.refresh_from_db()
    assert record.purposes == ["bot_improvement", "support_chat"]
    assert not AuditEvent.objects.filter(action="consent.purpose_withdrawn").exists()


def test_a_purpose_is_withdrawn_in_the_chat_also_under_a_consent_to_an_older_policy(policies):
    record = web_consent(policies["de"], "bot_improvement")
    conversation = ConversationFactory(language="de", consent=record)
    PolicyVersion.objects.update(is_active=False)
    PolicyVersionFactory(language="de", version="2027-01")  # now the active one

    chat_consent_purpose_withdraw(conversation=conversation, purpose="bot_improvement")

    record.refresh_from_db()
    assert record.purposes == ["support_chat"]
    assert learning_refusal(subject_id=None, consent_id=record.pk)
