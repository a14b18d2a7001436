"""AI Act Art. 50(1) on the messengers: the first message says that an automated
assistant answers, and the consent confirmation repeats it in the customer's language
before the first answer. Editing the knowledge base does not remove it."""

import pytest

from tests.bot.channels.conftest import CHANNELS
from tests.bot.test_disclosure import DISCLOSURE, ENGLISH, GERMAN, greeting_edit_away


@pytest.fixture
def platform_customer(driver, active_channel, policies, knowledge_base, settings):
    greeting_edit_away()
    settings.CHAT_IDENTITY_FIELDS = []

    def make(channel: str):
        active_channel(channel)
        return driver(channel)

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(("language", "yes"), [("de", "JA"), ("en", "YES")])
def test_a_messenger_customer_is_told_before_the_first_answer(
    channel, language, yes, platform_customer
):
    platform = platform_customer(channel)

    platform.say("Hallo")
    first = platform.last_reply()
    platform.say(yes)
    confirmation = platform.last_reply()
    platform.say("Wie lange dauert der Versand?" if language == "de" else "How long is shipping?")
    replies = platform.replies()

    # The very first message says it (in German at least: Telegram's app says German,
    # WhatsApp and Messenger do not say, so every shipped language is used).
    assert GERMAN in first
    if channel != "telegram":
        assert ENGLISH in first
    # And the consent confirmation repeats it in the customer's language, before any answer.
    assert DISCLOSURE[language] in confirmation
    assert replies.index(confirmation) < len(replies) - 1
    assert all(
        DISCLOSURE[language] not in reply for reply in replies[replies.index(confirmation) + 1 :]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_named_assistant_is_still_said_to_be_automated(channel, platform_customer, settings):
    settings.CHAT_ASSISTANT_NAME = "Lumi"
    platform = platform_customer(channel)

    platform.say("Hallo")
    platform.say("YES")

    assert "Sie schreiben mit Lumi, einem automatischen Assistenten" in platform.replies()[0]
    assert "You are chatting with Lumi, an automated assistant" in platform.last_reply()
