"""What the agents' verbs share: refusals (InboxError), settings, locks, checks, audit
rows and the pushes after commit. Public names: the sibling modules import them (the
package's __init__ exports only the verbs)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agents.models import Assignment, Teaching
from agents.selectors import (
    ACTIVE_STATUSES,
    agent_display_name,
    assignment_for,
    conversation_is_free_for,
    conversation_is_visible,
    inbox_row,
    queue_for_conversation,
)
from bot.models import Conversation, Message
from bot.selectors import conversation_agent_names
from bot.services import message_append
from event_pipeline import events
from event_pipeline.outbox import outbox_event_record
from event_pipeline.webhooks import webhook_event_emit
from platform_core.storable_text import INVALID_TEXT_CODE, text_is_storable
from privacy.models import AuditEvent, DataSubject
from privacy.services import audit_record

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


def conversation_lock(conversation: Conversation) -> Conversation:
    """The conversation, read afresh under a row lock (its own row only: PostgreSQL refuses
    FOR UPDATE on the nullable side of the subject join)."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("subject")
        .get(pk=conversation.pk)
    )


def require_visible(user: AbstractBaseUser, conversation: Conversation) -> None:
    if not conversation_is_visible(user=user, conversation=conversation):
        raise PermissionDenied(_("You cannot open this conversation."))


def require_free(user: AbstractBaseUser, conversation: Conversation) -> None:
    """After require_visible: nobody else handles it (supervisors may step in)."""
    if not conversation_is_free_for(user=user, conversation=conversation):
        raise PermissionDenied(_("Another agent handles this conversation."))


def require_can_work(user: AbstractBaseUser, conversation: Conversation) -> None:
    require_visible(user, conversation)
    require_free(user, conversation)


def require_active(conversation: Conversation) -> None:
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


def staff_text_clean(text: object, *, max_length: int) -> str:
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


def assignment_ensure(conversation: Conversation) -> Assignment:
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


def conversation_known_names(conversation: Conversation | None) -> list[str]:
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


def conversation_audit(
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


def inbox_row_actions(
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


def conversation_publish(
    conversation: Conversation,
    *,
    customer_frames: list[dict] = (),
    agent_payloads: list[dict] = (),
    queue_ids: set[int | None] = frozenset(),
    user_ids: set[int] = frozenset(),
    inbox: bool = True,
) -> None:
    """After commit (one outbox event): frames to the customer, events to the agents
    watching the conversation, and (`inbox`) its fresh inbox row and state to the inboxes
    of the given queues (old and new) and users. A status move tells all of that itself
    (bot.conversation_status): a verb that moved the status publishes only the rest."""
    public_hex = conversation.public_id.hex
    for frame in customer_frames:
        # Operators' webhooks hear of the same changes the customer is told of (a status
        # that stayed: handed to another agent).
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
    if inbox:
        actions += agents_view_actions(conversation, queue_ids=queue_ids, user_ids=user_ids)
    outbox_event_record(
        kind="conversation.changed", actions=actions, reference=conversation.public_id
    )


def agents_view_actions(
    conversation: Conversation,
    *,
    queue_ids: set[int | None] = frozenset(),
    user_ids: set[int] = frozenset(),
) -> list:
    """The conversation's fresh inbox row to the inboxes of its queue and agent (and of the
    given queues and users), and its state to the agents watching it."""
    conversation, row, actions = inbox_row_actions(
        conversation, queue_ids=queue_ids, user_ids=user_ids
    )
    if conversation.status != Conversation.Status.BOT:
        actions.append(
            events.conversation_event_action(
                public_hex=conversation.public_id.hex,
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
    return actions


def system_message_append(conversation: Conversation, text: str) -> Message:
    return message_append(conversation=conversation, sender=Message.Sender.SYSTEM, text=text)[0]


def agent_status_frame(status: str, agent: AbstractBaseUser | None = None) -> dict:
    return events.status_frame(status, agent_name=agent_display_name(agent) if agent else "")
