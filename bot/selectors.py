import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from bot import hooks
from bot.models import (
    BotModel,
    ChoiceExample,
    Conversation,
    ExampleQuestion,
    IntentAnswer,
    Message,
    SuggestionChoice,
)
from bot.tokens import resume_token_hash
from privacy.crypto import blind_index
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


def choice_example_key(text: str) -> str:
    """What makes two redacted questions the same one: case, spacing and the closing
    punctuation aside."""
    return " ".join(text.casefold().split()).strip(" ?!.,;:")


# A refused question's marker (ChoiceExample.text of a row without a person): a keyed
# digest of its key, never its words.
CHOICE_REFUSAL_PREFIX = "refused:"


def choice_refusal_marker(*, language: str, text: str) -> str:
    """What a supervisor's refusal leaves of a question (bot.services.choice_example_decide):
    enough to recognise it when customers choose it again, nothing to read it from (the
    refusal may be for personal data the gate missed), and no link to anyone."""
    digest = blind_index(f"choice-example:{language}:{choice_example_key(text)}")
    return f"{CHOICE_REFUSAL_PREFIX}{digest}"


def choice_refused(*, intent_id: int, language: str, text: str) -> bool:
    return ChoiceExample.objects.filter(
        intent_id=intent_id,
        language=language,
        decision=ChoiceExample.Decision.REFUSED,
        text=choice_refusal_marker(language=language, text=text),
    ).exists()


def choice_decisions_learnt() -> set[str]:
    """The decisions (ChoiceExample.Decision) under which a chosen question trains the bot:
    approved; where agents' teachings need no supervisor (AGENTS_TEACHING_AUTO_APPROVE),
    neither do these, and only a refusal keeps one out."""
    learnt = {ChoiceExample.Decision.APPROVED.value}
    if getattr(settings, "AGENTS_TEACHING_AUTO_APPROVE", False):
        learnt.add(ChoiceExample.Decision.PENDING.value)
    return learnt


@dataclass(frozen=True)
class ChoiceCandidate:
    """A question customers answered with the same "Did you mean …?" choice, often enough."""

    example_id: int  # one of its rows: the handle for the supervisor's decision
    intent_slug: str
    language: str
    text: str  # redacted; the wording most of them used
    choices: int
    decision: str  # ChoiceExample.Decision


def choice_example_candidates(
    *, language: str | None = None, min_choices: int | None = None
) -> list[ChoiceCandidate]:
    """The questions that may become training examples from customers' choices: only rows
    of people who allow learning (an objection or a withdrawn consent drops theirs at
    once), of active intents; a question counts once at least `min_choices`
    (BOT_CHOICE_EXAMPLE_MIN_CHOICES) of them chose the same intent and none another;
    one the intent already has as an example is left out (no duplicates)."""
    if min_choices is None:
        min_choices = settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES
    rows = ChoiceExample.objects.exclude(
        learning_excluded_q(subject="subject", consent="consent")
    ).filter(intent__is_active=True)
    if language is not None:
        rows = rows.filter(language=language)
    groups: dict[tuple[str, str], list[tuple]] = {}
    for row in rows.order_by("id").values_list(
        "id", "intent_id", "intent__slug", "language", "text", "decision"
    ):
        groups.setdefault((row[3], choice_example_key(row[4])), []).append(row)
    consistent = {
        key: group
        for key, group in groups.items()
        if len(group) >= max(min_choices, 1) and len({row[1] for row in group}) == 1
    }
    known = {
        (intent_id, lang, choice_example_key(text))
        for intent_id, lang, text in ExampleQuestion.objects.filter(
            intent_id__in={group[0][1] for group in consistent.values()}
        ).values_list("intent_id", "language", "text")
    }
    refused = set(
        ChoiceExample.objects.filter(
            decision=ChoiceExample.Decision.REFUSED, text__startswith=CHOICE_REFUSAL_PREFIX
        ).values_list("intent_id", "language", "text")
    )
    candidates = []
    for (lang, key), group in sorted(consistent.items()):
        first = group[0]
        if (first[1], lang, key) in known:
            continue
        decisions = {row[5] for row in group}
        if (first[1], lang, choice_refusal_marker(language=lang, text=key)) in refused:
            decisions.add(ChoiceExample.Decision.REFUSED)
        decision = (
            ChoiceExample.Decision.REFUSED
            if ChoiceExample.Decision.REFUSED in decisions
            else ChoiceExample.Decision.APPROVED
            if ChoiceExample.Decision.APPROVED in decisions
            else ChoiceExample.Decision.PENDING
        )
        wordings: dict[str, int] = {}
        for row in group:
            wordings[row[4]] = wordings.get(row[4], 0) + 1
        candidates.append(
            ChoiceCandidate(
                example_id=first[0],
                intent_slug=first[2],
                language=lang,
                text=max(sorted(wordings), key=wordings.__getitem__),
                choices=len(group),
                decision=decision,
            )
        )
    return candidates


