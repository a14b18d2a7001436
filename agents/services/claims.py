"""Claiming, assigning and transferring conversations."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Assignment, Queue
from agents.selectors import (
    agent_display_name,
    assignment_for,
    user_is_agent,
    user_sees_all_queues,
)
from agents.services.base import (
    InboxError,
    agent_status_frame,
    assignment_ensure,
    conversation_audit,
    conversation_lock,
    conversation_publish,
    require_active,
    require_can_work,
    require_visible,
)
from bot.conversation_status import conversation_status_move
from bot.models import Conversation


def assignment_claim(conversation: Conversation, agent: AbstractBaseUser) -> Assignment:
    """The conditional claim: of two agents at once exactly one gets the row."""
    assignment = assignment_ensure(conversation)
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
        agent_name=agent_display_name(agent),
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
    require_visible(agent, conversation)
    # No row lock first: the conditional UPDATE in assignment_claim is the lock, and a loser
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
        require_active(conversation)
    assignment = assignment_claim(conversation, agent)
    # The status move told the customer and the inboxes.
    conversation_audit("conversation.claimed", acting_user=agent, conversation=conversation)
    return assignment


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, agent: AbstractBaseUser, acting_user: AbstractBaseUser
) -> Assignment:
    """Hand the conversation to an agent (a supervisor, or the agent who has it)."""
    conversation = conversation_lock(conversation)
    require_active(conversation)
    require_can_work(acting_user, conversation)
    assignment = assignment_ensure(conversation)
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
    moved = conversation.status == Conversation.Status.WAITING and conversation_status_move(
        conversation=conversation,
        to=Conversation.Status.ASSIGNED,
        agent_name=agent_display_name(agent),
        previous_agent_id=previous_agent_id,
    )
    if not moved:  # assigned already: to another agent
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    conversation_audit(
        "conversation.assigned",
        acting_user=acting_user,
        conversation=conversation,
        details={"agent": agent.pk, "previous_agent": previous_agent_id},
    )
    if not moved:
        conversation_publish(
            conversation,
            customer_frames=[agent_status_frame(Conversation.Status.ASSIGNED, agent)],
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
    conversation = conversation_lock(conversation)
    require_active(conversation)
    require_can_work(acting_user, conversation)
    assignment = assignment_ensure(conversation)
    previous_queue_id, previous_agent_id = assignment.queue_id, assignment.agent_id
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(
        queue=queue, agent=None, assigned_at=None, updated_at=now
    )
    moved = conversation.status == Conversation.Status.ASSIGNED and conversation_status_move(
        conversation=conversation,
        to=Conversation.Status.WAITING,
        previous_queue_id=previous_queue_id,
        previous_agent_id=previous_agent_id,
    )
    if not moved:  # waiting already: in another queue now
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    conversation_audit(
        "conversation.transferred",
        acting_user=acting_user,
        conversation=conversation,
        details={"from_queue": previous_queue_id, "to_queue": queue.pk},
    )
    if not moved:
        conversation_publish(
            conversation,
            customer_frames=[agent_status_frame(Conversation.Status.WAITING)],
            queue_ids={previous_queue_id},
            user_ids={previous_agent_id} if previous_agent_id else set(),
        )
    return Assignment.objects.get(pk=assignment.pk)
