"""Follow-ups the customer asked for (bot.follow_ups): a call back or an answer by e-mail."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from agents.services.base import (
    InboxError,
    conversation_lock,
    conversation_publish,
    require_can_work,
)
from bot.follow_ups import follow_up_done
from bot.models import Conversation, FollowUp


@transaction.atomic
def follow_up_mark_done(
    *, conversation: Conversation, follow_up_id: object, agent: AbstractBaseUser
) -> FollowUp:
    """The agent called the customer back or answered by e-mail: the number or address
    is forgotten (bot.follow_ups.follow_up_done, audited)."""
    conversation = conversation_lock(conversation)
    require_can_work(agent, conversation)
    follow_up = FollowUp.objects.filter(
        conversation=conversation,
        pk=int(follow_up_id) if str(follow_up_id).isdigit() else -1,
    ).first()
    if follow_up is None:
        raise InboxError(_("There is no such follow-up."), code="unknown_follow_up")
    follow_up.conversation = conversation
    follow_up = follow_up_done(follow_up=follow_up, acting_user=agent)
    conversation_publish(conversation)
    return follow_up
