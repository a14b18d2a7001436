"""Reads of the agents app: who may see what, the inbox lists, a conversation's page, analytics."""

import re
import statistics
import time as clock
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractHour, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import AgentProfile, Assignment, CannedResponse, InternalNote, Queue, Teaching
from bot.chat import answer_suggestion_items
from bot.models import Conversation, FollowUp, Intent, Message
from bot.selectors import bot_answer_explanations, intent_titles
from event_pipeline.events import message_frame
from platform_core.answer_markup import answer_html, answer_plain
from privacy.selectors import LEARNING_OBJECTED, learning_refusal
from staff.roles import ROLE_PERMISSIONS

ESCALATION_REASONS = {
    "customer_request": _("Customer asked for a person"),
    "low_confidence": _("The bot was not sure"),
    "negative_feedback": _("Customer found an answer unhelpful"),
    "customer_wrote_again": _("Customer wrote again after resolution"),
    "email": _("Came in by e-mail"),
    "follow_up": _("Customer asked for a call back or an e-mail answer"),
}
NOT_ANNOTATED = object()
ACTIVE_STATUSES = (Conversation.Status.WAITING, Conversation.Status.ASSIGNED)
PREVIEW_LENGTH = 120


def user_roles(*, user: AbstractBaseUser) -> list[str]:
    """The user's inbox roles; kept on the user object, which lives for one request (or
    one websocket connection, authorised once at connect)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_inbox_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.filter(name__in=ROLE_PERMISSIONS).values_list("name", flat=True))
    if user.is_superuser:
        names.add("admin")
    user._inbox_roles = sorted(names)
    return user._inbox_roles


def user_is_agent(*, user: AbstractBaseUser) -> bool:
    """Anyone who works the inbox: active agents, supervisors and admins."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(set(user_roles(user=user)) & {"agent", "supervisor", "admin"})


def user_sees_all_queues(*, user: AbstractBaseUser) -> bool:
    return user.is_superuser or user.has_perm("agents.view_all_queues")


def queue_list_for_agent(*, user: AbstractBaseUser) -> QuerySet[Queue]:
    """The queues a user may see: all for supervisors and admins, else their own."""
    if not user.is_authenticated:
        return Queue.objects.none()
    if user_sees_all_queues(user=user):
        return Queue.objects.all()
    return Queue.objects.filter(members=user)


def conversation_visible_q(*, user: AbstractBaseUser) -> Q | None:
    """The filter of conversations a user may open; None: every conversation."""
    if user_sees_all_queues(user=user):
        return None
    return Q(assignment__queue__members=user) | Q(assignment__agent=user)


def conversation_is_visible(*, user: AbstractBaseUser, conversation: Conversation) -> bool:
    """May this user open the conversation (page, websocket, API)?

    Supervisors and admins: every conversation. Agents: those routed to one of
    their queues, and those assigned to them. Nobody else.
    """
    if not user_is_agent(user=user):
        return False
    condition = conversation_visible_q(user=user)
    if condition is None:
        return True
    return Conversation.objects.filter(condition, pk=conversation.pk).exists()


def conversation_can_work(*, user: AbstractBaseUser, conversation: Conversation) -> bool:
    """May this user act on it (reply, resolve, transfer)? The assigned agent, a
    supervisor, or, while it waits, anyone who sees it (acting claims it)."""
    if not conversation_is_visible(user=user, conversation=conversation):
        return False
    return conversation_is_free_for(user=user, conversation=conversation)


def conversation_is_free_for(*, user: AbstractBaseUser, conversation: Conversation) -> bool:
    """Nobody else handles it (or the user is a supervisor, who may step in anywhere)."""
    if user_sees_all_queues(user=user):
        return True
    assignment = assignment_for(conversation=conversation)
    return assignment is None or assignment.agent_id in (None, user.pk)


def assignment_for(*, conversation: Conversation) -> Assignment | None:
    try:
        return conversation.assignment
    except Assignment.DoesNotExist:
        return None


def conversation_get_by_public_id(*, public_id) -> Conversation | None:
    return (
        Conversation.objects.select_related(
            "subject", "consent__policy_version", "assignment__queue", "assignment__agent"
        )
        .filter(public_id=public_id)
        .first()
    )


