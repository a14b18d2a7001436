"""The customer chat's verbs: consent, identification, messages, feedback, escalation.

Channel-independent: the websocket consumer calls these, and so will the
messenger adapters. Each runs in one transaction and returns what to send.
"""

import functools
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch
from django.utils import timezone
from redis.exceptions import RedisError

from bot import follow_ups, hooks, intent_actions
from bot.answering import KeywordAnswerer, KnowledgeEntry, ModelAnswerer
from bot.conversation_status import conversation_status_move
from bot.dialog import (
    Answer,
    DialogQuestion,
    DialogResult,
    DialogState,
    Escalation,
    Reply,
    dialog_escalate,
    dialog_feedback,
    dialog_greeting,
    dialog_questions_next,
    reply_is_topics_offer,
)
from bot.learning import BotModelDamaged, bot_model_load, bot_model_state_note
from bot.models import BotModel, Conversation, Intent, IntentAnswer, Message
from bot.opening_hours import opening_hours_next_open, opening_hours_parse
from bot.selectors import example_questions_learnable
from bot.services import (
    Question,
    message_append,
    question_append,
    questions_append,
    suggestion_choice_record,
)
from event_pipeline import events
from event_pipeline.outbox import (
    Action,
    call_action,
    group_action,
    outbox_actions_run,
    outbox_event_record,
)
from platform_core.rows import row_update
from privacy.models import ConsentRecord
from privacy.services import (
    consent_link_subject,
    consent_purpose_add,
    consent_purpose_withdraw,
    consent_record,
    consent_withdraw,
    data_subject_identify,
    policy_version_active,
)
from privacy.tasks import subject_verification_mail_queue

IDENTITY_FIELDS = ("name", "email", "phone")
# What a conversation's consent may cover: the chat itself, always (what "I agree"
# means), and improving the bot, only when the customer ticks it: never bundled with
# the chat (Art. 7(4) GDPR). A follow-up is asked for on its own (bot.follow_ups).
CONSENT_PURPOSE_REQUIRED = ConsentRecord.Purpose.SUPPORT_CHAT
CONSENT_PURPOSES_OPTIONAL = (ConsentRecord.Purpose.BOT_IMPROVEMENT,)
logger = logging.getLogger(__name__)


class ChatError(ValidationError):
    """Refused input; `code` is the stable error code sent to the client."""


@dataclass
class ChatOutcome:
    replies: list[Message]
    escalated: bool = False


def identity_fields_required() -> list[str]:
    return [name for name in settings.CHAT_IDENTITY_FIELDS if name in IDENTITY_FIELDS]


def conversation_consent_current(conversation: Conversation) -> bool:
    """Consent given, not withdrawn, and to the policy version active now."""
    consent = conversation.consent
    if consent is None or consent.withdrawn_at is not None:
        return False
    active = policy_version_active(language=conversation.language)
    return active is not None and consent.policy_version_id == active.pk


def conversation_needs_identity(conversation: Conversation) -> bool:
    return bool(identity_fields_required()) and conversation.subject_id is None


def team_available_at(language: str = "") -> datetime | None:
    """When agents are next there (SUPPORT_OPENING_HOURS, local time); None: now, also
    outside those hours while an agent serving the language is online (bot.hooks)."""
    rules = opening_hours_parse(settings.SUPPORT_OPENING_HOURS)
    next_open = opening_hours_next_open(rules, timezone.localtime())
    # Asked only outside the hours: one query then, none per message while open.
    if next_open is not None and hooks.team_present(language=language):
        return None
    return next_open


def dialog_state(conversation: Conversation) -> DialogState:
    return DialogState(
        team_available_at=team_available_at(conversation.language),
        language=conversation.language,
        status=conversation.status,
    )


# How many topics the bot offers for a question it cannot place.
TOPICS_OFFERED = 4


# Intents of this topic (greetings, thanks) are answered, never offered as a topic.
SMALL_TALK_TOPIC = "smalltalk"


@dataclass(frozen=True)
class _TopicCandidate:
    language: str
    topic: str
    title: str
    examples: int


