from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from bot.models import Conversation, ExampleQuestion, Message
from bot.tokens import resume_token_hash
from privacy.selectors import learning_excluded_q


def conversation_get_by_resume_token(*, token: str) -> Conversation | None:
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    return (
        Conversation.objects.select_related("consent", "subject")
        .filter(resume_token_hash=resume_token_hash(token))
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def example_questions_learnable() -> QuerySet[ExampleQuestion]:
    """Example questions the bot may learn from: all but those taught from a person who
    objected to learning or whose consent does not (or no longer) cover bot improvement.

    Operator-written examples have no person; they always count.
    """
    return ExampleQuestion.objects.exclude(
        learning_excluded_q(subject="subject", consent="consent", consent_required=False)
    )


def message_list_since(*, conversation: Conversation, after_seq: int = 0) -> QuerySet[Message]:
    return conversation.messages.filter(seq__gt=after_seq).order_by("seq")


def analytics_daily(*, since: date, until: date) -> list[dict]:
    """Per day: automation rate, escalation reasons, answer feedback and satisfaction, and
    what worked out the bot's replies: the trained model or the keyword matcher
    (`fallback_answers`, `fallback_share`), and of those how many were given while the
    active model could not be used (`degraded_answers`).

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
            "model_answers": 0,
            "fallback_answers": 0,
            "degraded_answers": 0,
            "fallback_share": None,
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
            by_model=Count("id", filter=Q(answer_source=Message.AnswerSource.MODEL)),
            by_keyword=Count(
                "id",
                filter=Q(
                    answer_source__in=[
                        Message.AnswerSource.KEYWORD,
                        Message.AnswerSource.FALLBACK,
                    ]
                ),
            ),
            degraded=Count("id", filter=Q(answer_source=Message.AnswerSource.FALLBACK)),
        )
    )
    for row in messages:
        entry = days[row["day"]]
        entry["questions"], entry["bot_answers"] = row["questions"], row["bot_answers"]
        entry["feedback_helpful"] = row["rated_helpful"]
        entry["feedback_unhelpful"] = row["rated_unhelpful"]
        rated = row["rated_helpful"] + row["rated_unhelpful"]
        entry["answer_precision"] = round(row["rated_helpful"] / rated, 4) if rated else None
        entry["model_answers"], entry["fallback_answers"] = row["by_model"], row["by_keyword"]
        entry["degraded_answers"] = row["degraded"]
        sourced = row["by_model"] + row["by_keyword"]
        entry["fallback_share"] = round(row["by_keyword"] / sourced, 4) if sourced else None
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


def unanswered_topics(
    *, since: date, until: date, limit: int = 10, questions_max: int = 1000
) -> list[dict]:
    """What the bot could not answer: escalated questions clustered into topics.

    The questions are the redacted copies of what customers asked up to the
    escalation, in conversations the bot escalated (unsure, or an answer rated
    unhelpful); the most recent `questions_max` of the period, so a page view costs
    bounded work. They are clustered per language by their words
    (`bot.nlu.clustering`, spaCy-based, so imported on first use). Each topic:
    `language`, its characteristic `terms`, how many `questions`, up to three of them
    as `examples`, and the nearest `intent` only when the topic is close to that
    intent's example questions (else None, with `intent_similarity`).
    """
    from bot.nlu.clustering import questions_cluster

    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    questions = (
        Message.objects.filter(
            sender=Message.Sender.CUSTOMER,
            created_at__gte=start,
            created_at__lt=end,
            created_at__lte=F("conversation__escalated_at"),
            conversation__escalation_reason__in=["low_confidence", "negative_feedback"],
        )
        .exclude(text_redacted="")
        # Objection (Art. 21) and the bot_improvement purpose hold for analytics too.
        .exclude(
            learning_excluded_q(subject="conversation__subject", consent="conversation__consent")
        )
        .order_by("-created_at", "-id")
        .values_list("text_redacted", "conversation__language")[:questions_max]
    )
    by_language: dict[str, list[str]] = {}
    for text, language in questions:
        by_language.setdefault(language, []).append(text)
    topics = []
    for language, texts in sorted(by_language.items()):
        intent_examples = list(
            example_questions_learnable()
            .filter(language=language, intent__is_active=True)
            .order_by("intent__slug", "id")
            .values_list("text", "intent__slug")
        )
        topics += [
            {
                "language": language,
                "terms": list(topic.terms),
                "questions": topic.questions,
                "examples": list(topic.examples),
                "intent": topic.intent,
                "intent_similarity": topic.intent_similarity,
            }
            for topic in questions_cluster(
                texts, language=language, intent_examples=intent_examples
            )
        ]
    topics.sort(key=lambda topic: (-topic["questions"], topic["language"], topic["terms"]))
    return topics[:limit]