def _last_customer_message_preview() -> Subquery:
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), sender=Message.Sender.CUSTOMER)
        .order_by("-seq")
        .annotate(preview=Substr("text_redacted", 1, PREVIEW_LENGTH))
        .values("preview")[:1]
    )


def _open_follow_up_time() -> Subquery:
    """The preferred time of the conversation's open follow-up (bot.follow_ups), if any."""
    return Subquery(
        FollowUp.objects.filter(conversation=OuterRef("pk"), done_at__isnull=True)
        .order_by("-created_at")
        .values("preferred_time")[:1]
    )


def conversation_list_for_inbox(*, user: AbstractBaseUser, limit: int = 500) -> list[Conversation]:
    """The inbox page's list: the active conversations a user may see, at most `limit`."""
    return list(conversations_for_inbox(user=user)[:limit])


def conversations_for_inbox(
    *,
    user: AbstractBaseUser,
    statuses: tuple[str, ...] = ACTIVE_STATUSES,
    channel: str | None = None,
    language: str | None = None,
    queue_slug: str | None = None,
    escalated_since=None,
    escalated_until=None,
) -> QuerySet[Conversation]:
    """The escalated conversations a user may see (by default the active ones: waiting or
    assigned), oldest escalation first, optionally narrowed (the API's filters).

    One query whatever their number: the conversations with queue and agent joined,
    the redacted preview of the last customer message as a subquery.
    """
    conversations = (
        Conversation.objects.filter(status__in=statuses, escalated_at__isnull=False)
        .select_related("assignment__queue", "assignment__agent__agent_profile")
        .annotate(
            preview=_last_customer_message_preview(),
            follow_up_time=_open_follow_up_time(),
        )
        .order_by("escalated_at", "id")
    )
    if channel:
        conversations = conversations.filter(channel=channel)
    if language:
        conversations = conversations.filter(language=language)
    if queue_slug:
        conversations = conversations.filter(assignment__queue__slug=queue_slug)
    if escalated_since:
        conversations = conversations.filter(escalated_at__gte=escalated_since)
    if escalated_until:
        conversations = conversations.filter(escalated_at__lt=escalated_until)
    condition = conversation_visible_q(user=user)
    if condition is not None:
        conversations = conversations.filter(condition).distinct()
    return conversations


def agent_display_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    try:
        return user.agent_profile.display_name
    except AgentProfile.DoesNotExist:
        return user.get_username()


def inbox_row(conversation: Conversation) -> dict[str, Any]:
    """One conversation as the inbox shows it: no personal data (the preview is redacted)."""
    assignment = assignment_for(conversation=conversation)
    queue = assignment.queue if assignment else None
    agent = assignment.agent if assignment else None
    preview = getattr(conversation, "preview", None)
    if preview is None:
        preview = (
            conversation.messages.filter(sender=Message.Sender.CUSTOMER)
            .order_by("-seq")
            .values_list("text_redacted", flat=True)
            .first()
            or ""
        )[:PREVIEW_LENGTH]
    follow_up_time = getattr(conversation, "follow_up_time", NOT_ANNOTATED)
    if follow_up_time is NOT_ANNOTATED:
        follow_up_time = (
            FollowUp.objects.filter(conversation=conversation, done_at__isnull=True)
            .order_by("-created_at")
            .values_list("preferred_time", flat=True)
            .first()
        )
    return {
        "id": conversation.public_id.hex,
        "url": reverse("agents:conversation", kwargs={"public_id": conversation.public_id}),
        "status": conversation.status,
        "reason": conversation.escalation_reason,
        "reason_label": str(
            ESCALATION_REASONS.get(conversation.escalation_reason, conversation.escalation_reason)
        ),
        "language": conversation.language,
        "channel": conversation.channel,
        "escalated_at": conversation.escalated_at.isoformat()
        if conversation.escalated_at
        else None,
        "queue_id": queue.pk if queue else None,
        "queue_name": queue.name if queue else "",
        "agent_id": agent.pk if agent else None,
        "agent_name": agent_display_name(agent),
        "preview": preview,
        # A call back or e-mail answer waits (the customer's preferred time): a task.
        "follow_up_time": follow_up_time or "",
        "follow_up_time_label": str(FollowUp.PreferredTime(follow_up_time).label)
        if follow_up_time
        else "",
    }