def _topics_by_language(candidates: list[_TopicCandidate]) -> dict[str, tuple[str, ...]]:
    """Per language, one title per topic, the topics with the most example questions
    first (customers ask those most: agents add the questions they answered), and within
    a topic its intent with the most examples."""
    by_topic: dict[tuple[str, str], list[_TopicCandidate]] = {}
    for candidate in candidates:
        if candidate.topic != SMALL_TALK_TOPIC:
            by_topic.setdefault((candidate.language, candidate.topic), []).append(candidate)
    ranked = sorted(
        by_topic.values(),
        key=lambda group: (-sum(c.examples for c in group), group[0].topic, group[0].language),
    )
    topics: dict[str, list[str]] = {}
    for group in ranked:
        best = min(group, key=lambda c: (-c.examples, c.title.casefold()))
        titles = topics.setdefault(best.language, [])
        if len(titles) < TOPICS_OFFERED:
            titles.append(best.title)
    return {language: tuple(titles) for language, titles in topics.items()}


def bot_topics(language: str) -> tuple[str, ...]:
    """The titles of the topics the bot knows best in a language (none: it knows none)."""
    answerer_get()
    return _answerer_cache["topics"].get(language, ())


def _last_reply(conversation: Conversation) -> dict | None:
    """Sender, intent and confidence of the last message that was not the customer's."""
    return (
        Message.objects.filter(conversation=conversation)
        .exclude(sender=Message.Sender.CUSTOMER)
        .order_by("-seq")
        .values("sender", "intent_slug", "confidence")
        .first()
    )


def _last_reply_was_topics_offer(conversation: Conversation) -> bool:
    last = _last_reply(conversation)
    return last is not None and reply_is_topics_offer(**last)


def _last_reply_suggested(conversation: Conversation) -> str:
    """The intent the bot's last reply ranked first if that reply offered "Did you mean
    …?" choices; "" otherwise. Titles come back only from chips (or a messenger's
    number), and only that offer names an intent and shows chips: an answer shows the
    feedback buttons, the topics offer names no intent."""
    last = _last_reply(conversation)
    if last is None or last["sender"] != Message.Sender.BOT:
        return ""
    return last["intent_slug"]


@dataclass(frozen=True)
class IntentAction:
    """What an intent does besides answering (bot.intent_actions), with the language of
    each of its answer texts."""

    action: str
    queue: str
    url: str
    answer_languages: dict[str, str]


def intent_action_get(slug: str) -> IntentAction | None:
    """The action of an intent the bot answers with; None: it has none. Kept with the
    answerer that gave the answer: no query per answered message, and none inside the
    message's transaction (the answerer's recheck ran when the answer was worked out)."""
    if "actions" not in _answerer_cache:
        answerer_get()
    return _answerer_cache["actions"].get(slug)


# Trained models loaded in this process, by BotModel id (a file is read once).
_models_loaded: dict[int, object] = {}
# A model activated while the process serves (a retraining) is read and deserialised in
# this thread, not in the database thread every customer's step waits behind; the model
# before it answers meanwhile. A load in progress, by BotModel id.
_model_loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bot-model-load")
_model_loads: dict[int, Future] = {}
# One answerer per process, rebuilt when the knowledge base changes (checked per question
# with two cheap aggregate queries), so admins' edits take effect without a restart.
_answerer_cache: dict[str, object] = {"checked_at": float("-inf")}
# Seconds between checks whether the knowledge base changed: edits show within this.
ANSWERER_RECHECK_SECONDS = 2.0


