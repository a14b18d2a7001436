"""The agents' verbs: routing escalations, claiming, replying, resolving, teaching the bot.

Each runs in one transaction, writes its audit row in it, and pushes to the
websockets only after commit (event_pipeline/events.py, through the outbox). Refused input raises
InboxError with a stable `code` and nothing changes; an action the user may
not take raises PermissionDenied.
"""

import logging
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agents.models import AgentProfile, Assignment, CannedResponse, InternalNote, Queue, Teaching
from agents.selectors import (
    ACTIVE_STATUSES,
    agent_display_name,
    agent_least_busy,
    assignment_for,
    conversation_is_free_for,
    conversation_is_visible,
    inbox_row,
    queue_for_conversation,
    teaching_refusal,
    user_is_agent,
    user_sees_all_queues,
)
from bot.chat import conversation_escalate
from bot.conversation_status import conversation_status_move
from bot.knowledge_base import example_question_teach, intent_save
from bot.models import Conversation, ExampleQuestion, Intent, Message
from bot.selectors import conversation_agent_names
from bot.services import MESSAGE_TEXT_MAX_LENGTH, conversation_resolve, message_append
from event_pipeline import events
from event_pipeline.outbox import outbox_actions_run, outbox_event_record
from event_pipeline.webhooks import webhook_event_emit
from platform_core.storable_text import INVALID_TEXT_CODE, text_is_storable
from privacy.models import AuditEvent, DataSubject
from privacy.redaction import text_redact
from privacy.services import audit_record
from privacy.services.audit import AUDIT_NOTE_MAX_LENGTH
from privacy.validators import slug_without_personal_data, text_without_personal_data

logger = logging.getLogger(__name__)

NOTE_TEXT_MAX_LENGTH = 4000
ESCALATION_REASON_MAX_LENGTH = Conversation._meta.get_field("escalation_reason").max_length
CANNED_TITLE_MAX_LENGTH = 100
TEACHING_TITLE_MAX_LENGTH = Teaching._meta.get_field("proposed_title").max_length
# Why an agent may unmask a customer's email: the codes the reveal form and the API offer
# ("other" wants a note saying what).
EMAIL_REVEAL_REASONS = (
    AuditEvent.Reason.CUSTOMER_REQUEST,
    AuditEvent.Reason.ORDER_LOOKUP,
    AuditEvent.Reason.LEGAL_OBLIGATION,
    AuditEvent.Reason.OTHER,
)
# Refusals that are about the conversation's state rather than the input.
CONFLICT_CODES = {
    "already_claimed",
    "already_escalated",
    "not_waiting",
    "conversation_resolved",
    "conversation_closed",
    "not_resolved",
    "not_escalated",
    "not_pending",
    "slug_taken",
    "learning_objected",
    "no_learning_consent",
}


class InboxError(ValidationError):
    """A refused action; `code` is stable (JSON and API clients), the message is for people."""


# Settings, read when used (STYLE.md: never at import) --------------------------------------


def auto_assign_enabled() -> bool:
    return bool(getattr(settings, "AGENTS_AUTO_ASSIGN", False))


def teaching_auto_approve_enabled() -> bool:
    return bool(getattr(settings, "AGENTS_TEACHING_AUTO_APPROVE", False))


# Helpers ------------------------------------------------------------------------------------


def _lock(conversation: Conversation) -> Conversation:
    """The conversation, read afresh under a row lock (its own row only: PostgreSQL refuses
    FOR UPDATE on the nullable side of the subject join)."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("subject")
        .get(pk=conversation.pk)
    )


def _require_visible(user: AbstractBaseUser, conversation: Conversation) -> None:
    if not conversation_is_visible(user=user, conversation=conversation):
        raise PermissionDenied(_("You cannot open this conversation."))


def _require_free(user: AbstractBaseUser, conversation: Conversation) -> None:
    """After _require_visible: nobody else handles it (supervisors may step in)."""
    if not conversation_is_free_for(user=user, conversation=conversation):
        raise PermissionDenied(_("Another agent handles this conversation."))


def _require_can_work(user: AbstractBaseUser, conversation: Conversation) -> None:
    _require_visible(user, conversation)
    _require_free(user, conversation)


def _require_active(conversation: Conversation) -> None:
    if conversation.status in ACTIVE_STATUSES:
        return
    if conversation.status == Conversation.Status.CLOSED:
        raise InboxError(_("This conversation is closed."), code="conversation_closed")
    if conversation.status == Conversation.Status.RESOLVED:
        raise InboxError(
            _("This conversation is resolved. Reopen it first."), code="conversation_resolved"
        )
    raise InboxError(
        _("The bot is handling this conversation; it has not been escalated."),
        code="not_escalated",
    )


def _text_check(text: object, *, max_length: int) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InboxError(_("Please write something first."), code="empty_text")
    text = text.strip()
    if len(text) > max_length:
        raise InboxError(
            _("This text is too long (at most %(limit)d characters).") % {"limit": max_length},
            code="text_too_long",
        )
    if not text_is_storable(text):
        raise InboxError(
            _("This text contains characters that cannot be stored (such as NUL)."),
            code=INVALID_TEXT_CODE,
        )
    return text


def _assignment_ensure(conversation: Conversation) -> Assignment:
    """The conversation's assignment; routed now if the escalation listener did not run."""
    assignment = assignment_for(conversation=conversation)
    if assignment is not None:
        return assignment
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                conversation=conversation, queue=queue_for_conversation(conversation=conversation)
            )
    except IntegrityError:  # routed meanwhile by another process
        assignment = Assignment.objects.get(conversation=conversation)
    conversation.assignment = assignment
    return assignment


