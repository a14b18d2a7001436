"""State changes of conversations and messages."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bot import hooks
from bot.channels.delivery import message_delivery_enqueue
from bot.conversation_status import (
    ConversationStatusError,
    conversation_status_move,
    conversations_status_move,
)
from bot.dialog import Reply, SuggestionPick
from bot.models import (
    ChoiceExample,
    Conversation,
    ExampleQuestion,
    FollowUp,
    Intent,
    Message,
    SuggestionChoice,
)
from bot.selectors import (
    CHOICE_REFUSAL_PREFIX,
    choice_decisions_learnt,
    choice_example_candidates,
    choice_example_key,
    choice_refusal_marker,
    choice_refused,
    conversation_agent_names,
)
from bot.tokens import resume_token_hash, resume_token_new
from event_pipeline.outbox import outbox_events_forget
from event_pipeline.webhooks import webhook_event_emit
from platform_core.rows import rows_insert
from privacy.models import DataSubject
from privacy.redaction import text_redact, texts_redact
from privacy.selectors import learning_refusal, legal_hold_references, legal_hold_subject_ids
from privacy.services import audit_record, queryset_purge

CLIENT_MESSAGE_ID_MAX_LENGTH = 64
MESSAGE_TEXT_MAX_LENGTH = 4000


def conversation_start(
    *, channel: str = Conversation.Channel.WEB, language: str = "de"
) -> tuple[Conversation, str]:
    """A new conversation and its resume token (returned once, stored only hashed)."""
    token = resume_token_new()
    conversation = Conversation(
        channel=channel, language=language, resume_token_hash=resume_token_hash(token)
    )
    rows_insert([conversation])  # the chat's hello: without the query compiler
    webhook_event_emit(
        event="conversation.created",
        payload={
            "conversation": str(conversation.public_id),
            "channel": channel,
            "language": language,
        },
    )
    return conversation, token


def _conversation_seqs_take(
    conversation_id: int,
    *,
    count: int,
    count_with_bot: int | None = None,
    bot_status: str = Conversation.Status.BOT,
) -> tuple[int, str]:
    """Take the conversation's next seqs; returns the last one taken and the status.

    `count_with_bot` seqs are taken instead while the conversation is in `bot_status`
    (the question and the bot's replies), read in the same statement as the status.
    The UPDATE holds the row lock until commit, so concurrent messages of one
    conversation get consecutive seqs without a separate SELECT ... FOR UPDATE.
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + "  # noqa: S608
            "CASE WHEN status = %s THEN %s ELSE %s END, updated_at = %s "
            "WHERE id = %s RETURNING last_seq, status",
            [
                bot_status,
                count if count_with_bot is None else count_with_bot,
                count,
                now,
                conversation_id,
            ],
        )
        last_seq, status = cursor.fetchone()
    return last_seq, status


def _conversations_seqs_take(takes: Sequence[tuple[int, int, str]]) -> dict[int, tuple[int, str]]:
    """_conversation_seqs_take for several conversations in one statement (PostgreSQL):
    per (conversation id, seqs while in `bot_status`, that status), one seq otherwise;
    returns conversation id: (last seq taken, status). Each id at most once.

    One round trip for a group commit's questions instead of one each. The rows are
    locked in id order first (FOR UPDATE under ORDER BY locks in that order), as the
    one-by-one loop does, so two processes never wait on each other's rows crosswise.
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH locked AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608
            "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE) "
            f"UPDATE {table} AS c SET last_seq = c.last_seq + "
            "CASE WHEN c.status = t.bot_status THEN t.with_bot ELSE 1 END, updated_at = %s "
            "FROM locked, unnest(%s::bigint[], %s::integer[], %s::text[]) "
            "AS t(id, with_bot, bot_status) "
            "WHERE c.id = locked.id AND c.id = t.id RETURNING c.id, c.last_seq, c.status",
            [
                [conversation_id for conversation_id, _with_bot, _status in takes],
                now,
                [conversation_id for conversation_id, _with_bot, _status in takes],
                [with_bot for _id, with_bot, _status in takes],
                [str(status) for _id, _with_bot, status in takes],
            ],
        )
        return {conversation_id: (last_seq, status) for conversation_id, last_seq, status in cursor}


def _known_names(conversation: Conversation, sender_user=None) -> list[str]:
    """The names the redaction gate hides in a person's message: the subject's, as loaded
    with the conversation, and its agents'."""
    return ([conversation.subject.name] if conversation.subject_id else []) + (
        conversation_agent_names(conversation=conversation, sender_user=sender_user)
    )


