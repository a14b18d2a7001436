from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from bot.models import Conversation, Message
from bot.tokens import resume_token_hash


def conversation_get_by_resume_token(*, token: str) -> Conversation | None:
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    return (
        Conversation.objects.select_related("consent", "subject")
        .filter(resume_token_hash=resume_token_hash(token))
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def message_list_since(*, conversation: Conversation, after_seq: int = 0) -> QuerySet[Message]:
    return conversation.messages.filter(seq__gt=after_seq).order_by("seq")


def analytics_daily(*, since: date, until: date) -> list[dict]:
    """Per day: automation rate, escalation reasons, answer feedback and satisfaction.

    Computed from conversation metadata and the redacted copies only; no personal data.
    A day is a calendar day in TIME_ZONE; `until` is inclusive.
    """
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    days: dict[date, dict] = {
        since + timedelta(days=n): {
            "day": since + timedelta(days=n),
            "conversations": 0,
            "automated": 0,
            "automation_rate": None,
            "questions": 0,
            "bot_answers": 0,
            "escalation_reasons": {},
            "feedback_helpful": 0,
            "feedback_unhelpful": 0,
            "answer_precision": None,
            "csat_count": 0,
            "csat_average": None,
        }
        for n in range((until - since).days + 1)
    }
    started = (
        Conversation.objects.filter(created_at__gte=start, created_at__lt=end, last_seq__gt=0)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Count("id"), escalated=Count("id", filter=Q(escalated_at__isnull=False)))
    )
    for row in started:
        entry = days[row["day"]]
        entry["conversations"] = row["total"]
        entry["automated"] = row["total"] - row["escalated"]
        entry["automation_rate"] = round(entry["automated"] / row["total"], 4)
    messages = (
        Message.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            questions=Count("id", filter=Q(sender=Message.Sender.CUSTOMER)),
            bot_answers=Count("id", filter=Q(sender=Message.Sender.BOT)),
            rated_helpful=Count("id", filter=Q(helpful=True)),
            rated_unhelpful=Count("id", filter=Q(helpful=False)),
        )
    )
    for row in messages:
        entry = days[row["day"]]
        entry["questions"], entry["bot_answers"] = row["questions"], row["bot_answers"]
        entry["feedback_helpful"] = row["rated_helpful"]
        entry["feedback_unhelpful"] = row["rated_unhelpful"]
        rated = row["rated_helpful"] + row["rated_unhelpful"]
        entry["answer_precision"] = round(row["rated_helpful"] / rated, 4) if rated else None
    escalations = (
        Conversation.objects.filter(escalated_at__gte=start, escalated_at__lt=end)
        .annotate(day=TruncDate("escalated_at"))
        .values("day", "escalation_reason")
        .annotate(n=Count("id"))
    )
    for row in escalations:
        days[row["day"]]["escalation_reasons"][row["escalation_reason"]] = row["n"]
    ratings = (
        Conversation.objects.filter(
            resolved_at__gte=start, resolved_at__lt=end, csat_score__isnull=False
        )
        .annotate(day=TruncDate("resolved_at"))
        .values("day")
        .annotate(n=Count("id"), average=Avg("csat_score"))
    )
    for row in ratings:
        entry = days[row["day"]]
        entry["csat_count"], entry["csat_average"] = row["n"], round(row["average"], 2)
    return list(days.values())


def unanswered_topics(*, since: date, until: date, limit: int = 10) -> list[dict]:
    """What the bot could not answer: escalated questions grouped by the nearest intent.

    Uses the redacted copies only. Each topic: the nearest intent (or None), how many
    questions, and up to three of them as examples for the supervisor.
    """
    from bot.chat import answer_suggestions

    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    questions = (
        Message.objects.filter(
            sender=Message.Sender.CUSTOMER,
            created_at__gte=start,
            created_at__lt=end,
            conversation__escalation_reason__in=["low_confidence", "negative_feedback"],
        )
        .select_related("conversation")
        .order_by("-created_at")
        .values_list("text_redacted", "conversation__language")[:2000]
    )
    topics: dict[str | None, dict] = {}
    for text, language in questions:
        ranked = answer_suggestions(question=text, language=language, limit=1)
        slug = ranked[0].intent_slug if ranked else None
        topic = topics.setdefault(slug, {"intent": slug, "questions": 0, "examples": []})
        topic["questions"] += 1
        if len(topic["examples"]) < 3:
            topic["examples"].append(text)
    return sorted(topics.values(), key=lambda t: t["questions"], reverse=True)[:limit]
