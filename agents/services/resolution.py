"""Resolving and reopening conversations."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.models import Assignment
from agents.selectors import agent_display_name
from agents.services.base import (
    InboxError,
    _assignment_ensure,
    _audit,
    _lock,
    _publish,
    _require_active,
    _require_free,
    _require_visible,
    _system_message,
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
    conversation = _lock(conversation)
    _require_visible(agent, conversation)
    _require_active(conversation)
    _require_free(agent, conversation)
    _assignment_ensure(conversation)
    # The notice first, then the move (its status frame), then the rating request: the
    # customer's page shows them in this order.
    with translation.override(conversation.language):
        notice = _system_message(
            conversation,
            _(
                "Our team has marked your request as resolved. If you need anything else, "
                "just write here."
            ),
        )
    _publish(
        conversation,
        customer_frames=[events.message_frame(notice)],
        agent_payloads=[events.message_frame(notice)],
        inbox=False,
    )
    conversation_resolve(conversation=conversation)
    _audit("conversation.resolved", acting_user=agent, conversation=conversation)
    _publish(conversation, customer_frames=[{"type": "csat.request"}], inbox=False)
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
    Assignment.objects.filter(pk=assignment.pk).update(agent=agent, assigned_at=now, updated_at=now)
    with translation.override(conversation.language):
        notice = _system_message(
            conversation, _("Our team has reopened your request and will answer here.")
        )
    # The notice first, then the move (the customer's status frame, the inboxes).
    _publish(
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
    _audit("conversation.reopened", acting_user=agent, conversation=conversation)
    return conversation
