"""The help centre's reads: search, articles, what is asked most, and its analytics."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from bot.chat import answerer_get
from bot.dialog import Band
from bot.models import IntentAnswer, Message
from helpcentre.models import (
    ArticleDailyCount,
    Category,
    ContactFormDailyCount,
    SearchMiss,
)
from helpcentre.text_search import query_words, text_search
from privacy.selectors import learning_excluded_q

SEARCH_RESULTS = 10
# How many answers the classifier contributes to a search (its best ones).
CLASSIFIER_RESULTS = 3
MOST_ASKED_DAYS = 30
MOST_ASKED_CACHE_SECONDS = 300


def article_queryset(*, language: str) -> QuerySet[IntentAnswer]:
    """The articles of a language: answers of active intents, with their help-centre part."""
    return IntentAnswer.objects.filter(language=language, intent__is_active=True).select_related(
        "intent", "help_article", "help_article__category"
    )


def article_get(*, slug: str, language: str) -> IntentAnswer | None:
    return article_queryset(language=language).filter(intent__slug=slug).first()


@dataclass
class SearchResult:
    articles: list[IntentAnswer]
    # Which of them the classifier found (its answer or suggest band), by intent slug.
    classifier_slugs: list[str] = field(default_factory=list)
    # A good hit: the classifier was sure enough, or an article holds every word searched.
    good_hit: bool = False


def help_search(*, query: str, language: str, prefix_last: bool = False) -> SearchResult:
    """The classifier's answers first (answer and suggest bands), then the text search's.

    The classifier finds paraphrases ("parcel not arrived" for "Where is my order?");
    the text search finds words the classifier never saw (a term in an article's body):
    articles holding every word searched, or, when neither found anything, any of them.
    """
    query = query.strip()
    if not query:
        return SearchResult(articles=[])
    answerer = answerer_get()
    slugs: list[str] = []
    top = answerer.answer(query, language)
    if top is not None and top.band in (Band.ANSWER, Band.SUGGEST):
        slugs.append(top.intent_slug)
        for ranked in answerer.ranked(query, language, limit=CLASSIFIER_RESULTS):
            if ranked.intent_slug not in slugs and (
                top.band == Band.SUGGEST or ranked.confidence >= top.confidence / 2
            ):
                slugs.append(ranked.intent_slug)
    words = query_words(query, language)
    hits = text_search(
        words=words, language=language, require_all=True, prefix_last=prefix_last, limit=10
    )
    all_words_found = bool(hits)
    if not hits and not slugs:
        # Nothing holds every word and the classifier found nothing: any word, as a last
        # resort (on a large knowledge base a common word matches thousands; ranked only here).
        hits = text_search(
            words=words, language=language, require_all=False, prefix_last=prefix_last, limit=10
        )
    # One round trip for both kinds of result.
    found = list(
        article_queryset(language=language).filter(
            Q(intent__slug__in=slugs) | Q(pk__in=[hit.answer_id for hit in hits])
        )
    )
    by_slug = {answer.intent.slug: answer for answer in found}
    by_id = {answer.pk: answer for answer in found}
    articles = [by_slug[slug] for slug in slugs if slug in by_slug]
    for hit in hits:
        answer = by_id.get(hit.answer_id)
        if answer is not None and answer not in articles:
            articles.append(answer)
    return SearchResult(
        articles=articles[:SEARCH_RESULTS],
        classifier_slugs=[slug for slug in slugs if slug in by_slug],
        good_hit=bool(slugs) or all_words_found,
    )


def contact_suggestions(*, text: str, language: str, limit: int = 3) -> list[IntentAnswer]:
    """What the contact form shows while the customer types: the classifier's answer and
    suggest bands only (an escalate-band guess would waste the customer's time)."""
    text = text.strip()
    if not text:
        return []
    answerer = answerer_get()
    top = answerer.answer(text, language)
    if top is None or top.band not in (Band.ANSWER, Band.SUGGEST):
        return []
    slugs = [top.intent_slug] + [
        ranked.intent_slug
        for ranked in answerer.ranked(text, language, limit=limit)
        if ranked.intent_slug != top.intent_slug and top.band == Band.SUGGEST
    ]
    answers = {
        a.intent.slug: a for a in article_queryset(language=language).filter(intent__slug__in=slugs)
    }
    return [answers[slug] for slug in slugs[:limit] if slug in answers]


def articles_most_asked(*, language: str, limit: int = 8) -> list[IntentAnswer]:
    """The topics the bot answered most in the last MOST_ASKED_DAYS days (cached a while);
    while there is no such history, the articles found helpful most often."""
    key = f"helpcentre:most-asked:{language}:{limit}"
    slugs = cache.get(key)
    if slugs is None:
        since = timezone.now() - timedelta(days=MOST_ASKED_DAYS)
        slugs = list(
            Message.objects.filter(
                sender=Message.Sender.BOT,
                created_at__gte=since,
                conversation__language=language,
            )
            .exclude(intent_slug="")
            .values("intent_slug")
            .annotate(n=Count("id"))
            .order_by("-n", "intent_slug")
            .values_list("intent_slug", flat=True)[:limit]
        )
        cache.set(key, slugs, MOST_ASKED_CACHE_SECONDS)
    answers = {
        a.intent.slug: a for a in article_queryset(language=language).filter(intent__slug__in=slugs)
    }
    found = [answers[slug] for slug in slugs if slug in answers]
    if len(found) < limit:
        helpful = (
            article_queryset(language=language)
            .exclude(pk__in=[a.pk for a in found])
            .annotate(votes=Sum("help_daily_counts__helpful"))
        )
        found += list(
            helpful.order_by(F("votes").desc(nulls_last=True), "title")[: limit - len(found)]
        )
    return found


def categories_for(*, language: str) -> list[Category]:
    return list(
        Category.objects.filter(language=language).annotate(
            article_count=Count("articles", filter=Q(articles__answer__intent__is_active=True))
        )
    )


def articles_in_category(*, language: str, category: Category | None) -> QuerySet[IntentAnswer]:
    answers = article_queryset(language=language).order_by("title")
    if category is None:
        return answers.filter(Q(help_article__isnull=True) | Q(help_article__category__isnull=True))
    return answers.filter(help_article__category=category)


def _period(since: date, until: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    return start, end


def unanswered_questions(start: datetime, end: datetime, limit: int) -> list[tuple[str, str]]:
    """For bot.hooks: the help centre's questions the bot could not answer, redacted.

    Searches without a good hit, and the texts of contact forms sent although answers
    were suggested (with the chat's rule: none from a person who objected to learning
    or whose consent does not cover bot improvement).
    """
    misses = list(
        SearchMiss.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("-created_at", "-id")
        .values_list("text_redacted", "language")[:limit]
    )
    forms = list(
        Message.objects.filter(
            sender=Message.Sender.CUSTOMER,
            conversation__contact_form__suggestions_shown=True,
            conversation__contact_form__created_at__gte=start,
            conversation__contact_form__created_at__lt=end,
            seq=1,
        )
        .exclude(text_redacted="")
        .exclude(
            learning_excluded_q(subject="conversation__subject", consent="conversation__consent")
        )
        .order_by("-created_at", "-id")
        .values_list("text_redacted", "conversation__language")[:limit]
    )
    return misses + forms


def help_analytics(*, since: date, until: date, limit: int = 10) -> dict:
    """The help centre and the contact form, over a period (`until` inclusive).

    `deflection_rate`: of the forms where answers were suggested, the share that ended
    with "This answered my question" instead of being sent. `top_misses`: the most
    frequent searches without a good hit (redacted). `articles`: per answer, help-centre
    votes and deflections beside the chat's ratings of the same answer.
    Counts only; no personal data.
    """
    start, end = _period(since, until)
    counts = ArticleDailyCount.objects.filter(day__gte=since, day__lte=until)
    totals = counts.aggregate(
        helpful=Sum("helpful"), unhelpful=Sum("unhelpful"), deflections=Sum("deflections")
    )
    forms = ContactFormDailyCount.objects.filter(day__gte=since, day__lte=until).aggregate(
        sent=Sum("sent"), after=Sum("sent_after_suggestions")
    )
    deflections = totals["deflections"] or 0
    sent_after = forms["after"] or 0
    suggested = deflections + sent_after
    per_answer = {
        row["answer"]: row
        for row in counts.values("answer").annotate(
            help_helpful=Sum("helpful"),
            help_unhelpful=Sum("unhelpful"),
            deflected=Sum("deflections"),
        )
    }
    answers = {
        a.pk: a for a in IntentAnswer.objects.filter(pk__in=per_answer).select_related("intent")
    }
    chat = {
        (row["intent_slug"], row["conversation__language"]): row
        for row in Message.objects.filter(
            sender=Message.Sender.BOT,
            created_at__gte=start,
            created_at__lt=end,
            intent_slug__in=[a.intent.slug for a in answers.values()],
        )
        .values("intent_slug", "conversation__language")
        .annotate(
            chat_helpful=Count("id", filter=Q(helpful=True)),
            chat_unhelpful=Count("id", filter=Q(helpful=False)),
        )
    }
    articles = []
    for answer_id, row in per_answer.items():
        answer = answers[answer_id]
        rated = chat.get((answer.intent.slug, answer.language), {})
        votes = row["help_helpful"] + row["help_unhelpful"]
        articles.append(
            {
                "slug": answer.intent.slug,
                "language": answer.language,
                "title": answer.title,
                "helpful": row["help_helpful"],
                "unhelpful": row["help_unhelpful"],
                "helpful_share": round(row["help_helpful"] / votes, 4) if votes else None,
                "deflections": row["deflected"],
                "chat_helpful": rated.get("chat_helpful", 0),
                "chat_unhelpful": rated.get("chat_unhelpful", 0),
            }
        )
    articles.sort(key=lambda a: (-(a["helpful"] + a["unhelpful"] + a["deflections"]), a["slug"]))
    top_misses = list(
        SearchMiss.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("text_redacted", "language")
        .annotate(searches=Count("id"))
        .order_by("-searches", "text_redacted")[:limit]
    )
    return {
        "since": since,
        "until": until,
        "forms_sent": forms["sent"] or 0,
        "forms_sent_after_suggestions": sent_after,
        "deflections": deflections,
        "deflection_rate": round(deflections / suggested, 4) if suggested else None,
        "helpful": totals["helpful"] or 0,
        "unhelpful": totals["unhelpful"] or 0,
        "top_misses": top_misses,
        "articles": articles[:limit],
    }
