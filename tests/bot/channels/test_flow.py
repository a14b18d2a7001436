"""The whole text flow on each platform, through the webhooks and the fake platforms:
first message -> consent -> identification -> question -> bot answer -> escalation ->
agent reply from the inbox arrives via the platform."""

import pytest

from agents.services import conversation_reply, conversation_resolve_by_agent
from bot.channels.texts import notice
from bot.models import ChannelDelivery, ChannelIdentity, Conversation, Message
from tests.bot.channels.conftest import CHANNELS, CUSTOMERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(active_channel, policies, knowledge_base, queue):
    """A customer on `channel` who has consented and identified themselves."""

    def make(channel: str, driver):
        active_channel(channel)
        customer = driver(channel)
        customer.say("Hallo")
        customer.say("JA")
        customer.say("Erika Mustermann")
        customer.say("erika@example.org")
        return customer

    return make


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_first_message_is_answered_with_the_consent_question_and_policy_link(
    channel, driver, active_channel, policies
):
    active_channel(channel)
    customer = driver(channel)

    customer.say("Wo ist mein Paket?")

    question = customer.last_reply()
    assert "http://127.0.0.1:8000/privacy/policy/de/" in question
    assert "JA" in question
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_consent_then_identification_field_by_field(channel, driver, active_channel, policies):
    active_channel(channel)
    customer = driver(channel)
    customer.say("Hallo")

    customer.say("Ja!")
    assert customer.last_reply().endswith(notice("ask_name", language="de"))
    customer.say("Erika Mustermann")
    assert customer.last_reply() == notice("ask_email", language="de")
    customer.say("erika@example.org")

    assert customer.last_reply() == notice("how_can_i_help", language="de")
    conversation = Conversation.objects.select_related("subject", "consent").get()
    assert conversation.channel == channel
    assert conversation.consent.channel == channel
    assert conversation.subject.email == "erika@example.org"
    assert conversation.subject.name == "Erika Mustermann"
    identity = ChannelIdentity.objects.get()
    assert identity.subject == conversation.subject


@pytest.mark.parametrize("channel", CHANNELS)
def test_full_flow_question_answer_escalation_and_agent_reply(channel, driver, ready, agent):
    customer = ready(channel, driver)

    customer.say("Wie hoch sind die Versandkosten?")
    answer = customer.last_reply()
    assert "4,95" in answer or "50" in answer

    customer.say("Ich möchte mit einem Mitarbeiter sprechen")
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    assert "Team" in customer.last_reply()

    with customer.capture(execute=True):
        reply = conversation_reply(
            conversation=conversation, agent=agent, text="Gerne, ich sehe nach."
        )

    assert customer.last_reply() == "Gerne, ich sehe nach."
    reply.delivery.refresh_from_db()
    assert reply.delivery.status == ChannelDelivery.Status.SENT
    recipients = {
        str(r.body.get("chat_id") or r.body.get("to") or r.body["recipient"]["id"])
        for r in customer.fake.sent(channel)
    }
    assert recipients == {CUSTOMERS[channel]}


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_resolution_notice_reaches_the_customer(channel, driver, ready, agent):
    customer = ready(channel, driver)
    customer.say("Ich möchte mit einem Mitarbeiter sprechen")
    conversation = Conversation.objects.get()
    with customer.capture(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Erledigt.")
        conversation_resolve_by_agent(conversation=conversation, agent=agent)

    assert "gelöst" in customer.last_reply() or "resolved" in customer.last_reply()


@pytest.mark.parametrize("channel", CHANNELS)
def test_writing_after_resolution_hands_the_case_back_to_the_team(channel, driver, ready, agent):
    customer = ready(channel, driver)
    customer.say("Ich möchte mit einem Mitarbeiter sprechen")
    conversation = Conversation.objects.get()
    with customer.capture(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Erledigt.")
        conversation_resolve_by_agent(conversation=conversation, agent=agent)

    customer.say("Doch noch eine Frage zur Rechnung")

    conversation.refresh_from_db()
    assert conversation.status in (Conversation.Status.WAITING, Conversation.Status.ASSIGNED)
    assert (
        Message.objects.filter(sender="customer").last().text == "Doch noch eine Frage zur Rechnung"
    )