def answerer_get() -> ModelAnswerer:
    """The knowledge base's answerer: the active trained model per language (the keyword
    matcher where there is none). Rebuilt when the knowledge base or an active model
    changes, checked at most every ANSWERER_RECHECK_SECONDS: no restart needed."""
    now = time.monotonic()
    if now - _answerer_cache["checked_at"] < ANSWERER_RECHECK_SECONDS:
        return _answerer_cache["answerer"]
    version = (
        Intent.objects.filter(is_active=True).aggregate(n=Count("id"), changed=Max("updated_at")),
        # An edited answer text (admin, API, knowledge base) moves its updated_at.
        IntentAnswer.objects.aggregate(n=Count("id"), changed=Max("updated_at")),
        # Learnable ones: an objection changes the count, so the matcher drops them too.
        example_questions_learnable().count(),
        tuple(
            BotModel.objects.filter(status=BotModel.Status.ACTIVE)
            .order_by("language")
            .values_list("pk", "language")
        ),
    )
    if _answerer_cache.get("version") != version:
        entries, topic_candidates, actions = [], [], {}
        learnable = Prefetch("examples", queryset=example_questions_learnable())
        for intent in Intent.objects.filter(is_active=True).prefetch_related("answers", learnable):
            for answer in intent.answers.all():
                examples = tuple(
                    e.text for e in intent.examples.all() if e.language == answer.language
                )
                entries.append(
                    KnowledgeEntry(
                        intent_slug=intent.slug,
                        language=answer.language,
                        title=answer.title,
                        answer=answer.text,
                        examples=examples,
                    )
                )
                if intent.topic:
                    topic_candidates.append(
                        _TopicCandidate(answer.language, intent.topic, answer.title, len(examples))
                    )
                if intent.action:
                    known = actions.setdefault(
                        intent.slug,
                        IntentAction(intent.action, intent.action_queue, intent.action_url, {}),
                    )
                    known.answer_languages.setdefault(answer.text, answer.language)
        keyword = KeywordAnswerer(
            entries,
            answer_threshold=settings.BOT_FALLBACK_ANSWER_THRESHOLD,
            suggest_threshold=settings.BOT_FALLBACK_SUGGEST_THRESHOLD,
        )
        serving = _answerer_cache.get("models", {})
        models, unavailable, loading = {}, {}, False
        active = list(BotModel.objects.filter(status=BotModel.Status.ACTIVE))
        for superseded in set(_model_loads) - {record.pk for record in active}:
            del _model_loads[superseded]  # activated and replaced before it was needed
        for record in active:
            loaded = _models_loaded.get(record.pk)
            if loaded is None:
                if record.language in serving and not _model_load_finished(record):
                    models[record.language], loading = serving[record.language], True
                    continue
                try:
                    loaded = _models_loaded[record.pk] = _model_load_result(record)
                except BotModelDamaged as error:
                    # Loud, once per state change (bot.learning): log, health, self-healing.
                    bot_model_state_note(record=record, problem=error.problem)
                    unavailable[record.language] = error.problem
                    continue
                bot_model_state_note(record=record, problem=None)
            models[record.language] = loaded
        _answerer_cache.update(
            # While a model cannot be loaded, or a new one is still loading, look again
            # at every recheck: a restored file answers without a restart.
            version=None if unavailable or loading else version,
            models=models,
            answerer=ModelAnswerer(entries, models, fallback=keyword, unavailable=unavailable),
            topics=_topics_by_language(topic_candidates),
            actions=actions,
        )
    _answerer_cache["checked_at"] = now
    return _answerer_cache["answerer"]


def _model_load_finished(record: BotModel) -> bool:
    """Whether the model's file has been read in the loader thread, starting that read
    if it has not begun (BOT_MODELS_LOAD_IN_BACKGROUND; off, the caller reads it now)."""
    if not settings.BOT_MODELS_LOAD_IN_BACKGROUND:
        return True
    if record.pk not in _model_loads:
        _model_loads[record.pk] = _model_loader.submit(bot_model_load, record)
    return _model_loads[record.pk].done()


def _model_load_result(record: BotModel):
    """The model the loader thread read (its BotModelDamaged raised here), else read now."""
    future = _model_loads.pop(record.pk, None)
    return future.result() if future is not None else bot_model_load(record)


def answerer_load_at_start() -> None:
    """What daphne does as it starts: the active trained models loaded now (deserialising
    them and the sentence encoder takes seconds), not in the first customer's set-up step
    (its greeting names the bot's topics), which every other customer's set-up and
    message would wait behind in the process's one database thread. Never stops the
    start: a model that cannot be loaded is reported as in the chat
    (bot_model_state_note), anything else logged; the chat loads at its first need."""
    if not settings.BOT_MODELS_LOAD_AT_START:
        return
    try:
        answerer_get()
    except Exception:
        logger.exception("The bot's models could not be loaded at start; the chat will")


def answer_suggestions(*, question: str, language: str, limit: int = 3) -> list[Answer]:
    """What the bot would answer, best first: the agents' one-click suggestions.

    Each Answer has the intent's slug, the answer text, the score and the intent's
    title as its only suggestion.
    """
    return answerer_get().ranked(question, language, limit=limit)


