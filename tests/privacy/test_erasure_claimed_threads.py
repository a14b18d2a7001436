"""Erasing the proved owner of an address erases the conversations others had under that
address (a web chat whose follow-up answer went to it: email_channel's claimed threads),
and so what the bot learnt from them: the chat's own identity goes, and with it the
link that let an erasure or objection reach the questions taught or chosen there. Those
rows must go too, not stay behind unlinked and keep training the bot."""

import pytest
from django.db import connection

from agents.models import Teaching
from bot.models import ChoiceExample, Conversation, ExampleQuestion, Intent
from email_channel.models import Mailbox, MailThread
from email_channel.services import reply_token_new
from privacy.crypto import email_blind_index
from privacy.models import DataSubject
from privacy.services import subject_erase
from tests.factories import ConsentRecordFactory, ConversationFactory, known_subject

pytestmark = pytest.mark.django_db

ADDRESS = "quirinus.zwetschgenbaum@example.net"
QUESTION = "Liefern Sie auch nach Zwetschgenhausen?"


@pytest.fixture
def claimed_chat(queue, knowledge_base):
    """A web chat (its own anonymous identity, consent to bot improvement) whose follow-up
    answer went by mail to ADDRESS; the bot learnt its question three ways."""
    Mailbox.objects.create(
        queue=queue, address="support@shop.example", source="maildir", maildir_path="/tmp/x"
    )
    chatter = DataSubject.objects.create()
    consent = ConsentRecordFactory(subject=chatter)
    conversation = ConversationFactory(subject=chatter, consent=consent, channel="web")
    MailThread.objects.create(
        conversation=conversation,
        mailbox=Mailbox.objects.get(),
        customer_address=ADDRESS,
        customer_address_index=email_blind_index(ADDRESS),
        reply_token=reply_token_new(),
    )
    intent = Intent.objects.get(slug="shipping_costs")
    learnt = {"subject": chatter, "consent": consent, "intent": intent, "language": "de"}
    ChoiceExample.objects.create(text=QUESTION, **learnt)
    ExampleQuestion.objects.create(text=QUESTION, source="agent", **learnt)
    Teaching.objects.create(
        kind="link", question_redacted=QUESTION, conversation=conversation, **learnt
    )
    return conversation


def test_erasing_the_owner_erases_what_the_bot_learnt_from_their_claimed_chat(claimed_chat, agent):
    owner = known_subject(name="Quirinus Zwetschgenbaum", email=ADDRESS)

    subject_erase(subject=owner, acting_user=agent, reason="Art. 17 request")

    assert not Conversation.objects.filter(pk=claimed_chat.pk).exists()
    with connection.cursor() as cursor:
        for table, column in (
            ("bot_choiceexample", "text"),
            ("bot_examplequestion", "text"),
            ("agents_teaching", "question_redacted"),
        ):
            cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
            assert QUESTION not in [row[0] for row in cursor.fetchall()], table
