"""Reads of the messenger channels."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from bot.channels.adapters import adapter_get
from bot.models import (
    ChannelConfig,
    ChannelConversation,
    ChannelDelivery,
    ChannelIdentity,
    Conversation,
)
from privacy.crypto import blind_index

# An earlier delivery older than this no longer holds a later one back (it may be stuck
# behind a dead worker: the message matters more than the order then).
ORDERING_WAIT_LIMIT = timedelta(minutes=10)


def channels_active() -> list[str]:
    """The channels customers reach Supportdesk on now: "web" and every active messenger.

    The privacy dashboard and the agreement reminders check each of these for an
    active processing agreement (Art. 28).
    """
    active = ChannelConfig.objects.filter(is_active=True).order_by("channel")
    return ["web", *active.values_list("channel", flat=True)]


def channel_config_active(*, channel: str) -> ChannelConfig | None:
    return ChannelConfig.objects.filter(channel=channel, is_active=True).first()


def identity_index(*, channel: str, external_id: str) -> str:
    """The keyed blind index of a platform user id; the channel keeps ids of different
    platforms apart (a Telegram chat id can equal a Messenger PSID)."""
    return blind_index(f"channel-identity:{channel}:{external_id}")


def platform_message_index(*, channel: str, platform_message_id: str) -> str:
    """The blind index of a platform's message id (a WhatsApp id embeds a phone number)."""
    return blind_index(f"channel-message:{channel}:{platform_message_id}")


def identity_find(*, channel: str, external_id: str) -> ChannelIdentity | None:
    return ChannelIdentity.objects.filter(
        channel=channel, external_id_index=identity_index(channel=channel, external_id=external_id)
    ).first()


def conversation_link_current(*, identity: ChannelIdentity) -> ChannelConversation | None:
    """The identity's newest conversation that is not closed (closed ones stay closed:
    the next message starts a new conversation, as a new website chat would)."""
    return (
        ChannelConversation.objects.select_related(
            "conversation__consent", "conversation__subject", "identity"
        )
        .filter(identity=identity)
        .exclude(conversation__status=Conversation.Status.CLOSED)
        .order_by("-conversation__created_at", "-pk")
        .first()
    )


def identities_of_subject(*, subject) -> QuerySet[ChannelIdentity]:
    """Identities linked to the subject directly or through one of its conversations."""
    through_conversations = ChannelConversation.objects.filter(
        conversation__subject=subject
    ).values("identity_id")
    return ChannelIdentity.objects.filter(subject=subject) | ChannelIdentity.objects.filter(
        pk__in=through_conversations
    )


def delivery_earlier_unfinished(*, delivery: ChannelDelivery) -> bool:
    """Is an earlier message to the same customer still on its way? Then this one waits,
    so a customer reads messages in the order they were written."""
    return (
        ChannelDelivery.objects.filter(
            identity_id=delivery.identity_id,
            pk__lt=delivery.pk,
            status__in=[
                ChannelDelivery.Status.PENDING,
                ChannelDelivery.Status.RETRYING,
                ChannelDelivery.Status.SENDING,
            ],
        )
        .exclude(created_at__lt=delivery.created_at - ORDERING_WAIT_LIMIT)
        .exists()
    )


def delivery_status_for_messages(*, message_ids: list[int]) -> dict[int, ChannelDelivery]:
    """Deliveries of these messages by message id: one query for a whole transcript."""
    return {
        delivery.message_id: delivery
        for delivery in ChannelDelivery.objects.filter(message_id__in=message_ids)
    }


def reply_window_open(*, identity: ChannelIdentity, human_agent: bool = False, now=None) -> bool:
    """May we still write to this customer (the platform's window since their last
    message)? Telegram has no window; an agent on Messenger may have 7 days."""

    config = channel_config_active(channel=identity.channel) or ChannelConfig(
        channel=identity.channel
    )
    adapter = adapter_get(identity.channel)
    window = adapter.reply_window(config=config, human_agent=human_agent)
    if window is None:
        return True
    if identity.last_inbound_at is None:
        return False
    return (now or timezone.now()) - identity.last_inbound_at <= window