def _audit(
    action: str,
    *,
    acting_user: AbstractBaseUser | None,
    conversation: Conversation,
    reason_code: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        action=action,
        acting_user=acting_user,
        target=conversation,
        subject=conversation.subject if conversation.subject_id else None,
        reason_code=reason_code,
        reason=reason,
        details=details,
    )


def _now_iso() -> str:
    return timezone.now().isoformat()


def _inbox_row_actions(
    conversation: Conversation,
    *,
    queue_ids: set[int | None] = frozenset(),
    user_ids: set[int] = frozenset(),
) -> tuple[Conversation, dict, list]:
    """The conversation's fresh inbox row, for the inboxes of its queue and agent, and of
    the given queues (old and new) and users: (conversation reloaded, row, push actions)."""
    conversation = Conversation.objects.select_related(
        "assignment__queue", "assignment__agent__agent_profile"
    ).get(pk=conversation.pk)
    row = inbox_row(conversation)
    assignment = assignment_for(conversation=conversation)
    queues = set(queue_ids) | {assignment.queue_id if assignment else None}
    users = set(user_ids) | ({assignment.agent_id} if assignment and assignment.agent_id else set())
    groups = {events.inbox_group(queue_id) for queue_id in queues if queue_id is not None}
    groups |= {events.INBOX_ALL_GROUP}
    groups |= {events.staff_group(user_id) for user_id in users}
    actions = events.inbox_event_actions(
        groups=groups, payload={"type": "conversation.update", "conversation": row}
    )
    return conversation, row, actions


def _publish(
    conversation: Conversation,
    *,
    customer_frames: list[dict] = (),
    agent_payloads: list[dict] = (),
    queue_ids: set[int | None] = frozenset(),
    user_ids: set[int] = frozenset(),
) -> None:
    """After commit (one outbox event): frames to the customer, events to the agents
    watching the conversation, and its fresh inbox row to the inboxes of the given queues
    (old and new) and users."""
    public_hex = conversation.public_id.hex
    for frame in customer_frames:
        # Operators' webhooks hear of the same state changes the customer is told of.
        if frame.get("type") == "status" and frame.get("status") in ("assigned", "resolved"):
            webhook_event_emit(
                event=f"conversation.{frame['status']}",
                payload={"conversation": str(conversation.public_id), "status": frame["status"]},
            )
    actions = events.customer_frames_actions(public_hex=public_hex, frames=list(customer_frames))
    actions += [
        events.conversation_event_action(public_hex=public_hex, payload=payload)
        for payload in agent_payloads
    ]
    conversation, row, inbox_actions = _inbox_row_actions(
        conversation, queue_ids=queue_ids, user_ids=user_ids
    )
    actions += inbox_actions
    if conversation.status != Conversation.Status.BOT:
        actions.append(
            events.conversation_event_action(
                public_hex=public_hex,
                payload={
                    "type": "state",
                    "status": conversation.status,
                    "agent_id": row["agent_id"],
                    "agent_name": row["agent_name"],
                    "queue_id": row["queue_id"],
                    "queue_name": row["queue_name"],
                },
            )
        )
    outbox_event_record(
        kind="conversation.changed", actions=actions, reference=conversation.public_id
    )


def _system_message(conversation: Conversation, text: str) -> Message:
    return message_append(conversation=conversation, sender=Message.Sender.SYSTEM, text=text)[0]


# Routing -------------------------------------------------------------------------------------


@transaction.atomic
def assignment_route(*, conversation_id: int, queue: Queue | None = None) -> Assignment | None:
    """Route an escalated conversation to `queue`, or else to the queue its language and
    topic pick (and, if enabled, to an agent of it).

    Idempotent: a conversation already routed, or no longer waiting, is left alone.
    """
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("subject")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or conversation.status != Conversation.Status.WAITING:
        return None
    earlier = Assignment.objects.select_related("agent").filter(conversation=conversation).first()
    if earlier is not None:
        # Escalated again (the customer wrote after resolution): back to whoever had it.
        if earlier.agent is not None and earlier.agent.is_active:
            conversation_status_move(conversation=conversation, to=Conversation.Status.ASSIGNED)
        conversation.assignment = earlier
        _publish(conversation, customer_frames=[])
        return earlier
    if queue is None:
        queue = queue_for_conversation(conversation=conversation)
    assignment = Assignment.objects.create(conversation=conversation, queue=queue)
    conversation.assignment = assignment
    _audit(
        "conversation.routed",
        acting_user=None,
        conversation=conversation,
        details={"queue": queue.slug if queue else None, "reason": conversation.escalation_reason},
    )
    customer_frames: list[dict] = []
    agent = agent_least_busy(queue=queue) if queue is not None and auto_assign_enabled() else None
    if agent is not None:
        now = timezone.now()
        Assignment.objects.filter(pk=assignment.pk).update(agent=agent, assigned_at=now)
        conversation_status_move(conversation=conversation, to=Conversation.Status.ASSIGNED)
        _audit(
            "conversation.assigned",
            acting_user=None,
            conversation=conversation,
            details={"agent": agent.pk, "automatic": True},
        )
        customer_frames.append(_status_frame(Conversation.Status.ASSIGNED, agent))
    _publish(conversation, customer_frames=customer_frames)
    return assignment