def inbox_customers(*, conversation_ids: list[int]) -> dict[str, Any]:
    """The identified customers (DataSubject) of these conversations, by row id (hex):
    one query. Their names are personal data: a page that shows them records the read
    (services.inbox_customers_view_record)."""
    return {
        conversation.public_id.hex: conversation.subject
        for conversation in Conversation.objects.filter(
            pk__in=conversation_ids, subject__isnull=False
        ).select_related("subject")
    }


def inbox_rows_with_customers(*, rows: list[dict], customers: dict[str, Any]) -> list[dict]:
    """The rows with the customer's name and masked email (by row id) where known."""
    named = []
    for row in rows:
        subject = customers.get(row["id"])
        named.append(
            {
                **row,
                "customer_name": (subject.name if subject else "") or "",
                "customer_email": email_mask(subject.email) if subject else "",
            }
        )
    return named


def inbox_counts(*, rows: list[dict], user: AbstractBaseUser) -> dict[str, int]:
    return {
        "waiting": sum(1 for row in rows if row["status"] == Conversation.Status.WAITING),
        "mine": sum(1 for row in rows if row["agent_id"] == user.pk),
        "all": len(rows),
    }


def queue_for_conversation(*, conversation: Conversation) -> Queue | None:
    """Where an escalation goes: its language (blank serves any), then the topic of the
    last intent the bot recognised (blank serves any); the most specific match wins."""
    topic = ""
    last_intent = (
        Message.objects.filter(conversation=conversation)
        .exclude(intent_slug="")
        .order_by("-seq")
        .values_list("intent_slug", flat=True)
        .first()
    )
    if last_intent:
        topic, handover_queue = Intent.objects.filter(slug=last_intent).values_list(
            "topic", "action_queue"
        ).first() or ("", "")
        # A hand-over intent names its queue (bot.intent_actions); gone, routed as usual.
        named = Queue.objects.filter(slug=handover_queue).first() if handover_queue else None
        if named is not None:
            return named
    candidates = Queue.objects.filter(Q(language=conversation.language) | Q(language=""))

    def rank(queue: Queue) -> tuple:
        # A queue of another topic still beats no queue at all.
        topic_rank = 0 if topic and queue.topic == topic else (1 if queue.topic == "" else 2)
        return (queue.language == "", topic_rank, queue.name, queue.pk)

    ranked = sorted(candidates, key=rank)
    return ranked[0] if ranked else None


def agent_least_busy(*, queue: Queue) -> AbstractBaseUser | None:
    """The online member of the queue with the fewest assigned conversations."""
    return (
        get_user_model()
        .objects.filter(support_queues=queue, is_active=True, agent_profile__availability="online")
        .annotate(
            busy=Count(
                "support_assignments",
                filter=Q(support_assignments__conversation__status=Conversation.Status.ASSIGNED),
            )
        )
        .order_by("busy", "id")
        .first()
    )


# Asked for every bot answer outside the opening hours (bot.hooks.team_present): each
# process remembers the answer per language this long, so a change made in another
# process shows within it; a change made in this one is seen at once (agents.receivers).
PRESENCE_RECHECK_SECONDS = 2.0
_online_by_language: dict[str, tuple[float, bool]] = {}


def agent_online_for_language(language: str) -> bool:
    """Is an active agent online in a queue that serves this language (a queue with a
    blank language serves any)? What customers are told on a hand-over depends on it."""
    now = clock.monotonic()
    known = _online_by_language.get(language)
    if known is not None and now - known[0] < PRESENCE_RECHECK_SECONDS:
        return known[1]
    online = AgentProfile.objects.filter(
        availability=AgentProfile.Availability.ONLINE,
        user__is_active=True,
        user__support_queues__language__in=[language, ""],
    ).exists()
    _online_by_language[language] = (now, online)
    return online


def agent_presence_forget(**kwargs) -> None:
    """Forget the remembered presence (a signal receiver: takes and ignores its kwargs)."""
    _online_by_language.clear()


def agent_list_for_assignment(*, conversation: Conversation) -> QuerySet:
    """Who a conversation can be handed to: active members of its queue and supervisors."""
    assignment = assignment_for(conversation=conversation)
    users = get_user_model().objects.filter(is_active=True)
    condition = Q(groups__name="supervisor") | Q(is_superuser=True)
    if assignment and assignment.queue_id:
        condition |= Q(support_queues=assignment.queue_id)
    return users.filter(condition).select_related("agent_profile").distinct().order_by("username")