def answer_suggestion_items(*, question: str, language: str, limit: int = 3) -> list[dict]:
    """The bot's best answers to a customer's question, for the agents' one-click insertion."""
    if not question or not question.strip():
        return []
    return [
        {
            "intent": answer.intent_slug,
            "title": answer.suggestions[0] if answer.suggestions else answer.intent_slug,
            "text": answer.text,
            "confidence": round(answer.confidence, 2),
        }
        for answer in answer_suggestions(question=question, language=language, limit=limit)
    ]


def _apply(conversation: Conversation, result: DialogResult) -> ChatOutcome:
    replies = [
        message_append(
            conversation=conversation,
            sender=reply.sender,
            text=reply.text,
            intent_slug=reply.intent_slug,
            confidence=reply.confidence,
        )[0]
        for reply in result.replies
    ]
    return _outcome(conversation, replies, result)


def _outcome(
    conversation: Conversation, replies: list[Message], result: DialogResult
) -> ChatOutcome:
    """The stored replies (with their suggestions) and the escalation the dialog decided."""
    for message, reply in zip(replies, result.replies, strict=True):
        message.suggestions = list(reply.suggestions)
    if result.escalate_reason:
        conversation_escalate(conversation=conversation, reason=result.escalate_reason)
    return ChatOutcome(replies=replies, escalated=bool(result.escalate_reason))


@transaction.atomic
def chat_consent_give(
    *,
    conversation: Conversation,
    policy_version: str,
    purposes: Sequence[str] = (),
    ip_address: str | None = None,
) -> ConsentRecord:
    """Consent to the support chat, plus the optional `purposes` the customer chose."""
    offered = {CONSENT_PURPOSE_REQUIRED, *CONSENT_PURPOSES_OPTIONAL}
    if not set(purposes) <= offered:
        raise ChatError("unknown consent purpose", code="invalid_purpose")
    record = consent_record(
        reference=conversation.public_id,
        language=conversation.language,
        policy_version=policy_version,
        channel=conversation.channel,
        purposes=[CONSENT_PURPOSE_REQUIRED, *purposes],
        ip_address=ip_address,
    )
    if conversation.subject_id:
        consent_link_subject(record=record, subject=conversation.subject)
    conversation.consent = record
    row_update(conversation, "consent")
    return record


@transaction.atomic
def chat_consent_purpose_add(*, conversation: Conversation, purpose: str) -> None:
    """An optional purpose the customer agreed to after consenting (a messenger's
    separate question, the web chat's box under the conversation)."""
    if purpose not in CONSENT_PURPOSES_OPTIONAL:
        raise ChatError("unknown consent purpose", code="invalid_purpose")
    if not conversation_consent_current(conversation):
        raise ChatError("consent required", code="consent_required")
    conversation.consent = consent_purpose_add(record=conversation.consent, purpose=purpose)


@transaction.atomic
def chat_consent_purpose_withdraw(*, conversation: Conversation, purpose: str) -> None:
    """An optional purpose withdrawn while the chat goes on: from now on nothing of this
    conversation is learnt from. Also under a consent to an older policy version (what
    learning reads until the customer consents anew): withdrawing never waits for that;
    a consent withdrawn as a whole keeps its purposes as they were."""
    if purpose not in CONSENT_PURPOSES_OPTIONAL:
        raise ChatError("unknown consent purpose", code="invalid_purpose")
    if conversation.consent is not None:
        conversation.consent = consent_purpose_withdraw(
            record=conversation.consent, purpose=purpose
        )


@transaction.atomic
def chat_consent_withdraw(*, conversation: Conversation) -> None:
    if conversation.consent is not None:
        consent_withdraw(record=conversation.consent)
        conversation.consent.refresh_from_db()
    # A call back or e-mail answer asked for in this chat is not wanted any more either,
    # nor an address left for the team's answer while waiting.
    follow_ups.follow_ups_withdraw(conversation=conversation)
    follow_up_channel = hooks.follow_up_channel()
    if follow_up_channel is not None:
        follow_up_channel.withdraw(conversation)