def escalation_route(conversation_id: int) -> None:
    """bot's escalation listener (registered in AgentsConfig.ready()).

    Runs after the customer's transaction committed; a failure here is logged,
    never raised into the customer's chat. The conversation is then routed when
    an agent claims it (see _assignment_ensure).
    """
    try:
        assignment_route(conversation_id=conversation_id)
    except Exception:
        logger.exception("Routing escalated conversation %s failed", conversation_id)


def inbox_row_push(conversation_id: int) -> None:
    """bot's listener for a customer's message in a conversation a person handles: the
    inboxes show the conversation's new preview (registered in AgentsConfig.ready()).

    Runs after the customer's transaction committed; a failure is logged, never raised
    into the customer's chat.
    """
    try:
        # Already dispatched from the outbox: pushed now, without a row of its own.
        outbox_actions_run(_inbox_row_actions(Conversation(pk=conversation_id))[2])
    except Exception:
        logger.exception("Updating the inbox row of conversation %s failed", conversation_id)


def _require_with_bot(conversation: Conversation) -> None:
    if conversation.status == Conversation.Status.BOT:
        return
    if conversation.status in ACTIVE_STATUSES:
        raise InboxError(
            _("This conversation has already been handed to the team."), code="already_escalated"
        )
    if conversation.status == Conversation.Status.CLOSED:
        raise InboxError(_("This conversation is closed."), code="conversation_closed")
    raise InboxError(
        _("This conversation is resolved. Reopen it instead."), code="conversation_resolved"
    )


@transaction.atomic
def conversation_escalate_by_staff(
    *,
    conversation: Conversation,
    reason: object,
    acting_user: AbstractBaseUser,
    queue_slug: str = "",
) -> Conversation:
    """Hand a conversation the bot is handling to the team (e.g. an operator's CRM over the
    API): to the queue named, or routed as the customer's own escalation would be.

    Only supervisors and admins pass the visibility check: with the bot, a conversation is
    in nobody's queue yet.
    """
    reason = _text_check(reason, max_length=ESCALATION_REASON_MAX_LENGTH)
    # Usually a code ("billing"), but typed by a person or a CRM: stored as the gate leaves it.
    known_names = _known_names(conversation)
    reason = text_redact(reason, known_names=known_names)[:ESCALATION_REASON_MAX_LENGTH]
    queue = None
    if queue_slug:
        queue = Queue.objects.filter(slug=queue_slug).first()
        if queue is None:
            raise InboxError(_("There is no such queue."), code="unknown_queue")
    conversation = _lock(conversation)
    _require_visible(acting_user, conversation)
    _require_with_bot(conversation)
    conversation = conversation_escalate(conversation=conversation, reason=reason)
    _audit(
        "conversation.escalated",
        acting_user=acting_user,
        conversation=conversation,
        reason=reason,
        details={"queue": queue.slug if queue else None},
    )
    if queue is not None:
        # Routed here, in this transaction: the escalation listener runs after commit and
        # then finds the conversation routed already.
        assignment_route(conversation_id=conversation.pk, queue=queue)
    return conversation


def _status_frame(status: str, agent: AbstractBaseUser | None = None) -> dict:
    return events.status_frame(status, agent_name=agent_display_name(agent) if agent else "")


# Claim, assign, transfer -------------------------------------------------------------------


def _claim(conversation: Conversation, agent: AbstractBaseUser) -> Assignment:
    """The conditional claim: of two agents at once exactly one gets the row."""
    assignment = _assignment_ensure(conversation)
    now = timezone.now()
    won = Assignment.objects.filter(pk=assignment.pk, agent__isnull=True).update(
        agent=agent, assigned_at=now, updated_at=now
    )
    if not won:
        holder = Assignment.objects.select_related("agent__agent_profile").get(pk=assignment.pk)
        if holder.agent_id == agent.pk:
            return holder
        raise InboxError(
            _("%(name)s has already claimed this conversation.")
            % {"name": agent_display_name(holder.agent)},
            code="already_claimed",
        )
    moved = conversation_status_move(
        conversation=conversation,
        to=Conversation.Status.ASSIGNED,
        expected=[Conversation.Status.WAITING],
    )
    if not moved:
        # Resolved or closed meanwhile: the transaction rolls the claim back.
        raise InboxError(_("This conversation is no longer waiting."), code="not_waiting")
    assignment.refresh_from_db()
    conversation.assignment = assignment
    return assignment


