"""The help centre's writes: its search index, votes, deflections, and the contact form."""

import hashlib
import re
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Model
from django.utils import timezone

from bot.chat import chat_consent_give, chat_identify, conversation_escalate
from bot.dialog import Escalation
from bot.models import Conversation, Intent, IntentAnswer
from bot.selectors import example_questions_learnable
from bot.services import conversation_start, message_append
from helpcentre.models import (
    Article,
    ArticleDailyCount,
    ContactFormDailyCount,
    ContactFormSubmission,
    SearchDocument,
    SearchMiss,
)
from privacy.redaction import text_redact

# Seconds between checks whether the knowledge base changed (as bot.chat's answerer).
INDEX_RECHECK_SECONDS = 2.0
_index_checked: dict[str, object] = {"at": float("-inf"), "version": None}
SEARCH_MISS_MAX_LENGTH = 200
_SPACES = re.compile(r"\s+")


def _knowledge_base_version() -> tuple:
    """Cheap aggregates that change whenever an article's searchable text can have."""
    return (
        Intent.objects.aggregate(n=Count("id"), changed=Max("updated_at")),
        IntentAnswer.objects.aggregate(n=Count("id"), last=Max("id")),
        Article.objects.aggregate(n=Count("id"), changed=Max("updated_at")),
        example_questions_learnable().aggregate(n=Count("id"), last=Max("id")),
    )


def _documents_wanted() -> dict[int, SearchDocument]:
    """Per answer id of an active intent: its search document as it should be now."""
    examples: dict[tuple[int, str], list[str]] = {}
    for intent_id, language, text in (
        example_questions_learnable()
        .filter(intent__is_active=True)
        .order_by("id")
        .values_list("intent_id", "language", "text")
    ):
        examples.setdefault((intent_id, language), []).append(text)
    wanted = {}
    answers = IntentAnswer.objects.filter(intent__is_active=True).values_list(
        "id", "intent_id", "language", "title", "text", "help_article__body"
    )
    for answer_id, intent_id, language, title, text, body in answers:
        content = "\n".join([text, body or "", *examples.get((intent_id, language), [])])
        digest = hashlib.sha256(f"{language}\0{title}\0{content}".encode()).hexdigest()
        wanted[answer_id] = SearchDocument(
            answer_id=answer_id, language=language, title=title, content=content, digest=digest
        )
    return wanted


@transaction.atomic
def search_index_refresh() -> dict[str, int]:
    """Bring the search documents in step with the knowledge base; only changes are written
    (the full-text index follows them: triggers on SQLite, an expression index on PostgreSQL).
    """
    wanted = _documents_wanted()
    stored = dict(SearchDocument.objects.values_list("answer_id", "digest"))
    removed = [answer_id for answer_id in stored if answer_id not in wanted]
    changed = [
        document
        for answer_id, document in wanted.items()
        if answer_id in stored and stored[answer_id] != document.digest
    ]
    added = [document for answer_id, document in wanted.items() if answer_id not in stored]
    SearchDocument.objects.filter(answer_id__in=removed).delete()
    for document in changed:
        SearchDocument.objects.filter(answer_id=document.answer_id).update(
            language=document.language,
            title=document.title,
            content=document.content,
            digest=document.digest,
        )
    SearchDocument.objects.bulk_create(added, batch_size=500)
    if connection.vendor == "postgresql" and len(added) + len(changed) + len(removed) > 1000:
        # A large import: fresh statistics now, or the planner keeps scanning by language
        # instead of the full-text index until autovacuum analyses the table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE helpcentre_searchdocument")
    return {"added": len(added), "changed": len(changed), "removed": len(removed)}


def search_index_ensure_current() -> None:
    """Refresh the index if the knowledge base changed; checked at most every
    INDEX_RECHECK_SECONDS per process, so an admin's edit is searchable within that."""
    now = time.monotonic()
    if now - _index_checked["at"] < INDEX_RECHECK_SECONDS:
        return
    version = _knowledge_base_version()
    if version != _index_checked["version"]:
        try:
            search_index_refresh()
        except IntegrityError:
            # Another process refreshed the same documents at the same moment (PostgreSQL
            # lets both start): its refresh stands; this one looks again next time.
            return
        _index_checked["version"] = version
    _index_checked["at"] = now


