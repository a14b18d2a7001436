"""Resolving and reopening conversations."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.models import Assignment
from agents.selectors import agent_display_name
from agents.services.base import (
    InboxError,
    assignment_ensure,
    conversation_audit,
    conversation_lock,
    conversation_publish,
    require_active,
    require_free,
    require_visible,
    system_message_append,
)
from bot.conversation_status import conversation_status_move
from bot.models import Conversation
from bot.services import conversation_resolve
from event_pipeline import events


@transaction.atomic
def conversation_resolve_by_agent(
    *, conversation: Conversation, agent: AbstractBaseUser
) -> Conversation:
    """Resolve: sets resolved_at (the retention clock starts), tells the customer and asks
    for a satisfaction rating (frame `csat.request`)."""
    conversation = conversation_lock(conversation)
    require_visible(agent, conversation)
    require_active(conversation)
    require_free(agent, conversation)
    assignment_ensure(conversation)
    # The notice first, then the move (its status frame), then the rating request: the
    # customer's page shows them in this order.
    with translation.override(conversation.language):
        notice = system_message_append(
            conversation,
            _(
                "Our team has marked your request as resolved. If you need anything else, "
                "just write here."
            ),
        )
    conversation_publish(
        conversation,
        customer_frames=[events.message_frame(notice)],
        agent_payloads=[events.message_frame(notice)],
        inbox=False,
    )
    conversation_resolve(conversation=conversation)
    conversation_audit("conversation.resolved", acting_user=agent, conversation=conversation)
    conversation_publish(conversation, customer_frames=[{"type": "csat.request"}], inbox=False)
    return conversation


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, agent: AbstractBaseUser) -> Conversation:
    """Reopen a resolved conversation; the reopening agent handles it. A closed one stays closed."""
    conversation = conversation_lock(conversation)
    require_visible(agent, conversation)
    if conversation.status == Conversation.Status.CLOSED:
        raise InboxError(_("This conversation is closed."), code="conversation_closed")
    if conversation.status != Conversation.Status.RESOLVED:
        raise InboxError(_("Only a resolved conversation can be reopened."), code="not_resolved")
    assignment = assignment_ensure(conversation)
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(agent=agent, assigned_at=now, updated_at=now)
    with translation.override(conversation.language):
        notice = system_message_append(
            conversation, _("Our team has reopened your request and will answer here.")
        )
    # The notice first, then the move (the customer's status frame, the inboxes).
    conversation_publish(
        conversation,
        customer_frames=[events.message_frame(notice)],
        agent_payloads=[events.message_frame(notice)],
        inbox=False,
    )
    conversation_status_move(
        conversation=conversation,
        to=Conversation.Status.ASSIGNED,
        agent_name=agent_display_name(agent),
    )
    conversation_audit("conversation.reopened", acting_user=agent, conversation=conversation)
    return conversation