@transaction.atomic
def conversation_claim(*, conversation: Conversation, agent: AbstractBaseUser) -> Assignment:
    """Take a waiting conversation. A second agent claiming at once gets InboxError
    `already_claimed` naming the winner."""
    _require_visible(agent, conversation)
    # No row lock first: the conditional UPDATE in _claim is the lock, and a loser
    # blocked behind the winner's lock re-reads the row once the winner commits.
    conversation = Conversation.objects.select_related("subject").get(pk=conversation.pk)
    if conversation.status != Conversation.Status.WAITING:
        holder = assignment_for(conversation=conversation)
        if conversation.status == Conversation.Status.ASSIGNED and holder and holder.agent_id:
            if holder.agent_id == agent.pk:
                return holder
            raise InboxError(
                _("%(name)s has already claimed this conversation.")
                % {"name": agent_display_name(holder.agent)},
                code="already_claimed",
            )
        _require_active(conversation)
    assignment = _claim(conversation, agent)
    _audit("conversation.claimed", acting_user=agent, conversation=conversation)
    _publish(conversation, customer_frames=[_status_frame(Conversation.Status.ASSIGNED, agent)])
    return assignment


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, agent: AbstractBaseUser, acting_user: AbstractBaseUser
) -> Assignment:
    """Hand the conversation to an agent (a supervisor, or the agent who has it)."""
    conversation = _lock(conversation)
    _require_active(conversation)
    _require_can_work(acting_user, conversation)
    assignment = _assignment_ensure(conversation)
    if agent is None or not user_is_agent(user=agent):
        raise InboxError(_("There is no such agent."), code="unknown_agent")
    in_queue = (
        assignment.queue_id is not None and assignment.queue.members.filter(pk=agent.pk).exists()
    )
    if not (in_queue or user_sees_all_queues(user=agent)):
        raise InboxError(
            _("%(name)s is not a member of this conversation's queue.")
            % {"name": agent_display_name(agent)},
            code="agent_not_in_queue",
        )
    previous_agent_id = assignment.agent_id
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(agent=agent, assigned_at=now, updated_at=now)
    if conversation.status == Conversation.Status.WAITING:
        conversation_status_move(conversation=conversation, to=Conversation.Status.ASSIGNED)
    else:  # assigned already: to another agent
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    _audit(
        "conversation.assigned",
        acting_user=acting_user,
        conversation=conversation,
        details={"agent": agent.pk, "previous_agent": previous_agent_id},
    )
    _publish(
        conversation,
        customer_frames=[_status_frame(Conversation.Status.ASSIGNED, agent)],
        user_ids={previous_agent_id} if previous_agent_id else set(),
    )
    return Assignment.objects.get(pk=assignment.pk)


@transaction.atomic
def conversation_transfer(
    *, conversation: Conversation, queue_id: object, acting_user: AbstractBaseUser
) -> Assignment:
    """Move the conversation to another queue, where it waits for that queue's agents."""
    queue = None
    if isinstance(queue_id, int) or (isinstance(queue_id, str) and queue_id.isdigit()):
        queue = Queue.objects.filter(pk=int(queue_id)).first()
    if queue is None:
        raise InboxError(_("There is no such queue."), code="unknown_queue")
    conversation = _lock(conversation)
    _require_active(conversation)
    _require_can_work(acting_user, conversation)
    assignment = _assignment_ensure(conversation)
    previous_queue_id, previous_agent_id = assignment.queue_id, assignment.agent_id
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(
        queue=queue, agent=None, assigned_at=None, updated_at=now
    )
    if conversation.status == Conversation.Status.ASSIGNED:
        conversation_status_move(conversation=conversation, to=Conversation.Status.WAITING)
    else:  # waiting already: in another queue now
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    _audit(
        "conversation.transferred",
        acting_user=acting_user,
        conversation=conversation,
        details={"from_queue": previous_queue_id, "to_queue": queue.pk},
    )
    _publish(
        conversation,
        customer_frames=[_status_frame(Conversation.Status.WAITING)],
        queue_ids={previous_queue_id},
        user_ids={previous_agent_id} if previous_agent_id else set(),
    )
    return Assignment.objects.get(pk=assignment.pk)


# Replies, notes, typing ----------------------------------------------------------------------


@transaction.atomic
def conversation_reply(
    *, conversation: Conversation, agent: AbstractBaseUser, text: object
) -> Message:
    """Send the customer an agent's reply; a waiting conversation is claimed by it."""
    text = _text_check(text, max_length=MESSAGE_TEXT_MAX_LENGTH)
    conversation = _lock(conversation)
    _require_visible(agent, conversation)
    _require_active(conversation)
    _require_free(agent, conversation)
    claimed = False
    if conversation.status == Conversation.Status.WAITING:
        _claim(conversation, agent)
        claimed = True
    message, _created = message_append(
        conversation=conversation, sender=Message.Sender.AGENT, text=text, sender_user=agent
    )
    _audit(
        "conversation.replied",
        acting_user=agent,
        conversation=conversation,
        details={"seq": message.seq},
    )
    frame = events.message_frame(message)
    frames = [_status_frame(Conversation.Status.ASSIGNED, agent), frame] if claimed else [frame]
    public_hex = conversation.public_id.hex
    outbox_event_record(
        kind="message.created",
        actions=[
            *events.customer_frames_actions(public_hex=public_hex, frames=frames),
            events.conversation_event_action(
                public_hex=public_hex, payload={**frame, "agent_name": agent_display_name(agent)}
            ),
        ],
        reference=conversation.public_id,
    )
    if claimed:
        _publish(conversation)
    return message