def email_mask(email: str) -> str:
    """e•••@e•••.org: enough to tell two customers apart, not enough to read."""
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    masked_domain = f"{host[:1]}•••{dot}{tld}" if dot else f"{domain[:1]}•••"
    return f"{local[:1]}•••@{masked_domain}"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def canned_text_render(text: str, values: dict[str, str]) -> str:
    """Fill {name} and {agent}; unknown placeholders stay as written (no str.format)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def canned_response_list_for(
    *, user: AbstractBaseUser, conversation: Conversation | None = None
) -> QuerySet[CannedResponse]:
    """Shared responses, the conversation's queue's, and the user's own."""
    condition = Q(queue__isnull=True, owner__isnull=True) | Q(owner=user)
    assignment = assignment_for(conversation=conversation) if conversation else None
    if assignment and assignment.queue_id:
        condition |= Q(queue=assignment.queue_id)
    elif conversation is None:
        condition |= Q(queue__in=queue_list_for_agent(user=user))
    language = conversation.language if conversation else None
    responses = CannedResponse.objects.filter(condition).select_related("queue")
    if language:
        responses = responses.filter(Q(language="") | Q(language=language))
    return responses


@dataclass
class ConversationPage:
    conversation: Conversation
    messages: list[Message]
    notes: list[InternalNote]
    previous: list[Conversation]
    last_customer_message: Message | None
    last_agent_message: Message | None
    assignment: Assignment | None
    extra: dict = field(default_factory=dict)


def conversation_page(*, conversation: Conversation, user: AbstractBaseUser) -> ConversationPage:
    """Everything the conversation page shows, in a fixed number of queries."""
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("sender_user__agent_profile", "delivery")
        .order_by("seq")
    )
    notes = list(
        InternalNote.objects.filter(conversation=conversation).select_related(
            "author__agent_profile"
        )
    )
    previous: list[Conversation] = []
    if conversation.subject_id:
        # Only for a verified identity: a typed email is a claim, and whoever typed
        # someone else's address must not be shown that person's conversations.
        previous = list(
            Conversation.objects.filter(
                subject_id=conversation.subject_id, subject__email_verified_at__isnull=False
            )
            .exclude(pk=conversation.pk)
            .order_by("-created_at")[:20]
        )
    for note in notes:
        note.author_name = agent_display_name(note.author)
    explanations = bot_answer_explanations(messages=messages, language=conversation.language)
    for message in messages:
        message.agent_name = agent_display_name(message.sender_user)
        # Why the bot said it (intent, confidence band, closest examples): nothing unredacted.
        message.explanation = explanations.get(message.pk)
    customer = [m for m in messages if m.sender == Message.Sender.CUSTOMER]
    agent = [m for m in messages if m.sender == Message.Sender.AGENT]
    return ConversationPage(
        conversation=conversation,
        messages=messages,
        notes=notes,
        previous=previous,
        last_customer_message=customer[-1] if customer else None,
        last_agent_message=agent[-1] if agent else None,
        assignment=assignment_for(conversation=conversation),
    )


# How many messages before a bot answer are read to explain it (its question is among them).
EXPLANATION_CONTEXT_MESSAGES = 10


# At most this many messages per "resume" of the conversation page's socket.
RESUME_MESSAGES_MAX = 500


def conversation_message_frames_since(*, conversation: Conversation, after_seq: int) -> list[dict]:
    """The messages after `after_seq` as the conversation page's live frames (the agent's
    name, why the bot answered): what the page missed between its rendering and its
    socket's join, or while the socket was away. The oldest RESUME_MESSAGES_MAX."""
    # The messages before the first one too: a bot answer is explained by its question.
    messages = list(
        Message.objects.filter(
            conversation=conversation, seq__gt=max(after_seq - EXPLANATION_CONTEXT_MESSAGES, 0)
        )
        .select_related("sender_user__agent_profile")
        .order_by("seq")[: RESUME_MESSAGES_MAX + EXPLANATION_CONTEXT_MESSAGES]
    )
    explanations = bot_answer_explanations(messages=messages, language=conversation.language)
    frames = []
    for message in messages:
        if message.seq <= after_seq or len(frames) >= RESUME_MESSAGES_MAX:
            continue
        frame = message_frame(message)
        if message.sender == Message.Sender.AGENT:
            frame["agent_name"] = agent_display_name(message.sender_user)
        explanation = explanations.get(message.pk)
        if explanation:
            frame["explanation"] = asdict(explanation)
        frames.append(frame)
    return frames


