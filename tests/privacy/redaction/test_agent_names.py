"""The names of a conversation's agents are hidden in its messages like the customer's own
(the gate's known names): "sonne" is a common word the gate keeps anywhere else."""

import pytest

from bot.models import Conversation, Message
from bot.selectors import conversation_agent_names
from bot.services import message_append
from privacy.redaction import text_redact
from tests.factories import AgentFactory, ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sonne(db):
    return AgentFactory(first_name="Sonne", last_name="Quackenbusch")


def test_the_gate_alone_keeps_the_word(sonne):
    assert text_redact("sonne hat mir geholfen", allowed_words=()) == "sonne hat mir geholfen"


def test_an_agents_name_is_hidden_in_the_customers_later_messages(sonne):
    # given: the agent has written in the conversation
    conversation = ConversationFactory(status=Conversation.Status.ASSIGNED)
    message_append(
        conversation=conversation, sender=Message.Sender.AGENT, text="Hallo!", sender_user=sonne
    )
    # when: the customer names the agent
    message, _created = message_append(
        conversation=conversation,
        sender=Message.Sender.CUSTOMER,
        text="sonne hat mir geholfen, danke an quackenbusch",
    )
    # then: the redacted copy has neither name
    message.refresh_from_db()
    assert message.text_redacted == "[NAME] hat mir geholfen, danke an [NAME]"


def test_an_agents_own_reply_hides_its_name(sonne):
    conversation = ConversationFactory(status=Conversation.Status.ASSIGNED)
    message, _created = message_append(
        conversation=conversation,
        sender=Message.Sender.AGENT,
        text="Hier ist sonne vom Kundenservice.",
        sender_user=sonne,
    )
    message.refresh_from_db()
    assert message.text_redacted == "Hier ist [NAME] vom Kundenservice."


def test_while_the_bot_has_the_conversation_no_agent_name_is_looked_up(
    sonne, django_assert_num_queries
):
    conversation = ConversationFactory(status=Conversation.Status.BOT)
    with django_assert_num_queries(0):
        assert conversation_agent_names(conversation=conversation) == []