@transaction.atomic
def note_add(*, conversation: Conversation, author: AbstractBaseUser, text: object) -> InternalNote:
    """An internal note: stored encrypted, shown to agents, never sent to the customer."""
    text = _text_check(text, max_length=NOTE_TEXT_MAX_LENGTH)
    conversation = _lock(conversation)
    _require_visible(author, conversation)
    if conversation.status == Conversation.Status.CLOSED:
        raise InboxError(_("This conversation is closed."), code="conversation_closed")
    note = InternalNote.objects.create(conversation=conversation, author=author, text=text)
    _audit("note.added", acting_user=author, conversation=conversation, details={"note": note.pk})
    events.conversation_event_publish(
        public_hex=conversation.public_id.hex,
        payload={
            "type": "note",
            "id": note.pk,
            "text": note.text,
            "author": agent_display_name(author),
            "written_at": note.created_at.isoformat(),
        },
    )
    return note


def typing_frame_send(*, conversation: Conversation) -> None:
    """The customer sees "the team is typing"; nothing is stored."""
    events.customer_typing_send(public_hex=conversation.public_id.hex, sender="agent")


# Resolve, reopen -----------------------------------------------------------------------------


@transaction.atomic
def conversation_resolve_by_agent(
    *, conversation: Conversation, agent: AbstractBaseUser
) -> Conversation:
    """Resolve: sets resolved_at (the retention clock starts), tells the customer and asks
    for a satisfaction rating (frame `csat.request`)."""
    conversation = _lock(conversation)
    _require_visible(agent, conversation)
    _require_active(conversation)
    _require_free(agent, conversation)
    assignment = _assignment_ensure(conversation)
    conversation_resolve(conversation=conversation)
    with translation.override(conversation.language):
        notice = _system_message(
            conversation,
            _(
                "Our team has marked your request as resolved. If you need anything else, "
                "just write here."
            ),
        )
    _audit("conversation.resolved", acting_user=agent, conversation=conversation)
    _publish(
        conversation,
        customer_frames=[
            events.message_frame(notice),
            _status_frame(Conversation.Status.RESOLVED),
            {"type": "csat.request"},
        ],
        agent_payloads=[{**events.message_frame(notice)}],
        user_ids={assignment.agent_id} if assignment.agent_id else set(),
    )
    return conversation


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, agent: AbstractBaseUser) -> Conversation:
    """Reopen a resolved conversation; the reopening agent handles it. A closed one stays closed."""
    conversation = _lock(conversation)
    _require_visible(agent, conversation)
    if conversation.status == Conversation.Status.CLOSED:
        raise InboxError(_("This conversation is closed."), code="conversation_closed")
    if conversation.status != Conversation.Status.RESOLVED:
        raise InboxError(_("Only a resolved conversation can be reopened."), code="not_resolved")
    assignment = _assignment_ensure(conversation)
    now = timezone.now()
    conversation_status_move(conversation=conversation, to=Conversation.Status.ASSIGNED)
    Assignment.objects.filter(pk=assignment.pk).update(agent=agent, assigned_at=now, updated_at=now)
    with translation.override(conversation.language):
        notice = _system_message(
            conversation, _("Our team has reopened your request and will answer here.")
        )
    _audit("conversation.reopened", acting_user=agent, conversation=conversation)
    _publish(
        conversation,
        customer_frames=[
            events.message_frame(notice),
            _status_frame(Conversation.Status.ASSIGNED, agent),
        ],
        agent_payloads=[events.message_frame(notice)],
    )
    return conversation


# Reads of personal data that are audited -----------------------------------------------------


@transaction.atomic
def conversation_view_record(
    *, conversation: Conversation, acting_user: AbstractBaseUser, channel: str = "page"
) -> None:
    """A staff member opened the transcript (personal data): one audit event."""
    _require_visible(acting_user, conversation)
    _audit(
        "conversation.viewed",
        acting_user=acting_user,
        conversation=conversation,
        reason_code=AuditEvent.Reason.SUPPORT,
        details={"via": channel},
    )


@transaction.atomic
def inbox_customers_view_record(
    *, subjects: list[DataSubject], acting_user: AbstractBaseUser, via: str = "inbox"
) -> int:
    """The inbox list showed these customers' names to a staff member: one audit event per
    customer and staff member and day (the list reloads often; the first read of the day
    says who saw whom). Returns how many events were written."""
    if not subjects:
        return 0
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    seen = set(
        AuditEvent.objects.filter(
            action="subject.listed",
            acting_user=acting_user,
            created_at__gte=start,
            subject_public_id__in=[subject.public_id for subject in subjects],
        ).values_list("subject_public_id", flat=True)
    )
    written = 0
    for subject in {subject.pk: subject for subject in subjects}.values():
        if subject.public_id in seen:
            continue
        audit_record(
            action="subject.listed",
            acting_user=acting_user,
            target=subject,
            reason_code=AuditEvent.Reason.SUPPORT,
            details={"via": via},
        )
        written += 1
    return written