def bot_message_explanation(*, conversation: Conversation, seq: int) -> dict | None:
    """Why the bot said message `seq` (as on the transcript page), for a message that
    arrives live: intent title, band, thresholds and closest examples, nothing unredacted.
    None when it is no bot answer with an intent."""
    messages = list(
        Message.objects.filter(conversation=conversation, seq__lte=seq).order_by("-seq")[
            :EXPLANATION_CONTEXT_MESSAGES
        ]
    )[::-1]
    if not messages or messages[-1].seq != seq:
        return None
    explanation = bot_answer_explanations(messages=messages, language=conversation.language).get(
        messages[-1].pk
    )
    return asdict(explanation) if explanation else None


def teaching_list_pending() -> list[Teaching]:
    teachings = list(
        Teaching.objects.filter(status=Teaching.Status.PENDING).select_related(
            "intent", "created_by__agent_profile"
        )
    )
    for teaching in teachings:
        teaching.author_name = agent_display_name(teaching.created_by)
    return teachings


def intent_list_for_teaching(*, language: str) -> list[tuple[str, str]]:
    """(slug, title) of the active intents, by title: the title in `language` (the page's)
    where the knowledge base has one, else in another language, else the slug."""
    slugs = list(Intent.objects.filter(is_active=True).values_list("slug", flat=True))
    titles = intent_titles(language=language, slugs=slugs)
    return sorted(
        ((slug, titles.get(slug, slug)) for slug in slugs),
        key=lambda item: (item[1].casefold(), item[0]),
    )


def teachings_of_subject_q(subject) -> Q:
    """What was taught from the subject's questions: through their conversations, and
    through the teaching's own link once retention deleted the conversation."""
    return Q(conversation__subject=subject) | Q(subject=subject)


def subject_notes_export(subject) -> dict:
    """The agents app's part of an access export (Art. 15): who handled the subject's
    conversations in which queue, the internal notes, and what the bot was taught from
    them. Staff appear by the name shown to customers."""
    notes = InternalNote.objects.filter(conversation__subject=subject).select_related(
        "conversation"
    )
    assignments = (
        Assignment.objects.filter(conversation__subject=subject)
        .select_related("conversation", "queue", "agent__agent_profile")
        .order_by("created_at", "id")
    )
    teachings = (
        Teaching.objects.filter(teachings_of_subject_q(subject))
        .select_related("conversation", "intent", "created_by__agent_profile")
        .order_by("created_at", "id")
    )
    return {
        "handling": [
            {
                "conversation": str(assignment.conversation.public_id),
                "queue": assignment.queue.name if assignment.queue else None,
                "agent": agent_display_name(assignment.agent) or None,
                "routed_at": assignment.created_at.isoformat(),
                "assigned_at": (
                    assignment.assigned_at.isoformat() if assignment.assigned_at else None
                ),
            }
            for assignment in assignments
        ],
        "internal_notes": [
            {
                "conversation": str(note.conversation.public_id),
                "text": note.text,
                "written_at": note.created_at.isoformat(),
            }
            for note in notes.order_by("created_at", "id")
        ],
        "teachings": [
            {
                # None once retention deleted the conversation (the teaching stays).
                "conversation": (
                    str(teaching.conversation.public_id) if teaching.conversation else None
                ),
                "kind": teaching.kind,
                "status": teaching.status,
                "question": teaching.question_redacted,
                "intent": teaching.intent.slug if teaching.intent else teaching.proposed_slug,
                "taught_by": agent_display_name(teaching.created_by) or None,
                "taught_at": teaching.created_at.isoformat(),
                "decided_at": teaching.decided_at.isoformat() if teaching.decided_at else None,
            }
            for teaching in teachings
        ],
    }


def suggestion_items(*, question: str, language: str, limit: int = 3) -> list[dict]:
    """The bot's best answers to the customer's last question, for one-click insertion."""

    return suggestion_items_rendered(
        answer_suggestion_items(question=question, language=language, limit=limit)
    )


