"""The bot on e-mail: the chat's dialog engine and confidence bands decide whether a new
mail is answered at once (the mailbox's auto-answer, off by default) or goes to the team
with the bot's suggestions; a reply to the bot's mail reaches a person."""

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from agents.models import Assignment
from bot.models import Conversation, Message
from email_channel.models import MailMessage
from tests.email_channel.mails import mail_bytes

pytestmark = pytest.mark.django_db

# The demo knowledge base knows this one well: the answer band of the keyword matcher.
SURE_QUESTION = {"subject": "Versandkosten", "text": "Was kostet der Versand?"}
UNSURE_QUESTION = {
    "subject": "Frage",
    "text": "Mein Nachbar hat ein Paket für mich, aber der Hund bellt immer so laut.",
}


@pytest.fixture
def auto_answer(maildir_mailbox):
    maildir_mailbox.bot_auto_answer = True
    maildir_mailbox.save(update_fields=["bot_auto_answer"])
    return maildir_mailbox


def _conversation() -> Conversation:
    return Conversation.objects.get(channel=Conversation.Channel.EMAIL)


def test_without_auto_answer_a_question_the_bot_knows_goes_to_the_team(
    knowledge_base, deliver, fetch, queue
):
    deliver(mail_bytes(**SURE_QUESTION))

    fetch()

    conversation = _conversation()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "email"
    assert Assignment.objects.get(conversation=conversation).queue == queue
    assert list(conversation.messages.values_list("sender", flat=True)) == ["customer"]
    assert django_mail.outbox == []


def test_the_agent_sees_the_bots_suggestion_for_the_mail(knowledge_base, deliver, fetch, client):
    deliver(mail_bytes(**SURE_QUESTION))
    fetch()
    conversation = _conversation()
    agent = Assignment.objects.get(conversation=conversation).queue.members.first()
    client.force_login(agent)

    response = client.get(reverse("agents:conversation", args=[conversation.public_id]))

    suggestions = response.context["suggestions"]
    assert suggestions[0]["intent"] == "shipping_costs"
    assert suggestions[0]["confidence"] >= 0.6
    # Editable: the page offers it for insertion into the reply, not as a sent answer.
    assert suggestions[0]["text"] in response.content.decode()


def test_with_auto_answer_the_bot_answers_a_question_it_is_sure_of_by_mail(
    knowledge_base, auto_answer, deliver, fetch, celery_eager
):
    deliver(mail_bytes(message_id="<ask@example.net>", **SURE_QUESTION))

    fetch()

    conversation = _conversation()
    # The bot has it; nobody's inbox does.
    assert conversation.status == Conversation.Status.BOT
    assert not Assignment.objects.filter(conversation=conversation).exists()
    answer = conversation.messages.get(sender=Message.Sender.BOT)
    assert answer.intent_slug == "shipping_costs"
    assert answer.confidence >= 0.6
    assert answer.answer_source == Message.AnswerSource.KEYWORD
    (sent,) = django_mail.outbox
    assert sent.to == ["erika@example.net"]
    assert sent.extra_headers["In-Reply-To"] == "<ask@example.net>"
    # RFC 3834: an automatic answer says so (the customer's out-of-office stays quiet).
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.text in sent.body
    assert "automatisch" in sent.body  # how to reach a person, in the mail's language
    outbound = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    assert outbound.status == MailMessage.Status.SENT
    assert outbound.message == answer


def test_a_reply_to_the_bots_mail_hands_the_conversation_to_the_mailbox_queue(
    knowledge_base, auto_answer, deliver, fetch, celery_eager, queue
):
    deliver(mail_bytes(**SURE_QUESTION))
    fetch()
    (sent,) = django_mail.outbox

    deliver(
        mail_bytes(
            subject=f"AW: {sent.subject}",
            text="Das hilft mir nicht, ich brauche eine Rechnung mit Versandkosten.",
            in_reply_to=sent.extra_headers["Message-ID"],
        )
    )
    fetch()

    conversation = _conversation()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "customer_request"
    assert Assignment.objects.get(conversation=conversation).queue == queue
    # The bot does not answer again: the person does.
    assert len(django_mail.outbox) == 1
    assert conversation.messages.filter(sender=Message.Sender.BOT).count() == 1


def test_with_auto_answer_a_question_the_bot_is_unsure_of_goes_to_the_team(
    knowledge_base, auto_answer, deliver, fetch, queue
):
    deliver(mail_bytes(**UNSURE_QUESTION))

    fetch()

    conversation = _conversation()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "low_confidence"
    assert Assignment.objects.get(conversation=conversation).queue == queue
    assert not conversation.messages.exclude(sender=Message.Sender.CUSTOMER).exists()
    assert django_mail.outbox == []


def test_a_mail_asking_for_a_person_goes_to_the_team_even_with_auto_answer(
    knowledge_base, auto_answer, deliver, fetch
):
    deliver(mail_bytes(subject="Mitarbeiter bitte", text="Ich möchte mit einem Menschen sprechen."))

    fetch()

    conversation = _conversation()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "customer_request"
    assert django_mail.outbox == []


def test_an_intent_that_acts_is_left_to_a_person(knowledge_base, auto_answer, deliver, fetch):
    # A data-protection request needs the chat's identity steps: not started by mail.
    deliver(
        mail_bytes(
            subject="Datenauskunft",
            text="Ich möchte eine Auskunft über meine gespeicherten Daten.",
        )
    )

    fetch()

    conversation = _conversation()
    assert conversation.status == Conversation.Status.WAITING
    assert not conversation.messages.exclude(sender=Message.Sender.CUSTOMER).exists()