@transaction.atomic
def subject_email_reveal(
    *,
    conversation: Conversation,
    acting_user: AbstractBaseUser,
    reason_code: object,
    note: object = "",
) -> str:
    """The customer's email, unmasked, for a user allowed to see personal data; audited with
    a reason code (EMAIL_REVEAL_REASONS) and an optional note, stored redacted."""
    _require_visible(acting_user, conversation)
    if not acting_user.has_perm("privacy.view_personal_data"):
        raise PermissionDenied(_("You may not see customers' personal data."))
    if reason_code not in EMAIL_REVEAL_REASONS:
        raise InboxError(_("Choose why you need the email address."), code="invalid_reason")
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > AUDIT_NOTE_MAX_LENGTH:
        raise InboxError(
            _("Give a text of at most %(max)s characters.") % {"max": AUDIT_NOTE_MAX_LENGTH},
            code="invalid_note",
        )
    if reason_code == AuditEvent.Reason.OTHER and not note:
        raise InboxError(_("Say in a note why you need the email address."), code="note_required")
    subject = conversation.subject
    if subject is None or not subject.email:
        raise InboxError(_("This customer has not given an email address."), code="no_email")
    audit_record(
        action="subject.email_revealed",
        acting_user=acting_user,
        target=subject,
        reason_code=reason_code,
        reason=note,
        details={"conversation": str(conversation.public_id)},
    )
    return subject.email


# Availability --------------------------------------------------------------------------------


@transaction.atomic
def agent_availability_set(*, user: AbstractBaseUser, availability: object) -> AgentProfile:
    if availability not in AgentProfile.Availability.values:
        raise InboxError(_("Unknown availability."), code="invalid_availability")
    profile, _created = AgentProfile.objects.get_or_create(
        user=user, defaults={"display_name": user.get_username()}
    )
    if profile.availability != availability:
        profile.availability = availability
        profile.save(update_fields=["availability", "updated_at"])
    events.inbox_event_publish(
        groups={events.INBOX_PRESENCE_GROUP},
        payload={
            "type": "agent.availability",
            "agent_id": user.pk,
            "agent_name": profile.display_name,
            "availability": profile.availability,
        },
    )
    return profile


# Canned responses ----------------------------------------------------------------------------


@transaction.atomic
def canned_response_create(
    *,
    acting_user: AbstractBaseUser,
    title: object,
    text: object,
    language: str = "",
    queue: Queue | None = None,
) -> CannedResponse:
    """A personal canned response, or a queue's (supervisors only)."""
    title = _text_check(title, max_length=CANNED_TITLE_MAX_LENGTH)
    text = _text_check(text, max_length=MESSAGE_TEXT_MAX_LENGTH)
    if language not in ("", *dict(settings.LANGUAGES)):
        raise InboxError(_("Unknown language."), code="invalid_language")
    if queue is not None and not acting_user.has_perm("agents.change_cannedresponse"):
        raise PermissionDenied(_("Only supervisors manage a queue's canned responses."))
    return CannedResponse.objects.create(
        title=title,
        text=text,
        language=language,
        queue=queue,
        owner=None if queue is not None else acting_user,
    )


@transaction.atomic
def canned_response_delete(
    *, canned_response: CannedResponse, acting_user: AbstractBaseUser
) -> None:
    if canned_response.owner_id != acting_user.pk and not acting_user.has_perm(
        "agents.delete_cannedresponse"
    ):
        raise PermissionDenied(_("This canned response is not yours."))
    canned_response.delete()


# Teaching the bot ----------------------------------------------------------------------------


def _require_learning_allowed(conversation: Conversation | None) -> None:
    """Refused, with a message that says why, before anything is stored or approved."""
    code, message = teaching_refusal(conversation)
    if code:
        raise InboxError(message, code=code)


def _known_names(conversation: Conversation | None) -> list[str]:
    """The customer's own name (read afresh: never the cached subject of a conversation
    object that may predate an identification) and its agents' names, for the gate."""
    if conversation is None:
        return []
    subject = (
        DataSubject.objects.filter(pk=conversation.subject_id).first()
        if conversation.subject_id
        else None
    )
    own = [subject.name] if subject is not None and subject.name else []
    # The agents who wrote in it: their names are hidden like the customer's.
    return own + conversation_agent_names(conversation=conversation)


def _slug_from(text: str) -> str:
    return slugify(text)[:100].strip("-")


