from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agents.analytics import analytics_report
from bot.chat import conversation_escalate, conversation_rate
from bot.models import Conversation, Message
from bot.selectors import analytics_daily, unanswered_topics
from bot.services import conversation_resolve, message_append
from staff import roles
from tests.factories import (
    ConsentRecordFactory,
    ConversationFactory,
    DataSubjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _conversation(*, escalate: str = "", helpful=None, csat=None):
    conversation = ConversationFactory()
    message_append(conversation=conversation, sender="customer", text="Versandkosten?")
    answer, _ = message_append(conversation=conversation, sender="bot", text="4,95 EUR")
    if helpful is not None:
        Message.objects.filter(pk=answer.pk).update(helpful=helpful)
    if escalate:
        conversation_escalate(conversation=conversation, reason=escalate)
    if csat:
        Conversation.objects.filter(pk=conversation.pk).update(status="bot")
        conversation_resolve(conversation=conversation)
        conversation_rate(conversation=conversation, score=csat)
    return conversation


def test_the_daily_figures_count_what_happened():
    _conversation(helpful=True, csat=5)
    _conversation(helpful=False, escalate="negative_feedback")
    _conversation(escalate="customer_request")
    _conversation()
    ConversationFactory()  # opened, never asked: not counted
    today = timezone.localdate()

    [day] = analytics_daily(since=today, until=today)

    assert day["conversations"] == 4 and day["automated"] == 2
    assert day["automation_rate"] == 0.5
    assert day["questions"] == 4 and day["bot_answers"] == 4
    assert day["escalation_reasons"] == {"negative_feedback": 1, "customer_request": 1}
    assert day["answer_precision"] == 0.5
    assert day["csat_count"] == 1 and day["csat_average"] == 5


def test_days_without_traffic_are_listed_empty():
    today = timezone.localdate()

    days = analytics_daily(since=today - timedelta(days=2), until=today)

    assert [d["conversations"] for d in days] == [0, 0, 0]
    assert days[0]["automation_rate"] is None


def test_the_endpoint_is_for_supervisors(agent):
    supervisor = UserFactory(role=roles.SUPERVISOR)
    allowed, refused = APIClient(), APIClient()
    allowed.force_authenticate(supervisor)
    refused.force_authenticate(agent)

    assert allowed.get("/api/v1/analytics/daily/").status_code == 200
    assert len(allowed.get("/api/v1/analytics/daily/").json()) == 30
    assert refused.get("/api/v1/analytics/daily/").status_code == 403


@pytest.mark.parametrize("query", [{"since": "yesterday"}, {"since": "2020-01-01"}])
def test_a_bad_range_is_a_validation_error(query):
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.SUPERVISOR))

    response = client.get("/api/v1/analytics/daily/", query)

    assert response.status_code == 400 and "since" in response.json()["fields"]


def _escalated(
    *texts: str,
    reason: str = "low_confidence",
    language: str = "de",
    after=(),
    subject=None,
    purposes=("bot_improvement", "support_chat"),
):
    consent = ConsentRecordFactory(subject=subject, purposes=list(purposes))
    conversation = ConversationFactory(language=language, subject=subject, consent=consent)
    for text in texts:
        message_append(conversation=conversation, sender="customer", text=text)
    conversation_escalate(conversation=conversation, reason=reason)
    for text in after:  # to the agent, after the hand-over
        message_append(conversation=conversation, sender="customer", text=text)
    return conversation


def test_unanswered_topics_cluster_the_questions_the_bot_escalated(knowledge_base):
    # given: questions about topics the demo knowledge base lacks, one with a name in it
    _escalated("Mein Name ist Erika Mustermann, wie wasche ich Merinowolle?")
    _escalated("Darf Merinowolle in die Waschmaschine?", after=["Danke, Merinowolle ist toll"])
    _escalated("Merinowolle bei wie viel Grad waschen?", reason="negative_feedback")
    _escalated("Bietet ihr Möbelaufbau an?")
    _escalated("Ist der Möbelaufbau inklusive?")
    _escalated("How do I wash merino wool?", language="en")
    _escalated("Wie wasche ich Merinowolle?", reason="customer_request")  # not the bot's doing
    today = timezone.localdate()

    # when
    topics = unanswered_topics(since=today, until=today)

    # then
    wool, assembly, english = topics
    assert (wool["language"], wool["questions"], wool["intent"]) == ("de", 3, None)
    assert "merinowolle" in wool["terms"]
    assert assembly["questions"] == 2 and "möbelaufbau" in assembly["terms"]
    assert english["language"] == "en" and english["questions"] == 1
    assert "Erika" not in str(topics) and "Mustermann" not in str(topics)
    assert any("[NAME]" in example for example in wool["examples"])