def suggestion_items_rendered(items: list[dict]) -> list[dict]:
    """Each answer also as the customer would see it ("html": the safe markdown subset)
    and as a reply is sent ("plain": plain text, a link's address beside its words)."""
    return [
        {**item, "html": answer_html(item["text"]), "plain": answer_plain(item["text"])}
        for item in items
    ]


def teaching_refusal(origin: Conversation | Teaching) -> tuple[str, Any]:
    """(code, message) when the bot may not be taught from this conversation, or from this
    teaching (which keeps the conversation's person and consent once retention deleted
    the conversation), else ("", ""): the customer objected (Art. 21) or did not consent
    to the bot_improvement purpose."""
    refusal = learning_refusal(subject_id=origin.subject_id, consent_id=origin.consent_id)
    if refusal == LEARNING_OBJECTED:
        return refusal, _(
            "This customer has objected to the bot learning from their conversations, "
            "so it cannot be taught from this one."
        )
    if refusal:
        return refusal, _(
            "This customer has not agreed that their conversation may improve the bot, "
            "so it cannot be taught from this one."
        )
    return "", ""


# Analytics (supervisors) -------------------------------------------------------------------
# Figures from conversation metadata, message counts and intent titles only: no customer's
# name, address or text. Staff appear by the name shown to customers.

# Upper bounds (seconds) of the duration buckets of first-response and resolution times.
DURATION_BUCKETS = (60, 5 * 60, 15 * 60, 60 * 60, 4 * 3600, 24 * 3600)
DURATION_BUCKET_LABELS = (
    _("< 1 min"),
    _("1–5 min"),
    _("5–15 min"),
    _("15–60 min"),
    _("1–4 h"),
    _("4–24 h"),
    _("> 1 day"),
)
TOP_INTENTS = 10


@dataclass(frozen=True)
class Durations:
    """How long something took, over the conversations of the period (seconds)."""

    count: int
    median: float | None
    average: float | None
    # One count per DURATION_BUCKETS bucket, the last for longer ones.
    buckets: list[int]


@dataclass(frozen=True)
class Satisfaction:
    name: str
    average: float
    ratings: int


def _durations(seconds: list[float]) -> Durations:
    buckets = [0] * (len(DURATION_BUCKETS) + 1)
    for value in seconds:
        buckets[next((i for i, top in enumerate(DURATION_BUCKETS) if value < top), -1)] += 1
    return Durations(
        count=len(seconds),
        median=statistics.median(seconds) if seconds else None,
        average=statistics.fmean(seconds) if seconds else None,
        buckets=buckets,
    )


def _period(since: date, until: date) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime.combine(since, time.min)),
        timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)),
    )


def _in_queue(conversations: QuerySet[Conversation], queue: Queue | None) -> QuerySet:
    return conversations.filter(assignment__queue=queue) if queue is not None else conversations


def analytics_first_response(*, since: date, until: date, queue: Queue | None = None) -> Durations:
    """From the escalation to the first reply of a person, for conversations escalated in
    the period that got one (a conversation reopened later counts its last escalation)."""
    start, end = _period(since, until)
    first_reply = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            sender=Message.Sender.AGENT,
            created_at__gte=OuterRef("escalated_at"),
        )
        .values("conversation")
        .annotate(first=Min("created_at"))
        .values("first")[:1]
    )
    rows = (
        _in_queue(Conversation.objects.filter(escalated_at__gte=start, escalated_at__lt=end), queue)
        .annotate(first_reply_at=Subquery(first_reply))
        .exclude(first_reply_at=None)
        .values_list("escalated_at", "first_reply_at")
    )
    return _durations([(replied - escalated).total_seconds() for escalated, replied in rows])


def analytics_resolution(*, since: date, until: date, queue: Queue | None = None) -> Durations:
    """From the escalation to the resolution, for conversations resolved in the period."""
    start, end = _period(since, until)
    rows = _in_queue(
        Conversation.objects.filter(
            resolved_at__gte=start, resolved_at__lt=end, escalated_at__isnull=False
        ),
        queue,
    ).values_list("escalated_at", "resolved_at")
    return _durations(
        [
            (resolved - escalated).total_seconds()
            for escalated, resolved in rows
            if resolved >= escalated
        ]
    )