def _without_personal_data(
    value: object, *, field: str, max_length: int, known_names: list[str], slug: bool = False
) -> str:
    """A supervisor's edit of a proposal: kept as written when the gate finds nothing in it,
    else refused (never silently changed: the supervisor approves what they see)."""
    if not isinstance(value, str):
        raise InboxError(_("Send text."), code="invalid_text")
    value = value.replace("\r\n", "\n").strip()  # a form's textarea sends CRLF
    if not value or len(value) > max_length:
        raise InboxError(
            _("Give a text of at most %(max)s characters.") % {"max": max_length},
            code=f"invalid_{field}",
        )
    check = slug_without_personal_data if slug else text_without_personal_data
    try:
        check(value, known_names=known_names)
    except ValidationError as error:
        raise InboxError(" ".join(error.messages), code="personal_data") from None
    return value


@transaction.atomic
def teaching_create(
    *,
    conversation: Conversation,
    agent: AbstractBaseUser,
    intent_slug: str = "",
    proposed_slug: str = "",
    proposed_title: str = "",
    proposed_answer: str = "",
) -> Teaching:
    """Store what the agent taught: the customer's last question (redacted only) linked to an
    intent, or a new intent proposed with the agent's title, slug and answer, each passed
    through the redaction gate (with the customer's own name) before it is stored.

    Refused when the customer objected to learning or did not consent to bot improvement.
    Approved at once where the agent may approve, or AGENTS_TEACHING_AUTO_APPROVE is on.
    """
    _require_visible(agent, conversation)
    _require_learning_allowed(conversation)
    question = (
        Message.objects.filter(conversation=conversation, sender=Message.Sender.CUSTOMER)
        .order_by("-seq")
        .values_list("text_redacted", flat=True)
        .first()
    )
    if not question or not question.strip():
        raise InboxError(_("The customer has not asked anything yet."), code="no_question")
    known_names = _known_names(conversation)
    # The stored copy was redacted when the message arrived; the gate runs again with the
    # customer's own name, so what an older or name-blind pass kept does not go further.
    question = text_redact(question.strip(), known_names=known_names)
    question = question[: ExampleQuestion._meta.get_field("text").max_length]
    teaching = Teaching(
        conversation=conversation,
        created_by=agent,
        language=conversation.language,
        question_redacted=question,
    )
    if intent_slug:
        teaching.kind = Teaching.Kind.LINK
        teaching.intent = Intent.objects.filter(slug=intent_slug).first()
        if teaching.intent is None:
            raise InboxError(_("There is no such intent."), code="unknown_intent")
    else:
        teaching.kind = Teaching.Kind.NEW_INTENT
        # Title and slug are short labels without sentence context: checked like every
        # intent title (privacy.validators), without the trained recogniser, which took
        # words like "Cards" for names; patterns, lists and the customer's name apply.
        title = text_redact(
            (proposed_title or "").strip()[:TEACHING_TITLE_MAX_LENGTH],
            known_names=known_names,
            use_recogniser=False,
        )
        # The slug is read as the words it joins and redacted like the title; without one
        # it is derived from the redacted title, never from what the agent typed.
        slug_words = (proposed_slug or "").replace("-", " ").replace("_", " ").strip()
        redacted_words = text_redact(slug_words, known_names=known_names, use_recogniser=False)
        if not slug_words:
            teaching.proposed_slug = _slug_from(title)
        elif redacted_words == slug_words:  # nothing found: the agent's slug as written
            teaching.proposed_slug = _slug_from(proposed_slug)
        else:
            teaching.proposed_slug = _slug_from(redacted_words)
        if not teaching.proposed_slug:
            raise InboxError(
                _("Name the new intent (letters, digits and hyphens)."), code="invalid_slug"
            )
        if Intent.objects.filter(slug=teaching.proposed_slug).exists():
            raise InboxError(
                _("An intent with this name exists already: link the question to it instead."),
                code="slug_taken",
            )
        teaching.proposed_title = title or teaching.proposed_slug
        answer = _text_check(proposed_answer, max_length=MESSAGE_TEXT_MAX_LENGTH)
        # The answer may name the customer: only its redacted form is kept.
        teaching.proposed_answer = text_redact(answer, known_names=known_names)
    teaching.save()
    _audit(
        "teaching.created",
        acting_user=agent,
        conversation=conversation,
        details={"teaching": teaching.pk, "kind": teaching.kind},
    )
    if agent.has_perm("agents.approve_teaching") or teaching_auto_approve_enabled():
        _teaching_approve(teaching, agent)
    return teaching