def _message_row(
    conversation: Conversation,
    *,
    seq: int,
    sender: str,
    text: str,
    redacted: str | None = None,
    **fields,
):
    """An unsaved Message; a person's text is redacted here unless `redacted` is given."""
    if redacted is None:
        # Bot and system texts come from the knowledge base and templates: nothing to redact.
        redacted = (
            text
            if sender in (Message.Sender.BOT, Message.Sender.SYSTEM)
            else text_redact(
                text, known_names=_known_names(conversation, fields.get("sender_user"))
            )
        )
    return Message(
        conversation_id=conversation.pk,
        seq=seq,
        sender=sender,
        text=text,
        text_redacted=redacted,
        **fields,
    )


def _messages_stored(conversation: Conversation, messages: list[Message]) -> None:
    """What follows every stored message, in the storing transaction."""
    for message in messages:
        webhook_event_emit(
            event="message.created",
            payload={
                "conversation": str(conversation.public_id),
                "seq": message.seq,
                "from": message.sender,
            },
            personal={"text": message.text},
        )
        # Messenger channels: what the bot, an agent or the system writes in a Telegram,
        # WhatsApp or Messenger conversation is queued for the platform here, in this
        # transaction, and sent by Celery after commit (bot/channels/delivery.py).
        # E-mail (email_channel) queues an agent's reply as a mail in this transaction.
        for listener in hooks.message_stored_listeners(conversation.channel):
            listener(conversation, message)
        if (
            conversation.channel not in (Conversation.Channel.WEB, Conversation.Channel.EMAIL)
            and message.sender != Message.Sender.CUSTOMER
        ):
            message_delivery_enqueue(message=message)


@transaction.atomic(savepoint=False)
def message_append(
    *,
    conversation: Conversation,
    sender: str,
    text: str,
    sender_user: AbstractBaseUser | None = None,
    client_message_id: str | None = None,
    intent_slug: str = "",
    confidence: float | None = None,
    answer_source: str = "",
) -> tuple[Message, bool]:
    """Store a message with the conversation's next seq; returns (message, created).

    A customer message resent with the same client id returns the stored one
    (created=False), so the client can be acknowledged again without a duplicate.
    Updates `conversation.last_seq` and `conversation.status` from the database.
    """

    def insert() -> Message:
        seq, conversation.status = _conversation_seqs_take(conversation.pk, count=1)
        conversation.last_seq = seq
        message = _message_row(
            conversation,
            seq=seq,
            sender=sender,
            text=text,
            sender_user=sender_user,
            client_message_id=client_message_id,
            intent_slug=intent_slug,
            confidence=confidence,
            answer_source=answer_source,
        )
        message.save(force_insert=True)
        _messages_stored(conversation, [message])
        return message

    if client_message_id is None:
        return insert(), True
    message, stored_before = _insert_once(conversation, client_message_id, insert)
    return (message, True) if stored_before is None else (stored_before, False)


def suggestion_choice_record(*, conversation: Conversation, pick: SuggestionPick) -> None:
    """Record a "Did you mean …?" choice: intent slugs, language and channel, nothing of
    the conversation or its person (bot.models.SuggestionChoice)."""
    SuggestionChoice.objects.create(
        language=conversation.language,
        channel=conversation.channel,
        intent_offered_first=pick.offered_first,
        intent_chosen=pick.chosen,
    )
    _choice_example_record(conversation=conversation, pick=pick)


