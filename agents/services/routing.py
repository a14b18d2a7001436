"""Routing escalations to a queue and an agent; staff handing a conversation to a person."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Assignment, Queue
from agents.selectors import (
    ACTIVE_STATUSES,
    agent_display_name,
    agent_least_busy,
    queue_for_conversation,
)
from agents.services.base import (
    ESCALATION_REASON_MAX_LENGTH,
    InboxError,
    agents_view_actions,
    auto_assign_enabled,
    conversation_audit,
    conversation_known_names,
    conversation_lock,
    conversation_publish,
    inbox_row_actions,
    require_visible,
    staff_text_clean,
)
from bot.chat import conversation_escalate
from bot.conversation_status import conversation_status_move
from bot.models import Conversation
from event_pipeline.outbox import outbox_actions_run
from privacy.redaction import text_redact

logger = logging.getLogger(__name__)


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
        conversation.assignment = earlier
        moved = (
            earlier.agent is not None
            and earlier.agent.is_active
            and conversation_status_move(
                conversation=conversation,
                to=Conversation.Status.ASSIGNED,
                agent_name=agent_display_name(earlier.agent),
            )
        )
        if not moved:  # waits for its queue: the inboxes show it again
            conversation_publish(conversation)
        return earlier
    if queue is None:
        queue = queue_for_conversation(conversation=conversation)
    assignment = Assignment.objects.create(conversation=conversation, queue=queue)
    conversation.assignment = assignment
    conversation_audit(
        "conversation.routed",
        acting_user=None,
        conversation=conversation,
        details={"queue": queue.slug if queue else None, "reason": conversation.escalation_reason},
    )
    agent = agent_least_busy(queue=queue) if queue is not None and auto_assign_enabled() else None
    if agent is None:  # waits in its queue: the inboxes show it
        conversation_publish(conversation)
        return assignment
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(agent=agent, assigned_at=now)
    conversation_status_move(
        conversation=conversation,
        to=Conversation.Status.ASSIGNED,
        agent_name=agent_display_name(agent),
    )
    conversation_audit(
        "conversation.assigned",
        acting_user=None,
        conversation=conversation,
        details={"agent": agent.pk, "automatic": True},
    )
    return assignment


def escalation_route(conversation_id: int) -> None:
    """bot's escalation listener (registered in AgentsConfig.ready()).

    Runs after the customer's transaction committed; a failure here is logged,
    never raised into the customer's chat. The conversation is then routed when
    an agent claims it (see assignment_ensure).
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
        outbox_actions_run(inbox_row_actions(Conversation(pk=conversation_id))[2])
    except Exception:
        logger.exception("Updating the inbox row of conversation %s failed", conversation_id)


def status_move_push(
    conversation_id: int,
    *,
    previous_queue_id: int | None = None,
    previous_agent_id: int | None = None,
) -> None:
    """bot's listener for a status move (bot.conversation_status; registered in
    AgentsConfig.ready()): the conversation's fresh row to the inboxes of its queue and
    agent, and of those it left; its state to the agents watching it.

    Runs from the outbox after the move committed; a failure is logged, never raised
    (the webhooks of the same event still go out; the inbox shows it on reload).
    """
    try:
        actions = agents_view_actions(
            Conversation(pk=conversation_id),
            queue_ids={previous_queue_id},
            user_ids={previous_agent_id} if previous_agent_id else set(),
        )
    except Conversation.DoesNotExist:  # erased meanwhile
        return
    except Exception:
        logger.exception("Pushing the status of conversation %s failed", conversation_id)
        return
    outbox_actions_run(actions)


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
    reason = staff_text_clean(reason, max_length=ESCALATION_REASON_MAX_LENGTH)
    # Usually a code ("billing"), but typed by a person or a CRM: stored as the gate leaves it.
    known_names = conversation_known_names(conversation)
    reason = text_redact(reason, known_names=known_names)[:ESCALATION_REASON_MAX_LENGTH]
    queue = None
    if queue_slug:
        queue = Queue.objects.filter(slug=queue_slug).first()
        if queue is None:
            raise InboxError(_("There is no such queue."), code="unknown_queue")
    conversation = conversation_lock(conversation)
    require_visible(acting_user, conversation)
    _require_with_bot(conversation)
    conversation = conversation_escalate(conversation=conversation, reason=reason)
    conversation_audit(
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