def test_unanswered_topics_leave_out_objecting_and_unconsenting_people(knowledge_base):
    # given: the same topic asked by a person who objected to learning (Art. 21), by one
    # whose consent lacks the bot_improvement purpose, and by one who allows it
    objecting = DataSubjectFactory(learning_objected_at=timezone.now())
    _escalated("Wie wasche ich Merinowolle? Objektor-Kennwort", subject=objecting)
    _escalated("Merinowolle waschen? Ohnezweck-Kennwort", purposes=["support_chat"])
    _escalated("Darf Merinowolle in die Waschmaschine?")
    today = timezone.localdate()

    # when
    topics = unanswered_topics(since=today, until=today)

    # then only the allowed question is clustered and shown
    assert [topic["questions"] for topic in topics] == [1]
    assert "kennwort" not in str(topics).lower()


def test_unanswered_topics_name_an_intent_only_when_close(knowledge_base):
    _escalated("Ich brauche einen Retourenschein für meine Rücksendung")
    _escalated("Wo ist das Rücksendeetikett für die Retoure?")
    _escalated("Verkauft ihr auch Autoreifen?")
    today = timezone.localdate()

    topics = {topic["questions"]: topic for topic in unanswered_topics(since=today, until=today)}

    assert topics[2]["intent"] == "return_how" and topics[2]["intent_similarity"] >= 0.4
    assert topics[1]["intent"] is None


def test_unanswered_topics_leave_out_questions_the_bot_answered_confidently(knowledge_base):
    # given: a conversation whose first question the bot answered at 0.98, then escalated
    # on an unsure one; and one whose answer the customer rated unhelpful
    consent = ConsentRecordFactory(purposes=["bot_improvement", "support_chat"])
    conversation = ConversationFactory(language="de", consent=consent)
    message_append(
        conversation=conversation, sender="customer", text="Wie lange dauert der Versand?"
    )
    # a notice between question and answer (the AI disclosure) is not the reply
    message_append(conversation=conversation, sender="system", text="Ich bin ein Assistent.")
    message_append(
        conversation=conversation,
        sender="bot",
        text="Zwei bis drei Werktage.",
        intent_slug="shipping_time",
        confidence=0.98,
    )
    message_append(conversation=conversation, sender="customer", text="Wie wasche ich Merinowolle?")
    conversation_escalate(conversation=conversation, reason="low_confidence")
    rated = ConversationFactory(language="de", consent=consent)
    message_append(conversation=rated, sender="customer", text="Wie lange dauert der Versand?")
    answer, _ = message_append(
        conversation=rated,
        sender="bot",
        text="Zwei bis drei Werktage.",
        intent_slug="shipping_time",
        confidence=0.98,
    )
    answer.helpful = False
    answer.save(update_fields=["helpful"])
    conversation_escalate(conversation=rated, reason="negative_feedback")
    today = timezone.localdate()

    # when
    topics = unanswered_topics(since=today, until=today)

    # then: the unsure question and the one answered unhelpfully count, the answered one not
    questions = sorted(example for topic in topics for example in topic["examples"])
    assert questions == ["Wie lange dauert der Versand?", "Wie wasche ich Merinowolle?"]
    assert sum(topic["questions"] for topic in topics) == 2


def test_the_topics_offer_is_neither_an_answer_nor_automation():
    # given a conversation the bot answered and one where it only offered its topics
    _conversation()
    offered = ConversationFactory()
    message_append(conversation=offered, sender="customer", text="Wie wird das Wetter?")
    message_append(
        conversation=offered,
        sender="bot",
        text="I can help with these topics:",
        confidence=0.12,
        answer_source="model",
    )
    today = timezone.localdate()

    # when the daily figures and the supervisors' report are worked out
    [day] = analytics_daily(since=today, until=today)
    report = analytics_report(since=today, until=today)

    # then the offer counts as a question, not as an answer or an automated conversation
    assert (day["conversations"], day["questions"]) == (2, 2)
    assert (day["automated"], day["bot_answers"], day["model_answers"]) == (1, 1, 0)
    assert report.totals["automated"] == 1 and report.totals["automation_rate"] == 0.5
