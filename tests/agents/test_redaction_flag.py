"""Redaction feedback: an agent reports personal data left in a redacted text; the text
is redacted again, the report is audited (without the personal data) and counted on the
model card."""

import pytest
from django.db import connection
from django.test import Client

from bot.models import BotModel, Message
from bot.selectors import bot_model_card
from bot.services import message_append
from privacy.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue")]


@pytest.fixture
def agent_client(queue):
    client = Client()
    client.force_login(queue.members.get())
    return client


def _flag(client, conversation, seq, missed=""):
    return client.post(
        f"/inbox/c/{conversation.public_id}/redaction-flag/", {"seq": seq, "missed": missed}
    )


def test_a_reported_text_is_redacted_again_from_the_original(escalate, agent_client):
    conversation = escalate(texts=("Mein Name ist Erika Mustermann, wo ist mein Paket?",))
    message = Message.objects.get(conversation=conversation, seq=1)
    # Redacted by an older, weaker gate: the name was left in.
    Message.objects.filter(pk=message.pk).update(
        text_redacted="Mein Name ist Erika Mustermann, wo ist mein Paket?"
    )

    response = _flag(agent_client, conversation, 1)

    message.refresh_from_db()
    assert response.status_code == 302
    assert "Mustermann" not in message.text_redacted and "[NAME]" in message.text_redacted
    assert message.redaction_flagged_at is not None


def test_what_the_agent_names_as_missed_is_replaced_and_never_stored(escalate, agent_client):
    # In lower case: the German recogniser finds the capitalised word on its own.
    conversation = escalate(texts=("Das Paket ist für quabbelzamp, bitte schnell.",))

    _flag(agent_client, conversation, 1, missed="quabbelzamp")

    message = Message.objects.get(conversation=conversation, seq=1)
    assert message.text_redacted == "Das Paket ist für [REDACTED], bitte schnell."
    event = AuditEvent.objects.get(action="message.redaction_flagged")
    assert event.details == {
        "conversation": str(conversation.public_id),
        "seq": 1,
        "changed": True,
    }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")
        assert "abbelzamp" not in repr(cursor.fetchall()).lower()


def test_bot_messages_are_not_flagged(escalate, agent_client):
    conversation = escalate()
    message_append(conversation=conversation, sender="bot", text="Antwort")

    _flag(agent_client, conversation, 2)

    assert not AuditEvent.objects.filter(action="message.redaction_flagged").exists()
    assert not Message.objects.filter(redaction_flagged_at__isnull=False).exists()


def test_the_model_card_counts_the_reports(escalate, agent_client):
    conversation = escalate(texts=("Frage eins", "Frage zwei"))
    _flag(agent_client, conversation, 1)
    model = BotModel.objects.create(language="de", version=1, status=BotModel.Status.ACTIVE)

    assert bot_model_card(record=model)["redaction"] == {"texts": 2, "flagged": 1, "share": 0.5}
    page = agent_client.get(
        f"/inbox/c/{conversation.public_id}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Personal data left in this redacted text?" in page