def _choice_example_record(*, conversation: Conversation, pick: SuggestionPick) -> None:
    """The question the choice answered, redacted, as a candidate training example; only
    while the person allows learning (read afresh: an objection a moment ago counts)."""
    if learning_refusal(subject_id=conversation.subject_id, consent_id=conversation.consent_id):
        return
    intent = Intent.objects.filter(slug=pick.chosen).first()
    # The newest customer message is the pick; the one before it, the question it answered.
    asked = list(
        Message.objects.filter(conversation=conversation, sender=Message.Sender.CUSTOMER)
        .order_by("-seq")
        .values_list("text_redacted", flat=True)[:2]
    )
    if intent is None or len(asked) < 2 or not asked[1].strip():
        return
    # The stored copy was redacted on arrival; the gate runs again with the customer's own
    # name, as for what agents teach.
    subject = (
        DataSubject.objects.filter(pk=conversation.subject_id).first()
        if conversation.subject_id
        else None
    )
    known_names = [subject.name] if subject is not None and subject.name else []
    text = text_redact(asked[1].strip(), known_names=known_names)
    text = text[: ChoiceExample._meta.get_field("text").max_length].strip()
    # A question a supervisor refused is never learnt: nothing of it is kept again.
    if text and not choice_refused(intent_id=intent.pk, language=conversation.language, text=text):
        ChoiceExample.objects.create(
            intent=intent,
            language=conversation.language,
            text=text,
            subject_id=conversation.subject_id,
            consent_id=conversation.consent_id,
        )


@transaction.atomic
def choice_example_decide(
    *, example: ChoiceExample, approve: bool, acting_user: AbstractBaseUser
) -> int:
    """A supervisor's decision on a question learnt from customers' choices: approved, it
    trains the next model (through the quality gate); refused, never. Applies to every
    row of the same question and intent (later ones count as decided). Audited, without
    the text. Returns the rows decided.

    A refusal keeps nothing of the question or its people: their rows are replaced by one
    marker (bot.selectors.choice_refusal_marker) that recognises the question when it is
    chosen again, so the refusal holds without keeping the words (perhaps refused for what
    the gate missed) or whose they were."""
    decision = ChoiceExample.Decision.APPROVED if approve else ChoiceExample.Decision.REFUSED
    key = choice_example_key(example.text)
    same = [
        pk
        for pk, text in ChoiceExample.objects.select_for_update()
        .filter(intent_id=example.intent_id, language=example.language)
        .exclude(text__startswith=CHOICE_REFUSAL_PREFIX)
        .values_list("pk", "text")
        if choice_example_key(text) == key
    ]
    if approve:
        ChoiceExample.objects.filter(pk__in=same).update(decision=decision)
    else:
        ChoiceExample.objects.filter(pk__in=same).delete()
        ChoiceExample.objects.get_or_create(
            intent_id=example.intent_id,
            language=example.language,
            decision=decision,
            text=choice_refusal_marker(language=example.language, text=example.text),
        )
    # Rows chosen later for the same question take the decision too (bot.selectors).
    audit_record(
        action=f"bot.choice_example.{decision}",
        acting_user=acting_user,
        details={
            "intent": example.intent.slug,
            "language": example.language,
            "rows": len(same),
        },
    )
    return len(same)


