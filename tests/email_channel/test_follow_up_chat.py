"""The chat protocol's follow-up frames: offered while the customer waits for the team,
refused without its own consent, recorded once."""

import pytest
from asgiref.sync import sync_to_async

from bot.customer_presence import customer_connected
from bot.follow_ups import follow_up_conversation_get, follow_up_form_link
from bot.models import Conversation
from email_channel.models import MailThread
from privacy.models import ConsentRecord
from tests.bot.test_consumers import _ready_conversation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat_ready(policies, knowledge_base, settings, maildir_mailbox):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]


async def _escalated():
    communicator, token = await _ready_conversation()
    await communicator.send_json_to({"type": "escalate"})
    assert (await communicator.receive_json_from(timeout=10))["from"] == "system"
    status = await communicator.receive_json_from(timeout=10)
    return communicator, status


async def test_the_waiting_customer_is_offered_to_get_the_answer_by_mail(chat_ready):
    communicator, status = await _escalated()

    assert status["status"] == "waiting"
    offer = status["follow_up"]
    assert (offer["available"], offer["left"]) == (True, False)
    # The one follow-up's other choice, a call back, on the follow-up form.
    assert "/chat/follow-up/" in offer["call_back_url"]
    token = offer["call_back_url"].split("/")[-2]
    linked = await sync_to_async(follow_up_conversation_get)(token=token)
    assert linked.pk == (await Conversation.objects.aget()).pk
    await communicator.disconnect()


async def test_an_address_without_its_consent_is_refused(chat_ready):
    communicator, _status = await _escalated()

    await communicator.send_json_to({"type": "follow_up", "email": "erika@example.org"})
    error = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to({"type": "follow_up", "email": "kaputt", "consent": True})
    invalid = await communicator.receive_json_from(timeout=10)

    assert error["type"] == "error" and error["code"] == "follow_up_consent_required"
    assert invalid["code"] == "invalid_email"
    assert not await MailThread.objects.aexists()
    await communicator.disconnect()


async def test_the_address_left_with_consent_is_recorded(chat_ready):
    communicator, _status = await _escalated()

    await communicator.send_json_to(
        {"type": "follow_up", "email": "erika.neu@example.org", "consent": True}
    )
    recorded = await communicator.receive_json_from(timeout=10)

    assert recorded["type"] == "follow_up.recorded"
    assert recorded["follow_up"] == {"available": False, "left": True}
    thread = await MailThread.objects.aget()
    assert thread.customer_address == "erika.neu@example.org"
    assert await ConsentRecord.objects.filter(purposes=["follow_up"]).aexists()
    await communicator.disconnect()


async def test_the_customer_counts_as_connected_until_the_socket_closes(chat_ready):
    communicator, _status = await _escalated()
    public_hex = (await Conversation.objects.aget()).public_id.hex

    assert customer_connected(public_hex)
    await communicator.disconnect()
    assert not customer_connected(public_hex)


async def test_without_a_mailbox_the_waiting_customer_is_offered_the_call_back_only(
    policies, knowledge_base, settings
):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    communicator, status = await _escalated()

    # No mailbox to send the answer from: no e-mail choice, but the follow-up form, where a
    # call back needs none.
    offer = status["follow_up"]
    assert (offer["available"], offer["left"]) == (False, False)
    token = offer["call_back_url"].split("/")[-2]
    conversation = await Conversation.objects.aget()
    assert (await sync_to_async(follow_up_conversation_get)(token=token)).pk == conversation.pk
    await communicator.send_json_to(
        {"type": "follow_up", "email": "erika@example.org", "consent": True}
    )
    refused = await communicator.receive_json_from(timeout=10)
    assert refused["code"] == "follow_up_unavailable"
    await communicator.disconnect()

    # Once closed, the form cannot be used any more: no link to it.
    conversation.status = Conversation.Status.CLOSED
    assert await sync_to_async(follow_up_form_link)(conversation=conversation) is None
