"""The set-up engine every channel translates to: consent, identification field by field,
anonymous mode (bot.conversation_setup)."""

import pytest

from bot import conversation_setup as setup
from bot.conversation_setup import ConsentAnswer
from bot.models import Conversation
from tests.factories import ConversationFactory


@pytest.mark.parametrize(
    ("accepts", "asked", "answer"),
    [
        (True, True, ConsentAnswer.GIVEN),
        (False, True, ConsentAnswer.DECLINED),
        (None, True, ConsentAnswer.ASK),
        # Not asked since the last consent: whatever it says, the question comes first.
        (True, False, ConsentAnswer.ASK),
        (False, False, ConsentAnswer.ASK),
    ],
)
def test_an_answer_counts_only_to_a_question_asked(accepts, asked, answer):
    assert setup.consent_answer(accepts=accepts, asked=asked) is answer


def test_the_fields_are_asked_in_the_configured_order(settings):
    settings.CHAT_IDENTITY_FIELDS = ["email", "name"]

    assert setup.identification_next_field({}) == "email"
    assert setup.identification_next_field({"email": "erika@example.com"}) == "name"
    assert setup.identification_next_field({"email": "e@example.com", "name": "Erika"}) is None


def test_an_answer_is_checked_by_its_fields_validator(settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "phone"]

    refused = setup.identification_answer(draft={"name": "Erika"}, field="phone", value="12345")
    accepted = setup.identification_answer(
        draft={"name": "Erika"}, field="phone", value=" +49 40 1234567 "
    )

    assert refused == ({"name": "Erika"}, False)
    assert accepted == ({"name": "Erika", "phone": "+49 40 1234567"}, True)


def test_no_field_pending_is_no_answer(settings):
    settings.CHAT_IDENTITY_FIELDS = ["name"]

    assert setup.identification_answer(draft={}, field="", value="hello") == ({}, True)
    assert setup.identification_answer(draft={}, field="email", value="x") == ({}, True)


@pytest.mark.usefixtures("policies")
def test_finishing_stores_the_fields_or_names_the_one_to_ask_again(settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    conversation = ConversationFactory()
    setup.consent_give(conversation=conversation)

    refused = setup.identification_finish(
        conversation=conversation, draft={"name": "Erika", "email": "not an address"}
    )
    conversation.refresh_from_db()
    assert refused == "email" and conversation.subject_id is None

    finished = setup.identification_finish(
        conversation=conversation, draft={"name": "Erika", "email": "erika@example.com"}
    )
    conversation.refresh_from_db()
    assert finished is None and conversation.subject.email == "erika@example.com"


@pytest.mark.usefixtures("policies")
def test_consent_is_given_in_the_customers_language():
    conversation = ConversationFactory(language="de")

    record = setup.consent_give(conversation=conversation, language="en")

    conversation.refresh_from_db()
    assert record is not None and conversation.consent == record
    assert conversation.language == "en" and record.policy_version.language == "en"


@pytest.mark.django_db
def test_without_an_active_policy_consent_is_not_given():
    conversation = ConversationFactory(language="de")

    assert not setup.consent_policy_available(language="de")
    assert setup.consent_give(conversation=conversation, language="en") is None
    conversation.refresh_from_db()
    assert conversation.consent is None and conversation.language == "de"


def test_only_the_website_chat_has_an_anonymous_mode_and_only_where_allowed(settings):
    settings.CHAT_ANONYMOUS_MODE = True
    assert setup.anonymous_mode_after_decline(Conversation.Channel.WEB)
    assert not setup.anonymous_mode_after_decline(Conversation.Channel.TELEGRAM)
    settings.CHAT_ANONYMOUS_MODE = False
    assert not setup.anonymous_mode_after_decline(Conversation.Channel.WEB)
