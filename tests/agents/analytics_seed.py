"""A known week of traffic for the analytics tests (page, CSV and browser): every figure
the page shows can be worked out by hand from the conversations below.

Two days ago (local time):
  A  web       09:15  answered by the bot (order_change, rated helpful)
  B  web       10:05  bot answer (shipping_costs) rated unhelpful -> escalated 10:06,
                      first reply 10:09 (3 min), resolved 10:30 (24 min), rated 4
  F  web       10:40  answered by the bot (order_change)
Yesterday:
  C  telegram  14:20  escalated at once (customer_request) 14:21, reply after 30 s,
                      resolved 15:51 (90 min), rated 2
  D  whatsapp  14:40  answered by the bot (order_change, rated helpful)
Today:
  E  web       00:05  escalated (low_confidence) 00:06, still waiting

Customers carry names and addresses, so a test can prove none reaches the figures.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from agents.services import assignment_route
from bot.chat import conversation_escalate
from bot.models import Conversation, Message
from bot.services import message_append
from tests.factories import ConversationFactory, DataSubjectFactory

CUSTOMER_NAME = "Waltraud Gänseblümchen"
CUSTOMER_EMAIL = "waltraud.gaensebluemchen@example.org"


def _at(days_ago: int, hour: int, minute: int, second: int = 0) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour, minute, second)))


def _conversation(channel: str, started: datetime, *, question: str, subject) -> Conversation:
    conversation = ConversationFactory(channel=channel, subject=subject)
    message = message_append(
        conversation=conversation,
        sender="customer",
        text=f"{question} Ich bin {CUSTOMER_NAME}, {CUSTOMER_EMAIL}.",
    )[0]
    Message.objects.filter(pk=message.pk).update(created_at=started)
    Conversation.objects.filter(pk=conversation.pk).update(created_at=started)
    return conversation


def _bot_answer(conversation, at: datetime, intent: str, helpful=None) -> None:
    message = message_append(
        conversation=conversation, sender="bot", text="…", intent_slug=intent, confidence=0.9
    )[0]
    Message.objects.filter(pk=message.pk).update(
        created_at=at, helpful=helpful, answer_source=Message.AnswerSource.MODEL
    )


def _escalate(conversation, at: datetime, reason: str) -> None:
    conversation_escalate(conversation=conversation, reason=reason)
    assignment_route(conversation_id=conversation.pk)
    Conversation.objects.filter(pk=conversation.pk).update(escalated_at=at)


def _handled(conversation, agent, *, reply: datetime, resolved: datetime, csat: int) -> None:
    message = message_append(
        conversation=conversation, sender="agent", text="Gern.", sender_user=agent
    )[0]
    Message.objects.filter(pk=message.pk).update(created_at=reply)
    conversation.assignment.agent = agent
    conversation.assignment.assigned_at = reply
    conversation.assignment.save()
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.RESOLVED, resolved_at=resolved, csat_score=csat
    )


def analytics_seed(*, agent) -> dict[str, Conversation]:
    """The conversations above; `agent` (a member of the one queue) handles B and C."""
    subject = DataSubjectFactory(name=CUSTOMER_NAME, email=CUSTOMER_EMAIL)
    a = _conversation("web", _at(2, 9, 15), question="Kann ich die Größe ändern?", subject=subject)
    _bot_answer(a, _at(2, 9, 16), "order_change", helpful=True)

    b = _conversation("web", _at(2, 10, 5), question="Was kostet der Versand?", subject=subject)
    _bot_answer(b, _at(2, 10, 5, 30), "shipping_costs", helpful=False)
    _escalate(b, _at(2, 10, 6), "negative_feedback")
    _handled(b, agent, reply=_at(2, 10, 9), resolved=_at(2, 10, 30), csat=4)

    f = _conversation("web", _at(2, 10, 40), question="Größe tauschen?", subject=subject)
    _bot_answer(f, _at(2, 10, 41), "order_change")

    c = _conversation(
        "telegram", _at(1, 14, 20), question="Ich möchte eine Person.", subject=subject
    )
    _escalate(c, _at(1, 14, 21), "customer_request")
    _handled(c, agent, reply=_at(1, 14, 21, 30), resolved=_at(1, 15, 51), csat=2)

    d = _conversation("whatsapp", _at(1, 14, 40), question="Bestellung ändern?", subject=subject)
    _bot_answer(d, _at(1, 14, 41), "order_change", helpful=True)

    e = _conversation("web", _at(0, 0, 5), question="Wie pflege ich Merinowolle?", subject=subject)
    _escalate(e, _at(0, 0, 6), "low_confidence")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
