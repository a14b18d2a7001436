"""The chat's consent card: "I agree" covers the support chat; improving the bot is a
separate, unticked choice (Art. 7(4) GDPR), worded in the page's language."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

CARD = {
    "en": {
        "covers": "What “I agree” covers",
        "optional": "Optional: only if you tick it",
        "purpose_support_chat": "Answering your request in the chat",
        "purpose_bot_improvement": (
            "Improving the bot with conversation content without personal data"
        ),
    },
    "de": {
        "covers": "Was „Ich stimme zu“ umfasst",
        "optional": "Freiwillig: nur, wenn Sie es ankreuzen",
        "purpose_support_chat": "Beantwortung Ihrer Anfrage im Chat",
        "purpose_bot_improvement": (
            "Verbesserung des Bots mit Gesprächsinhalten ohne personenbezogene Daten"
        ),
    },
}


def _chat_strings(page: str) -> dict[str, str]:
    script = re.search(r'<script id="chat-strings" type="application/json">(.*?)</script>', page)
    return json.loads(script.group(1))


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_card_names_what_i_agree_covers_and_the_optional_choice(client, policies, language):
    page = client.get(f"/chat/?language={language}").content.decode()

    words = CARD[language]
    assert words["covers"] in page and words["optional"] in page
    assert 'id="consent-optional"' in page
    strings = _chat_strings(page)
    # The checkbox's label and the listed purpose, both built by chat.js from these
    assert strings["purpose_bot_improvement"] == words["purpose_bot_improvement"]
    assert strings["purpose_support_chat"] == words["purpose_support_chat"]
