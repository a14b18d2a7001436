"""The demo data: its customers ticked improving the bot, so teaching can be shown."""

import pytest

from agents.demo import DEMO_SUBJECTS, demo_data_create
from bot.models import Conversation
from privacy.selectors import learning_refusal

pytestmark = pytest.mark.django_db


def test_the_demo_customers_allow_learning_from_their_conversations():
    demo_data_create()

    conversations = Conversation.objects.filter(subject__isnull=False, consent__isnull=False)
    assert conversations.count() >= len(DEMO_SUBJECTS)
    for conversation in conversations:
        assert (
            learning_refusal(subject_id=conversation.subject_id, consent_id=conversation.consent_id)
            == ""
        )