def conversation_agent_names(*, conversation: Conversation, sender_user=None) -> list[str]:
    """The names of the agents who wrote in a conversation (and of `sender_user`, the one
    writing now): the redaction gate hides them in its messages like the customer's own.
    While the bot has the conversation no agent has written: no query then, so the bot's
    chat pays nothing for it."""
    names = []
    if conversation.status != Conversation.Status.BOT and conversation.pk is not None:
        agents = Message.objects.filter(
            conversation_id=conversation.pk,
            sender=Message.Sender.AGENT,
            sender_user__isnull=False,
        ).values_list("sender_user__first_name", "sender_user__last_name")
        names += [f"{first} {last}".strip() for first, last in agents.distinct()]
    if sender_user is not None:
        names.append(f"{sender_user.first_name} {sender_user.last_name}".strip())
    return [name for name in dict.fromkeys(names) if name]


def message_list_since(*, conversation: Conversation, after_seq: int = 0) -> QuerySet[Message]:
    return conversation.messages.filter(seq__gt=after_seq).order_by("seq")


def topics_offer_q() -> Q:
    """Messages that are the bot's topics offer ("I can help with …" and its chips), the
    query form of bot.dialog.reply_is_topics_offer: no answer, so counted neither as a
    bot answer nor as automation."""
    return Q(sender=Message.Sender.BOT, intent_slug="", confidence__isnull=False)