def _teaching_approve(teaching: Teaching, acting_user: AbstractBaseUser) -> None:
    conversation = (
        Conversation.objects.filter(pk=teaching.conversation_id).first()
        if teaching.conversation_id
        else None
    )
    # An objection filed after the teaching, before the approval, still counts.
    _require_learning_allowed(conversation)
    if teaching.kind == Teaching.Kind.NEW_INTENT:
        if Intent.objects.filter(slug=teaching.proposed_slug).exists():
            raise InboxError(_("An intent with this name exists already."), code="slug_taken")
        # The last check before every customer can see them: what the gate still finds
        # (with the customer's own name) is sent back to the supervisor to edit.
        known_names = _known_names(conversation)
        for key, value in (
            ("slug", teaching.proposed_slug),
            ("title", teaching.proposed_title),
            ("answer", teaching.proposed_answer),
        ):
            _without_personal_data(
                value,
                field=key,
                max_length=MESSAGE_TEXT_MAX_LENGTH,
                known_names=known_names,
                slug=key == "slug",
            )
        try:
            teaching.intent = intent_save(
                slug=teaching.proposed_slug,
                titles={teaching.language: teaching.proposed_title or teaching.proposed_slug},
                answers={teaching.language: teaching.proposed_answer},
                examples={},
            )
        except ValidationError as error:
            # The teaching's own checks (at creation, above) leave nothing for these.
            raise InboxError(" ".join(error.messages), code="invalid_teaching") from None
    example_question_teach(
        intent=teaching.intent,
        language=teaching.language,
        text=teaching.question_redacted,
        subject_id=conversation.subject_id if conversation else None,
        consent_id=conversation.consent_id if conversation else None,
    )
    teaching.status = Teaching.Status.APPROVED
    teaching.decided_by = acting_user
    teaching.decided_at = timezone.now()
    teaching.save(update_fields=["status", "decided_by", "decided_at", "intent"])
    audit_record(
        action="teaching.approved",
        acting_user=acting_user,
        target=teaching,
        details={"intent": teaching.intent.slug},
    )


def _require_pending(teaching: Teaching, acting_user: AbstractBaseUser) -> Teaching:
    if not acting_user.has_perm("agents.approve_teaching"):
        raise PermissionDenied(_("Only supervisors approve what agents teach the bot."))
    locked = Teaching.objects.select_for_update().get(pk=teaching.pk)
    if locked.status != Teaching.Status.PENDING:
        raise InboxError(_("This teaching has been decided already."), code="not_pending")
    return locked


def _teaching_edit(teaching: Teaching, edits: dict[str, object]) -> list[str]:
    """Apply a supervisor's edits of the proposal (question, title, slug, answer); each
    must pass the redaction gate. Returns the names of the fields that changed."""
    conversation = (
        Conversation.objects.filter(pk=teaching.conversation_id).first()
        if teaching.conversation_id
        else None
    )
    known_names = _known_names(conversation)
    changed = []
    editable = {
        "question": ("question_redacted", ExampleQuestion._meta.get_field("text").max_length)
    }
    if teaching.kind == Teaching.Kind.NEW_INTENT:
        editable |= {
            "title": ("proposed_title", TEACHING_TITLE_MAX_LENGTH),
            "slug": ("proposed_slug", 100),
            "answer": ("proposed_answer", MESSAGE_TEXT_MAX_LENGTH),
        }
    unknown = sorted(set(edits) - set(editable))
    if unknown:
        raise InboxError(_("This part of the teaching cannot be edited."), code="not_editable")
    for key, value in edits.items():
        field, max_length = editable[key]
        if key == "slug":
            value = _without_personal_data(
                value, field=key, max_length=max_length, known_names=known_names, slug=True
            )
            if slugify(value) != value:
                raise InboxError(
                    _("Name the new intent (letters, digits and hyphens)."), code="invalid_slug"
                )
        else:
            value = _without_personal_data(
                value, field=key, max_length=max_length, known_names=known_names
            )
        if getattr(teaching, field) != value:
            setattr(teaching, field, value)
            changed.append(key)
    if changed:
        teaching.save(update_fields=[editable[key][0] for key in changed])
    return changed


@transaction.atomic
def teaching_approve(
    *,
    teaching: Teaching,
    acting_user: AbstractBaseUser,
    edits: dict[str, object] | None = None,
) -> Teaching:
    """Approve: the redacted question becomes an example question (source "agent") of the
    intent; a proposed intent is created with its answer first.

    `edits` ("question", "title", "slug", "answer") change the proposal first; each must be
    free of personal data (else InboxError code "personal_data", and nothing changes).
    """
    teaching = _require_pending(teaching, acting_user)
    changed = _teaching_edit(teaching, edits or {})
    if changed:
        audit_record(
            action="teaching.edited",
            acting_user=acting_user,
            target=teaching,
            details={"fields": changed},
        )
    _teaching_approve(teaching, acting_user)
    return teaching


@transaction.atomic
def teaching_reject(*, teaching: Teaching, acting_user: AbstractBaseUser) -> Teaching:
    teaching = _require_pending(teaching, acting_user)
    teaching.status = Teaching.Status.REJECTED
    teaching.decided_by = acting_user
    teaching.decided_at = timezone.now()
    teaching.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(action="teaching.rejected", acting_user=acting_user, target=teaching)
    return teaching


# Personal data (the registry's provider), accounts -------------------------------------------


def subject_notes_erase(subject) -> dict[str, int]:
    """Erasure: the internal notes of the subject's conversations (their assignments go
    with the conversations), and what agents taught from them: redacted, but derived from
    the person's words, and a pending one would otherwise lose the link to its person
    and could be approved into training after the erasure. Intents created by approved
    teachings stay (their texts are the agent's); the examples go with bot's provider."""
    deleted, _by_model = InternalNote.objects.filter(conversation__subject=subject).delete()
    teachings, _by_model = Teaching.objects.filter(conversation__subject=subject).delete()
    return {"internal_notes": deleted, "teachings": teachings}