@transaction.atomic
def chat_identify(*, conversation: Conversation, identity: dict[str, object]) -> None:
    """Store exactly the configured identity fields on a new subject of this conversation."""
    if not conversation_consent_current(conversation):
        raise ChatError("consent required", code="consent_required")
    required = identity_fields_required()
    extra = sorted(set(identity) - set(required))
    if extra:
        raise ChatError(f"not requested: {', '.join(extra)}", code="field_not_requested")
    missing = [name for name in required if not identity.get(name)]
    if missing or not all(isinstance(identity[name], str) for name in required):
        raise ChatError(f"missing: {', '.join(missing)}", code="identity_incomplete")
    # A new, unverified subject each time: a typed email is a claim (see
    # data_subject_identify); the link e-mailed to it lets the person prove it.
    subject = data_subject_identify(**{name: identity[name] for name in required})
    conversation.subject = subject
    row_update(conversation, "subject")
    consent_link_subject(record=conversation.consent, subject=subject)
    if subject.email:
        subject_verification_mail_queue(subject_id=subject.pk, language=conversation.language)


def chat_greet(*, conversation: Conversation) -> Reply | None:
    """The bot's greeting with the topics it knows, once the customer may write; only
    in a conversation without messages (not again after a new policy version). Not
    stored, like the messengers' "How can I help you?": the transcript starts with
    the customer's first question on every channel."""
    if conversation_needs_identity(conversation) or not conversation_consent_current(conversation):
        return None
    # last_seq counts every message the conversation ever had: no query needed.
    if conversation.status != Conversation.Status.BOT or conversation.last_seq:
        return None
    return dialog_greeting(
        replace(dialog_state(conversation), topics=bot_topics(conversation.language))
    )


def _require_ready(conversation: Conversation) -> None:
    if not conversation_consent_current(conversation):
        raise ChatError("consent required", code="consent_required")
    if conversation_needs_identity(conversation):
        raise ChatError("identify first", code="identity_required")


def _bot_reactions(questions: Sequence[tuple[Conversation, str]]) -> list[DialogResult]:
    """What the bot says to each (conversation, question), worked out before anything is
    stored; the questions it is asked about are classified as one batch.

    Statuses only move away from the bot, so a conversation loaded as not the bot's
    is not the bot's now either; the other way round, question_append drops replies.
    While the customer waits for a person the bot still answers what it is sure of.
    """
    reacting = [
        (position, conversation, text)
        for position, (conversation, text) in enumerate(questions)
        if conversation.status in (Conversation.Status.BOT, Conversation.Status.WAITING)
    ]
    reactions = [DialogResult() for _question in questions]
    if not reacting:
        return reactions
    answerer = answerer_get()
    # A state depends on the language and status only: one per pair in a batch.
    states: dict[tuple[str, str], DialogState] = {}
    for _position, conversation, _text in reacting:
        key = (conversation.language, conversation.status)
        if key not in states:
            states[key] = replace(
                dialog_state(conversation), topics=bot_topics(conversation.language)
            )
    results = dialog_questions_next(
        [
            DialogQuestion(
                state=states[(conversation.language, conversation.status)],
                question=text,
                unsure_before=functools.partial(_last_reply_was_topics_offer, conversation),
                suggested_before=functools.partial(_last_reply_suggested, conversation),
            )
            for _position, conversation, text in reacting
        ],
        answerer=answerer,
    )
    for (position, _conversation, _text), result in zip(reacting, results, strict=True):
        reactions[position] = result
    return reactions


