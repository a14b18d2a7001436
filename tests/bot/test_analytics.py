from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agents import roles
from bot.chat import conversation_escalate, conversation_rate
from bot.models import Conversation, Message
from bot.selectors import analytics_daily
from bot.services import conversation_resolve, message_append
from tests.factories import ConversationFactory, UserFactory

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