def choice_examples_purge(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Retention ("choice_examples"): questions chosen before the cutoff that nobody
    decided on, so a question that never reaches the threshold is not kept for ever.

    Approved rows stay, as taught examples (ExampleQuestion) do: they train the bot; so do
    refusal markers, which hold neither words nor a person. So do undecided rows of a question
    that trains the bot now (approved on another row, or AGENTS_TEACHING_AUTO_APPROVE), and
    those of a person under a legal hold. Erasure deletes a person's rows at any time."""
    learnt = choice_decisions_learnt()
    training = {
        (candidate.language, choice_example_key(candidate.text))
        for candidate in choice_example_candidates()
        if candidate.decision in learnt
    }
    expired = [
        pk
        for pk, language, text in ChoiceExample.objects.filter(
            decision=ChoiceExample.Decision.PENDING, created_at__lt=cutoff
        )
        .exclude(subject_id__in=legal_hold_subject_ids())
        .order_by("pk")
        .values_list("pk", "language", "text")
        .iterator()
        if (language, choice_example_key(text)) not in training
    ]
    if dry_run:
        return len(expired), False
    deleted = 0
    # By primary key, in bounded batches: a second run deletes nothing new.
    for batch, start in enumerate(range(0, len(expired), batch_size)):
        if max_batches is not None and batch >= max_batches:
            return deleted, True
        with transaction.atomic():
            deleted += ChoiceExample.objects.filter(
                pk__in=expired[start : start + batch_size]
            ).delete()[0]
    return deleted, False


@dataclass(frozen=True)
class Question:
    """A customer's message with the bot's replies to it, worked out before storing."""

    conversation: Conversation
    text: str
    client_message_id: str
    replies: Sequence[Reply] = ()
    # The status the replies were worked out in (the bot also answers while a customer
    # waits for a person): stored only if the conversation is still in it.
    replies_status: str = Conversation.Status.BOT


@transaction.atomic(savepoint=False)
def questions_append(questions: Sequence[Question]) -> list[tuple[Message, list[Message]]]:
    """Store questions of several conversations together: the chat's group commit.

    Per question one UPDATE takes its seq and, while the conversation is in the status
    the replies were worked out in, its replies' seqs (the UPDATE reads the status: if
    it moved meanwhile, say a person took over, the replies are dropped); one INSERT stores
    every row. Returns (question, replies stored) per question, in order. A question
    stored before (a resend) raises IntegrityError: the caller's savepoint undoes the
    lot. Updates each conversation's `last_seq` and `status` from the database.
    """
    taken: dict[int, tuple[int, Sequence[Reply]]] = {}
    # In conversation order, so two processes never lock the same rows in opposite
    # orders (the sort is stable: one conversation's questions keep theirs).
    in_lock_order = sorted(enumerate(questions), key=lambda item: item[1].conversation.pk)
    conversation_ids = [question.conversation.pk for question in questions]
    seqs_taken = (
        # On PostgreSQL every conversation's seqs in one round trip (SQLite's are cheap).
        _conversations_seqs_take(
            [
                (q.conversation.pk, 1 + len(q.replies), q.replies_status)
                for _position, q in in_lock_order
            ]
        )
        if connection.vendor == "postgresql"
        and len(questions) > 1
        and len(set(conversation_ids)) == len(conversation_ids)
        else None
    )
    for position, question in in_lock_order:
        conversation, replies = question.conversation, question.replies
        if seqs_taken is not None:
            last_seq, conversation.status = seqs_taken[conversation.pk]
        else:
            last_seq, conversation.status = _conversation_seqs_take(
                conversation.pk,
                count=1,
                count_with_bot=1 + len(replies),
                bot_status=question.replies_status,
            )
        conversation.last_seq = last_seq
        if conversation.status != question.replies_status:
            replies = []
        taken[position] = (last_seq - len(replies), replies)
    # Redacted together, with the names known once the status is read (the agents').
    redacted = texts_redact(
        [question.text for question in questions],
        known_names=[_known_names(question.conversation) for question in questions],
    )
    stored: dict[int, tuple[Message, list[Message]]] = {}
    for position, question in in_lock_order:
        conversation = question.conversation
        first_seq, replies = taken[position]
        stored[position] = (
            _message_row(
                conversation,
                seq=first_seq,
                sender=Message.Sender.CUSTOMER,
                text=question.text,
                redacted=redacted[position],
                client_message_id=question.client_message_id,
            ),
            [
                _message_row(
                    conversation,
                    seq=first_seq + offset,
                    sender=reply.sender,
                    text=reply.text,
                    intent_slug=reply.intent_slug,
                    confidence=reply.confidence,
                    answer_source=reply.answer_source,
                )
                for offset, reply in enumerate(replies, start=1)
            ],
        )
    rows_insert([row for question, replies in stored.values() for row in (question, *replies)])
    in_order = [stored[position] for position in range(len(questions))]
    for question, (message, replies) in zip(questions, in_order, strict=True):
        _messages_stored(question.conversation, [message, *replies])
    return in_order


def question_append(question: Question) -> tuple[Message, list[Message], bool]:
    """Store one question (questions_append); a resend returns the stored one, created=False.

    Returns (question, replies stored, created).
    """
    stored, stored_before = _insert_once(
        question.conversation, question.client_message_id, lambda: questions_append([question])[0]
    )
    return (*stored, True) if stored_before is None else (stored_before, [], False)


def _insert_once[T](
    conversation: Conversation, client_message_id: str, insert: Callable[[], T]
) -> tuple[T | None, Message | None]:
    """(insert(), None); or (None, the stored message) if its client id was stored before.

    A resend (or a duplicate racing in from a second connection) hits the unique
    constraint; the savepoint undoes its seqs too. Resends are rare: no SELECT first.
    """
    try:
        with transaction.atomic():
            return insert(), None
    except IntegrityError:
        return None, Message.objects.get(
            conversation_id=conversation.pk, client_message_id=client_message_id
        )


@transaction.atomic
def conversation_resolve(*, conversation: Conversation) -> Conversation:
    """Resolve the conversation from the status it was loaded in (the caller locked it or
    checked it); the retention clock starts (resolved_at)."""
    if not conversation_status_move(conversation=conversation, to=Conversation.Status.RESOLVED):
        raise ConversationStatusError(
            "The conversation changed meanwhile; load it again.", code="status_changed"
        )
    return conversation


def conversations_close_resolved(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close conversations resolved longer ago than CONVERSATION_CLOSE_AFTER_HOURS.

    Idempotent: a closed conversation is never selected again. Returns how many were closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CONVERSATION_CLOSE_AFTER_HOURS)
    closed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Conversation.objects.filter(
                    status=Conversation.Status.RESOLVED, resolved_at__lte=cutoff
                ).values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return closed
            closed += conversations_status_move(
                queryset=Conversation.objects.filter(id__in=ids),
                source=Conversation.Status.RESOLVED,
                to=Conversation.Status.CLOSED,
                now=now,
            )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def subject_conversations_export(subject: DataSubject) -> dict:
    """The subject's conversations (Art. 15): how each went (escalated and why, resolved,
    rated) and every message, with what the bot understood (intent and confidence)."""
    conversations = subject.conversations.prefetch_related("messages", "follow_ups").order_by(
        "created_at"
    )
    return {
        "conversations": [
            {
                "id": str(conversation.public_id),
                "channel": conversation.channel,
                "language": conversation.language,
                "status": conversation.status,
                "started_at": conversation.created_at.isoformat(),
                "escalation_reason": conversation.escalation_reason or None,
                "escalated_at": _iso(conversation.escalated_at),
                "resolved_at": _iso(conversation.resolved_at),
                "closed_at": _iso(conversation.closed_at),
                "rating": conversation.csat_score,
                "messages": [
                    {
                        "seq": message.seq,
                        "from": message.sender,
                        # Written by the bot or the system, not by a person (AI Act).
                        "automated": message.sender in (Message.Sender.BOT, Message.Sender.SYSTEM),
                        "text": message.text,
                        "sent_at": message.created_at.isoformat(),
                        "intent": message.intent_slug or None,
                        "confidence": (
                            round(message.confidence, 2) if message.confidence is not None else None
                        ),
                        "helpful": message.helpful,
                    }
                    for message in conversation.messages.all()
                ],
                # A call back or an e-mail answer the customer asked for (bot.follow_ups).
                "follow_ups": [
                    {
                        "method": follow_up.method,
                        "contact": follow_up.contact,
                        "preferred_time": follow_up.preferred_time,
                        "asked_at": follow_up.created_at.isoformat(),
                        "done_at": _iso(follow_up.done_at),
                    }
                    for follow_up in conversation.follow_ups.all()
                ],
            }
            for conversation in conversations
        ],
        # Their questions the bot learns from, as stored: redacted (bot.learning).
        "learnt_questions": _learnt_questions_export(subject),
    }


def _learnt_questions_export(subject: DataSubject) -> list[dict]:
    taught = ExampleQuestion.objects.filter(subject=subject).select_related("intent")
    chosen = ChoiceExample.objects.filter(subject=subject).select_related("intent")
    rows = [(example, "taught") for example in taught] + [(row, "chosen") for row in chosen]
    return [
        {
            "question": example.text,
            "language": example.language,
            "intent": example.intent.slug,
            "learnt_from": learnt_from,
            "saved_at": example.created_at.isoformat(),
        }
        for example, learnt_from in sorted(rows, key=lambda row: row[0].created_at)
    ]


# What an agent names as missed personal data becomes in the redacted text.
REDACTION_MISSED_PLACEHOLDER = "[REDACTED]"


@transaction.atomic
def message_redaction_flag(
    *, message: Message, missed: str, acting_user: AbstractBaseUser
) -> Message:
    """An agent reports personal data left in a message's redacted text: the text is
    redacted again from the encrypted original (the redaction gate, then every place
    where what the agent names as missed appears), the message is marked (the model
    card counts these) and the report is audited.

    `missed` is personal data: it is used here and forgotten, never stored, logged or
    put into the audit row.
    """
    if message.sender not in (Message.Sender.CUSTOMER, Message.Sender.AGENT):
        raise ValidationError("Only texts people wrote are redacted.", code="not_redacted")
    conversation = message.conversation
    before = message.text_redacted
    redacted = text_redact(
        message.text,
        known_names=([conversation.subject.name] if conversation.subject_id else [])
        + conversation_agent_names(conversation=conversation, sender_user=message.sender_user),
    )
    missed = missed.strip()
    if len(missed) >= 2:
        redacted = re.sub(re.escape(missed), REDACTION_MISSED_PLACEHOLDER, redacted, flags=re.I)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(text_redacted=redacted, redaction_flagged_at=now)
    message.text_redacted, message.redaction_flagged_at = redacted, now
    audit_record(
        action="message.redaction_flagged",
        acting_user=acting_user,
        target=message,
        details={
            "conversation": str(conversation.public_id),
            "seq": message.seq,
            "changed": redacted != before,
        },
    )
    return message


def subject_conversations_erase(subject: DataSubject) -> dict[str, int]:
    messages_deleted, _ = Message.objects.filter(conversation__subject=subject).delete()
    follow_ups_deleted, _ = FollowUp.objects.filter(conversation__subject=subject).delete()
    conversations_deleted, _ = Conversation.objects.filter(subject=subject).delete()
    # Their taught questions are redacted, but still theirs: without the person the
    # link that keeps them out after an objection would be lost, so they go too.
    examples_deleted, _ = ExampleQuestion.objects.filter(subject=subject).delete()
    choices_deleted, _ = ChoiceExample.objects.filter(subject=subject).delete()
    return {
        "messages": messages_deleted,
        "follow_ups": follow_ups_deleted,
        "conversations": conversations_deleted,
        "example_questions": examples_deleted,
        "choice_examples": choices_deleted,
    }


def _not_held(queryset):
    return queryset.exclude(public_id__in=legal_hold_references()).exclude(
        subject_id__in=legal_hold_subject_ids()
    )


def _conversations_purge(expired, *, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Expired conversations not under a legal hold, with their messages, and first the
    outbox events about them: one given up on is kept for a person to dispatch again, and
    its frames may carry a message's text, which must not outlive the conversation."""
    expired = _not_held(expired)
    if not dry_run:
        outbox_events_forget(references=expired.values("public_id"))
    return queryset_purge(expired, batch_size=batch_size, max_batches=max_batches, dry_run=dry_run)


def conversations_resolved_purge(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Retention: resolved (and closed) conversations, with their messages, after the period."""
    expired = Conversation.objects.filter(
        status__in=[Conversation.Status.RESOLVED, Conversation.Status.CLOSED],
        resolved_at__lt=cutoff,
    )
    return _conversations_purge(
        expired, batch_size=batch_size, max_batches=max_batches, dry_run=dry_run
    )


def sessions_abandoned_purge(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Retention: chats only the bot handled, left without activity for the period.

    Includes chats without consent or with withdrawn consent (the withdrawal notice
    tells the customer their messages go when the case is over).
    """
    expired = Conversation.objects.filter(status=Conversation.Status.BOT, updated_at__lt=cutoff)
    return _conversations_purge(
        expired, batch_size=batch_size, max_batches=max_batches, dry_run=dry_run
    )
