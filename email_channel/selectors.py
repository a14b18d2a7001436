"""Reads of the e-mail channel for the agents' pages."""

from agents.selectors import email_mask
from bot.models import Conversation
from email_channel.models import Attachment, MailMessage


def conversation_mails(*, conversation: Conversation) -> list[MailMessage]:
    """The conversation's mails, oldest first, each with its message's attachments
    (`mail.files`) and its sender as shown (`mail.sender_shown`: the customer's address
    masked, as on the conversation page, where revealing it is audited with a reason;
    our mailbox's in full); recorded auto-replies hold no content and are listed by kind
    only."""
    mails = list(
        MailMessage.objects.filter(conversation=conversation)
        .select_related("message__sender_user")
        .order_by("created_at", "id")
    )
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message__conversation=conversation).order_by("id"):
        files.setdefault(attachment.message_id, []).append(attachment)
    for mail in mails:
        mail.files = files.get(mail.message_id, []) if mail.message_id else []
        inbound = mail.direction == MailMessage.Direction.INBOUND
        mail.sender_shown = email_mask(mail.sender) if inbound else mail.sender
    return mails


def attachment_get_by_public_id(*, public_id) -> Attachment | None:
    return (
        Attachment.objects.select_related("message__conversation__subject")
        .filter(public_id=public_id)
        .first()
    )