def _after_question(
    conversation: Conversation, question: Message, replies: list[Message], reaction: DialogResult
) -> ChatOutcome:
    """Once a new question is stored: reopen a resolved case, or escalate as the bot decided;
    the agents watching a conversation the team has see the question (after commit)."""
    actions = []
    if conversation.status != Conversation.Status.BOT:
        # Reopened, or a person has it (question_append kept only the answers the bot is
        # sure of while the customer waits; the agents' live view gets those too).
        reopened = conversation.status == Conversation.Status.RESOLVED
        actions = customer_wrote_to_team(conversation)
        outcome = ChatOutcome(replies=[] if reopened else replies, escalated=reopened)
    else:
        outcome = _outcome(conversation, replies, reaction)
        if reaction.suggestion_pick is not None:
            suggestion_choice_record(conversation=conversation, pick=reaction.suggestion_pick)
        # The answered intent's action (hand-over, privacy request, link): bot.intent_actions.
        acted = intent_actions.intent_actions_perform(conversation=conversation, reaction=reaction)
        outcome.replies += acted.replies
        outcome.escalated = outcome.escalated or acted.escalated
    if conversation.status != Conversation.Status.BOT:
        actions += [
            call_action(AGENTS_MESSAGE_PUSH, message_id=message.pk)
            for message in [question, *outcome.replies]
        ]
        outbox_event_record(
            kind="message.created", actions=actions, reference=conversation.public_id
        )
    return outcome


def customer_wrote_to_team(conversation: Conversation) -> list[Action]:
    """A customer's new message (stored) in a conversation the bot does not handle, on
    every channel: a resolved case goes back to the team; in one a person handles, the
    inboxes show the new message (the returned action, for the caller's message event)."""
    if conversation.status == Conversation.Status.RESOLVED:
        conversation_escalate(
            conversation=conversation, reason=Escalation.CUSTOMER_WROTE_AGAIN, reopen=True
        )
        return []
    return [hooks.hook_action(hooks.CUSTOMER_WROTE, conversation.pk)]


AGENTS_MESSAGE_PUSH = "bot.customer_message_to_agents"