def analytics_daily(*, since: date, until: date) -> list[dict]:
    """Per day: automation rate, escalation reasons, answer feedback and satisfaction, and
    what worked out the bot's replies: the trained model or the keyword matcher
    (`fallback_answers`, `fallback_share`), and of those how many were given while the
    active model could not be used (`degraded_answers`).

    Computed from conversation metadata and the redacted copies only; no personal data.
    A day is a calendar day in TIME_ZONE; `until` is inclusive. The bot's topics offer
    is no answer: a conversation counts as automated only if it was never escalated and
    the bot replied with more than that offer, and the offer is no bot answer.
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
        .annotate(
            total=Count("id"),
            automated=Count(
                "id",
                filter=Q(escalated_at__isnull=True)
                & Q(
                    Exists(
                        Message.objects.filter(
                            conversation=OuterRef("pk"), sender=Message.Sender.BOT
                        ).exclude(topics_offer_q())
                    )
                ),
            ),
        )
    )
    for row in started:
        entry = days[row["day"]]
        entry["conversations"] = row["total"]
        entry["automated"] = row["automated"]
        entry["automation_rate"] = round(entry["automated"] / row["total"], 4)
    messages = (
        Message.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(topics_offer_q())
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


def _answer_thresholds() -> dict[str, float]:
    """Per language, the confidence from which the active model answers (a model that
    never answers: above any confidence)."""
    thresholds = {}
    for language, values in BotModel.objects.filter(status=BotModel.Status.ACTIVE).values_list(
        "language", "thresholds"
    ):
        answer = (values or {}).get("answer")
        thresholds[language] = float(answer) if answer is not None else 2.0
    return thresholds


def analytics_suggestion_choices(*, since: date, until: date) -> dict:
    """How often customers picked a "Did you mean …?" choice in the period (`chosen`),
    and how often it was the intent the bot ranked first (`first_chosen`)."""
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    return SuggestionChoice.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        chosen=Count("id"),
        first_chosen=Count("id", filter=Q(intent_chosen=F("intent_offered_first"))),
    )


def unanswered_topics(
    *, since: date, until: date, limit: int = 10, questions_max: int = 1000
) -> list[dict]:
    """What the bot could not answer: escalated questions clustered into topics.

    The questions are the redacted copies of what customers asked up to the
    escalation, in conversations the bot escalated (unsure, or an answer rated
    unhelpful), less those it answered: a question whose reply is a bot answer
    at the answer threshold (the language's active model's, else the keyword
    matcher's) that nobody rated unhelpful was answered, whatever came later; plus those
    the registered sources add (`hooks.unanswered_sources`: the help centre's searches
    without a good hit, contact forms sent after suggestions). The most recent
    `questions_max` of the period from each, so a page view costs bounded work.
    They are clustered per language by their words (`bot.nlu.clustering`, spaCy-based,
    so imported on first use). Each topic:
    `language`, its characteristic `terms`, how many `questions`, up to three of them
    as `examples`, and the nearest `intent` only when the topic is close to that
    intent's example questions (else None, with `intent_similarity`).
    """
    # spaCy and scikit-learn take seconds to import: only this report pays for them.
    from bot.nlu.clustering import questions_cluster

    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    # The bot's reply to a question: the next message that is either the customer's
    # next one (no reply) or carries an intent; notices in between (the AI disclosure,
    # a hand-over text) are skipped.
    next_message = (
        Message.objects.filter(conversation=OuterRef("conversation"), seq__gt=OuterRef("seq"))
        .filter(Q(sender=Message.Sender.CUSTOMER) | ~Q(intent_slug=""))
        .order_by("seq")
    )
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
        .annotate(
            reply_sender=Subquery(next_message.values("sender")[:1]),
            reply_confidence=Subquery(next_message.values("confidence")[:1]),
            reply_helpful=Subquery(next_message.values("helpful")[:1]),
        )
        .order_by("-created_at", "-id")
        .values_list(
            "text_redacted",
            "conversation__language",
            "reply_sender",
            "reply_confidence",
            "reply_helpful",
        )[:questions_max]
    )
    thresholds = _answer_thresholds()
    by_language: dict[str, list[str]] = {}
    for text, language, sender, confidence, helpful in questions:
        answered = (
            sender == Message.Sender.BOT
            and confidence is not None
            and confidence >= thresholds.get(language, settings.BOT_FALLBACK_ANSWER_THRESHOLD)
            and helpful is not False
        )
        if not answered:
            by_language.setdefault(language, []).append(text)
    # Asked elsewhere (help-centre searches without a good hit), already redacted.
    for source in hooks.unanswered_sources():
        for text, language in source(start, end, questions_max):
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


def intent_titles(*, language: str, slugs: Iterable[str] | None = None) -> dict[str, str]:
    """The intents' titles by slug (all intents, or these): in `language` where the
    knowledge base has one, else in another language. One query."""
    answers = IntentAnswer.objects.all()
    if slugs is not None:
        answers = answers.filter(intent__slug__in=list(slugs))
    titles: dict[str, str] = {}
    for slug, answer_language, title in answers.values_list("intent__slug", "language", "title"):
        if answer_language == language or slug not in titles:
            titles[slug] = title
    return titles


def knowledge_base_texts() -> Iterator[str]:
    """The operator's own texts of the knowledge base: the titles and answers of the
    active intents and the example questions written for them (not those taught from
    customers' questions). Their words are the shop's words to redaction
    (privacy.redaction.allow_list.shop_words): its product and brand names stay in the
    bot's training text."""
    active = IntentAnswer.objects.filter(intent__is_active=True)
    for title, text in active.values_list("title", "text").iterator():
        yield title
        yield text
    yield from (
        ExampleQuestion.objects.filter(
            intent__is_active=True, source=ExampleQuestion.Source.KNOWLEDGE_BASE
        )
        .values_list("text", flat=True)
        .iterator()
    )


# Why the bot answered (the agents' transcript) --------------------------------------------

_WORDS = re.compile(r"\w+", re.UNICODE)
# How many of an intent's example questions are shown beside a bot message.
EXPLANATION_EXAMPLES = 3


@dataclass(frozen=True)
class BotAnswerExplanation:
    """What made the bot say a message: from stored fields only, nothing unredacted."""

    intent_slug: str
    intent_title: str
    confidence: float | None
    # "high": at or above the answer threshold; "medium": choices offered; "low": below.
    band: str
    answer_threshold: float | None
    suggest_threshold: float | None
    # The intent's example questions (operator-written or redacted), closest first.
    closest_examples: list[str]


def _words(text: str) -> set[str]:
    return {word.casefold() for word in _WORDS.findall(text)}


def _closeness(question: set[str], example: str) -> float:
    words = _words(example)
    union = question | words
    return len(question & words) / len(union) if union else 0.0


def _band(confidence: float | None, answer: float | None, suggest: float | None) -> str:
    if confidence is None:
        return ""
    if answer is not None and confidence >= answer:
        return "high"
    if suggest is not None and confidence >= suggest:
        return "medium"
    return "low"


def bot_answer_explanations(
    *, messages: Sequence[Message], language: str
) -> dict[int, BotAnswerExplanation]:
    """For each bot message with an intent: the intent's title, the confidence band, and
    the intent's example questions closest to the customer's question before it.

    The question is compared in its redacted form (`text_redacted`), so nothing
    unredacted is read or shown; the band is measured against the thresholds of the
    language's active model (the keyword matcher's settings where none is active).
    Three queries, whatever the number of messages.
    """
    bot_messages = [m for m in messages if m.sender == Message.Sender.BOT and m.intent_slug]
    if not bot_messages:
        return {}
    slugs = {m.intent_slug for m in bot_messages}
    titles = intent_titles(language=language, slugs=slugs)
    examples: dict[str, list[str]] = {}
    for slug, text in ExampleQuestion.objects.filter(
        intent__slug__in=slugs, language=language
    ).values_list("intent__slug", "text"):
        examples.setdefault(slug, []).append(text)
    active = (
        BotModel.objects.filter(language=language, status=BotModel.Status.ACTIVE)
        .values_list("thresholds", flat=True)
        .first()
    )
    question_before: dict[int, set[str]] = {}
    last_question: set[str] = set()
    for message in messages:
        if message.sender == Message.Sender.CUSTOMER:
            last_question = _words(message.text_redacted)
        elif message.sender == Message.Sender.BOT:
            question_before[message.pk] = last_question
    explanations = {}
    for message in bot_messages:
        if message.answer_source == Message.AnswerSource.MODEL and active:
            answer, suggest = active.get("answer"), active.get("suggest")
        else:
            answer = settings.BOT_FALLBACK_ANSWER_THRESHOLD
            suggest = settings.BOT_FALLBACK_SUGGEST_THRESHOLD
        question = question_before.get(message.pk, set())
        closest = sorted(
            examples.get(message.intent_slug, []),
            key=lambda text, question=question: (-_closeness(question, text), len(text)),
        )
        explanations[message.pk] = BotAnswerExplanation(
            intent_slug=message.intent_slug,
            intent_title=titles.get(message.intent_slug, message.intent_slug),
            confidence=message.confidence,
            band=_band(message.confidence, answer, suggest),
            answer_threshold=answer,
            suggest_threshold=suggest,
            closest_examples=closest[:EXPLANATION_EXAMPLES],
        )
    return explanations


# The model card (admin and supervisor analytics) -------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 480, 160, 24
# The held-back figures the quality gate compares, in the order the card shows them.
CARD_FIGURES = ("answer_precision", "automation_rate", "out_of_scope_recall", "in_scope_accuracy")


@dataclass(frozen=True)
class ChartSeries:
    key: str
    # SVG polyline points ("x,y x,y") and the dots with their figure, for the tooltip.
    points: str
    dots: list[tuple[float, float, int, float]]


def _history_chart(models: list[BotModel]) -> dict:
    """Answer precision and automation per version as an inline SVG line chart: the
    coordinates are computed here, the template only draws them (no JavaScript)."""
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / (len(models) - 1) if len(models) > 1 else 0
    series = []
    for key in ("answer_precision", "automation_rate"):
        dots = []
        for position, model in enumerate(models):
            value = model.metrics.get(key)
            if value is None:
                continue
            x = CHART_PAD + (position * step if len(models) > 1 else inner_w / 2)
            y = CHART_PAD + (1 - float(value)) * inner_h
            dots.append((round(x, 1), round(y, 1), model.version, float(value)))
        series.append(
            ChartSeries(key=key, points=" ".join(f"{x},{y}" for x, y, *_rest in dots), dots=dots)
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "series": series,
        "top": CHART_PAD,
        "bottom": CHART_HEIGHT - CHART_PAD,
        "middle": CHART_PAD + inner_h / 2,
        "left": CHART_PAD,
        "right": CHART_WIDTH - CHART_PAD,
        "labels": [
            (round(CHART_PAD + (i * step if len(models) > 1 else inner_w / 2), 1), m.version)
            for i, m in enumerate(models)
        ],
    }


def bot_model_card(*, record: BotModel) -> dict:
    """Everything the model card shows for one trained model, from its stored record:
    the held-back figures with the keyword and tf-idf baselines beside them, the thresholds, the
    training examples per intent, the confusion hot spots and the language's history."""
    metrics = record.metrics or {}
    baseline = metrics.get("keyword_baseline") or {}
    # Stored with models trained since the tf-idf baseline was added (issue 16); older: None.
    tfidf = metrics.get("tfidf_baseline") or {}
    card = metrics.get("card") or {}
    history = list(
        BotModel.objects.filter(language=record.language)
        .exclude(status__in=[BotModel.Status.TRAINING, BotModel.Status.FAILED])
        .order_by("version")
        .only("version", "status", "metrics", "created_at")
    )
    return {
        "model": record,
        "figures": [
            {
                "key": key,
                "value": metrics.get(key),
                "baseline": baseline.get(key),
                "tfidf": tfidf.get(key),
            }
            for key in CARD_FIGURES
        ],
        "has_tfidf_baseline": bool(tfidf),
        "test_examples": metrics.get("test_examples"),
        "calibration": metrics.get("calibration", ""),
        "thresholds": record.thresholds or {},
        "training_per_intent": sorted(
            (card.get("training_per_intent") or {}).items(), key=lambda item: (-item[1], item[0])
        ),
        "confusions": card.get("confusions") or [],
        "history": history,
        "chart": _history_chart(history) if history else None,
        "redaction": _redaction_misses(language=record.language),
    }


def _redaction_misses(*, language: str) -> dict:
    """Of the customers' redacted texts in this language, how many agents reported as
    still holding personal data (the redaction measured on the operator's own data)."""
    texts = Message.objects.filter(
        sender=Message.Sender.CUSTOMER, conversation__language=language
    ).aggregate(
        texts=Count("id"), flagged=Count("id", filter=Q(redaction_flagged_at__isnull=False))
    )
    share = texts["flagged"] / texts["texts"] if texts["texts"] else None
    return {**texts, "share": share}