def _rated(since: date, until: date, queue: Queue | None) -> QuerySet[Conversation]:
    start, end = _period(since, until)
    return _in_queue(
        Conversation.objects.filter(
            resolved_at__gte=start,
            resolved_at__lt=end,
            csat_score__isnull=False,
            assignment__isnull=False,
        ),
        queue,
    )


def analytics_satisfaction_per_agent(
    *, since: date, until: date, queue: Queue | None = None
) -> list[Satisfaction]:
    """Average rating (1–5) of the conversations each agent handled, best first."""
    rows = (
        _rated(since, until, queue)
        .exclude(assignment__agent=None)
        .values("assignment__agent")
        .annotate(average=Avg("csat_score"), ratings=Count("id"))
    )
    users = (
        get_user_model()
        .objects.select_related("agent_profile")
        .in_bulk([row["assignment__agent"] for row in rows])
    )
    return sorted(
        (
            Satisfaction(
                name=agent_display_name(users.get(row["assignment__agent"])),
                average=round(row["average"], 2),
                ratings=row["ratings"],
            )
            for row in rows
        ),
        key=lambda item: (-item.average, item.name),
    )


def analytics_satisfaction_per_queue(
    *, since: date, until: date, queue: Queue | None = None
) -> list[Satisfaction]:
    rows = (
        _rated(since, until, queue)
        .exclude(assignment__queue=None)
        .values("assignment__queue__name")
        .annotate(average=Avg("csat_score"), ratings=Count("id"))
    )
    return sorted(
        (
            Satisfaction(
                name=row["assignment__queue__name"],
                average=round(row["average"], 2),
                ratings=row["ratings"],
            )
            for row in rows
        ),
        key=lambda item: (-item.average, item.name),
    )


def analytics_escalation_reasons(
    *, since: date, until: date, queue: Queue | None = None
) -> list[tuple[str, str, int]]:
    """(code, label, count) of the escalations in the period, most frequent first."""
    start, end = _period(since, until)
    rows = (
        _in_queue(Conversation.objects.filter(escalated_at__gte=start, escalated_at__lt=end), queue)
        .values("escalation_reason")
        .annotate(n=Count("id"))
    )
    return sorted(
        (
            (
                row["escalation_reason"],
                str(ESCALATION_REASONS.get(row["escalation_reason"], row["escalation_reason"])),
                row["n"],
            )
            for row in rows
        ),
        key=lambda item: (-item[2], item[0]),
    )


def _started(since: date, until: date, queue: Queue | None) -> QuerySet[Conversation]:
    start, end = _period(since, until)
    return _in_queue(
        Conversation.objects.filter(created_at__gte=start, created_at__lt=end, last_seq__gt=0),
        queue,
    )


def analytics_volume_by_channel(
    *, since: date, until: date, queue: Queue | None = None
) -> list[tuple[str, str, int]]:
    """(channel, label, conversations started) for every channel, in the model's order."""
    counts = dict(
        _started(since, until, queue)
        .values("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    return [
        (value, str(label), counts.get(value, 0)) for value, label in Conversation.Channel.choices
    ]


def analytics_volume_by_hour(*, since: date, until: date, queue: Queue | None = None) -> list[int]:
    """Conversations started per hour of the day (0–23), in the current time zone."""
    hours = [0] * 24
    rows = (
        _started(since, until, queue)
        .annotate(hour=ExtractHour("created_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("id"))
    )
    for row in rows:
        hours[row["hour"]] = row["n"]
    return hours


def analytics_top_intents(
    *, since: date, until: date, language: str, limit: int = TOP_INTENTS
) -> list[tuple[str, str, int]]:
    """(slug, title, bot answers) of the intents the bot answered most in the period; the
    title in `language` where the knowledge base has one (else another, else the slug)."""
    start, end = _period(since, until)
    rows = list(
        Message.objects.filter(sender=Message.Sender.BOT, created_at__gte=start, created_at__lt=end)
        .exclude(intent_slug="")
        .values("intent_slug")
        .annotate(n=Count("id"))
        .order_by("-n", "intent_slug")[:limit]
    )
    titles = intent_titles(language=language, slugs=[row["intent_slug"] for row in rows])
    return [
        (row["intent_slug"], titles.get(row["intent_slug"], row["intent_slug"]), row["n"])
        for row in rows
    ]