def customer_message_to_agents_push(*, message_id: int) -> None:
    """The outbox's handler: a customer's message (or the bot's answer to it while the
    customer waits) to the agents watching the conversation (the row holds only the
    message's id; the frame is built here)."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:  # erased meanwhile
        return
    conversation = message.conversation
    outbox_actions_run(
        [
            group_action(
                events.conversation_group(conversation.public_id.hex),
                {"type": "conversation.message", "frame": events.message_frame(message)},
            )
        ]
    )


# Suggestions of one message, shared by the agents watching it (every socket asks).
SUGGESTIONS_SHARED_SECONDS = 60


def message_suggestion_items(
    *, conversation_public_hex: str, seq: int, question: str, language: str
) -> list[dict]:
    """answer_suggestion_items for a customer's message, worked out once per message, by
    the first agent's socket that asks, and shared with the others (the cache; Redis when
    scaled out). Nothing is worked out for a message no agent watches."""
    key = f"chat-suggestions:{conversation_public_hex}:{seq}"

    def work_out() -> list[dict]:
        return answer_suggestion_items(question=question, language=language)

    try:
        return cache.get_or_set(key, work_out, timeout=SUGGESTIONS_SHARED_SECONDS)
    except RedisError:
        # Redis unreachable (restarting, say): each socket works them out, as before.
        logger.warning("Shared suggestions skipped: the cache cannot be reached.")
        return work_out()


@transaction.atomic
def chat_message_receive(
    *, conversation: Conversation, client_message_id: str, text: str
) -> tuple[Message, ChatOutcome]:
    """Store the customer's message (once per client id) and the bot's reaction to it."""
    _require_ready(conversation)
    [reaction] = _bot_reactions([(conversation, text)])
    message, replies, created = question_append(
        Question(
            conversation=conversation,
            text=text,
            client_message_id=client_message_id,
            replies=reaction.replies,
            replies_status=conversation.status,
        )
    )
    if not created:
        # A resend: acknowledged again; the replies already went out (or are in the history).
        return message, ChatOutcome(replies=[])
    return message, _after_question(conversation, message, replies, reaction)


@dataclass(frozen=True)
class IncomingMessage:
    conversation: Conversation
    client_message_id: str
    text: str


# What chat_messages_receive returns per message: the stored message and the bot's
# reaction, or why it was refused (ChatError) or failed.
ReceiveResult = tuple[Message, ChatOutcome] | Exception

_CONVERSATION_STATE_FIELDS = [
    "status",
    "last_seq",
    "escalation_reason",
    "escalated_at",
    "resolved_at",
]


def chat_messages_receive(incoming: Sequence[IncomingMessage]) -> list[ReceiveResult]:
    """chat_message_receive for many customers at once: the websocket chat's group commit.

    The bot's reactions are worked out together (the questions classified as one batch,
    _bot_reactions), then one transaction and one INSERT store every new message and
    reply (questions_append). If either fails (usually a resend among them), it is undone
    and each message is received on its own, so one bad message never costs the others
    theirs. A second message of a conversation (from a second connection) waits until
    the first's escalation, if any, is stored: it is received on its own, after the batch.
    """
    results: dict[int, ReceiveResult] = {}
    ready: list[tuple[int, IncomingMessage]] = []
    one_by_one: list[tuple[int, IncomingMessage]] = []
    batched_conversations: set[int] = set()
    for position, item in enumerate(incoming):
        if item.conversation.pk in batched_conversations:
            one_by_one.append((position, item))
            continue
        try:
            _require_ready(item.conversation)
        except ChatError as error:
            results[position] = error
            continue
        batched_conversations.add(item.conversation.pk)
        ready.append((position, item))
    try:
        reactions = _bot_reactions([(item.conversation, item.text) for _position, item in ready])
        with transaction.atomic():
            stored = questions_append(
                [
                    Question(
                        conversation=item.conversation,
                        text=item.text,
                        client_message_id=item.client_message_id,
                        replies=reaction.replies,
                        replies_status=item.conversation.status,
                    )
                    for (_position, item), reaction in zip(ready, reactions, strict=True)
                ]
            )
            for (position, item), reaction, (question, replies) in zip(
                ready, reactions, stored, strict=True
            ):
                outcome = _after_question(item.conversation, question, replies, reaction)
                results[position] = (question, outcome)
    except Exception:
        # Undone: the conversations as loaded may carry state of the rolled-back writes.
        for _position, item in ready:
            item.conversation.refresh_from_db(fields=_CONVERSATION_STATE_FIELDS)
        one_by_one = sorted(ready + one_by_one, key=lambda pair: pair[0])
    for position, item in one_by_one:
        try:
            results[position] = chat_message_receive(
                conversation=item.conversation,
                client_message_id=item.client_message_id,
                text=item.text,
            )
        except Exception as error:  # noqa: BLE001  (handed to that message's sender)
            results[position] = error
    return [results[position] for position in range(len(incoming))]


@transaction.atomic
def chat_feedback(*, conversation: Conversation, seq: int, helpful: bool) -> ChatOutcome:
    _require_ready(conversation)
    updated = Message.objects.filter(
        conversation=conversation, seq=seq, sender=Message.Sender.BOT
    ).update(helpful=helpful)
    if not updated:
        raise ChatError("no such bot message", code="unknown_message")
    return _apply(conversation, dialog_feedback(state=dialog_state(conversation), helpful=helpful))


@transaction.atomic
def chat_escalate(*, conversation: Conversation) -> ChatOutcome:
    _require_ready(conversation)
    return _apply(conversation, dialog_escalate(state=dialog_state(conversation)))


@transaction.atomic
def conversation_escalate(
    *, conversation: Conversation, reason: str, reopen: bool = False
) -> Conversation:
    """Queue the conversation for a person: one the bot handles, or (`reopen`) a resolved one."""
    allowed = [Conversation.Status.BOT] + ([Conversation.Status.RESOLVED] if reopen else [])
    if not conversation_status_move(
        conversation=conversation,
        to=Conversation.Status.WAITING,
        expected=allowed,
        escalation_reason=reason,
    ):
        # Handed over meanwhile (or not the bot's): as it is now.
        return Conversation.objects.get(pk=conversation.pk)
    # The move recorded the escalation's event: routed by agents, webhooks told.
    return conversation


@transaction.atomic
def conversation_rate(*, conversation: Conversation, score: int) -> Conversation:
    """The customer's satisfaction rating (CSAT, 1-5) of a resolved conversation."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ChatError("score 1-5", code="invalid_rating")
    # Read afresh: an agent resolves the conversation while the customer's socket is open.
    conversation.status = Conversation.objects.values_list("status", flat=True).get(
        pk=conversation.pk
    )
    if conversation.status not in (Conversation.Status.RESOLVED, Conversation.Status.CLOSED):
        raise ChatError("not resolved", code="not_resolved")
    Conversation.objects.filter(pk=conversation.pk).update(csat_score=score)
    conversation.csat_score = score
    return conversation