def _count_add(model: type[Model], *, keys: dict, **increments: int) -> None:
    """Add to a day's counter row, creating it on first use (two writers may race to it)."""
    updates = {name: F(name) + value for name, value in increments.items()}
    if model.objects.filter(**keys).update(**updates):
        return
    try:
        with transaction.atomic():
            model.objects.create(**keys, **increments)
    except IntegrityError:  # created by another request meanwhile
        model.objects.filter(**keys).update(**updates)


@transaction.atomic
def article_vote(*, answer: IntentAnswer, helpful: bool) -> None:
    """ "Was this helpful?" on an article: a count per day, nothing about who voted."""
    field = "helpful" if helpful else "unhelpful"
    _count_add(
        ArticleDailyCount, keys={"answer": answer, "day": timezone.localdate()}, **{field: 1}
    )


@transaction.atomic
def contact_deflection_record(*, answer: IntentAnswer) -> None:
    """ "This answered my question" under the contact form: the form was not needed."""
    _count_add(
        ArticleDailyCount, keys={"answer": answer, "day": timezone.localdate()}, deflections=1
    )


def search_text_normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


@transaction.atomic
def search_miss_record(*, text: str, language: str) -> SearchMiss | None:
    """Keep a search without a good hit, redacted, for the knowledge base's gaps."""
    redacted = search_text_normalise(text_redact(text, language=language))
    if not redacted:
        return None
    return SearchMiss.objects.create(
        language=language, text_redacted=redacted[:SEARCH_MISS_MAX_LENGTH]
    )


def search_misses_purge(*, older_than_days: int, batch_size: int = 1000) -> int:
    """Delete searches without a good hit older than the given days, in batches."""
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    deleted = 0
    while True:
        ids = list(
            SearchMiss.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[
                :batch_size
            ]
        )
        if not ids:
            return deleted
        deleted += SearchMiss.objects.filter(id__in=ids).delete()[0]


@dataclass(frozen=True)
class ContactRequest:
    language: str
    subject: str
    message: str
    # Only the identity fields the chat asks for (CHAT_IDENTITY_FIELDS), as in chat.
    identity: dict[str, str]
    policy_version: str
    # The optional consent purposes ticked (bot.chat.CONSENT_PURPOSES_OPTIONAL).
    purposes: tuple[str, ...] = ()
    # Whether answers were shown while the customer typed (the form's script says so).
    suggestions_shown: bool = False
    ip_address: str | None = None


@transaction.atomic
def contact_form_submit(request: ContactRequest) -> Conversation:
    """A contact form becomes a conversation in the agents' inbox (channel "form").

    The chat's own verbs, in the chat's order: consent to the active policy version,
    the configured identity fields, the customer's text (stored encrypted beside its
    redacted copy), and the hand-over to the team, which routes and announces it live.
    A refused step (an outdated policy, a missing field) undoes everything.
    """
    conversation, _token = conversation_start(
        channel=Conversation.Channel.FORM, language=request.language
    )
    chat_consent_give(
        conversation=conversation,
        policy_version=request.policy_version,
        purposes=request.purposes,
        ip_address=request.ip_address,
    )
    if request.identity:
        chat_identify(conversation=conversation, identity=dict(request.identity))
    text = f"{request.subject.strip()}\n\n{request.message.strip()}".strip()
    if not text:
        raise ValidationError("empty request", code="empty")
    message_append(conversation=conversation, sender="customer", text=text)
    ContactFormSubmission.objects.create(
        conversation=conversation, suggestions_shown=request.suggestions_shown
    )
    _count_add(
        ContactFormDailyCount,
        keys={"day": timezone.localdate(), "language": request.language},
        sent=1,
        sent_after_suggestions=int(request.suggestions_shown),
    )
    return conversation_escalate(conversation=conversation, reason=Escalation.CUSTOMER_REQUEST)
