from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


def _attachment_file_delete(sender, instance, **kwargs) -> None:
    """An attachment's encrypted file goes with its row, however the row goes: retention
    and erasure delete conversations with Django's cascade, which asks no service. A
    receiver is the one place every path passes (STYLE.md allows no workflow here; this
    is storage housekeeping, run after commit)."""
    from email_channel.attachments import attachment_file_delete

    attachment_file_delete(instance)


class EmailChannelConfig(AppConfig):
    name = "email_channel"
    verbose_name = _("E-mail channel")

    def ready(self) -> None:
        from bot import hooks
        from bot.models import Conversation
        from email_channel import follow_up, seam
        from email_channel import tasks as email_tasks  # noqa: F401  (registers the tasks)
        from email_channel.models import Attachment, Mailbox, MailMessage, MailThread
        from email_channel.services import (
            subject_mail_references,
            subject_mails_erase,
            subject_mails_export,
        )
        from privacy.activity_texts import EMAIL_ACTIVITY, FOLLOW_UP_ACTIVITY
        from privacy.registry import (
            PersonalDataProvider,
            activity_condition_register,
            provider_register,
        )

        # Every channel: a messenger conversation has a mail thread when the customer
        # asked for the answer by e-mail in the bot's follow-up form.
        for channel in Conversation.Channel.values:
            hooks.message_stored_listener_register(channel, seam.agent_reply_stored)
        # The record of processing and the notice list e-mail while a mailbox is active.
        for activity in (EMAIL_ACTIVITY, FOLLOW_UP_ACTIVITY):
            activity_condition_register(
                activity, lambda: Mailbox.objects.filter(is_active=True).exists()
            )
        hooks.follow_up_register(
            hooks.FollowUpChannel(
                available=follow_up.follow_up_available,
                leave=follow_up.follow_up_address_leave,
                left=follow_up.follow_up_left,
                withdraw=follow_up.follow_up_address_withdraw,
                answer_by_mail=follow_up.follow_up_answer_by_mail,
                answer_by_mail_end=follow_up.follow_up_answer_by_mail_end,
            )
        )
        post_delete.connect(
            _attachment_file_delete, sender=Attachment, dispatch_uid="attachment_file_delete"
        )
        provider_register(
            PersonalDataProvider(
                name="email_channel",
                # Mailbox holds the operator's IMAP credentials only (encrypts_secrets_only);
                # listed so its fields are accounted for, like bot.channels' ChannelConfig.
                models=(MailThread, MailMessage, Attachment, Mailbox),
                export=subject_mails_export,
                erase=subject_mails_erase,
                # After the webhook deliveries (order 40), which find theirs through
                # `references`, and before bot.conversations: found through the subject's
                # conversations.
                order=45,
                references=subject_mail_references,
                title=_("Your e-mails and attachments"),
                report_position=25,
                labels={
                    "mails": _("E-mails"),
                    "conversation": _("Conversation number"),
                    "direction": _("Direction"),
                    "kind": _("Kind"),
                    "subject": _("Subject"),
                    "from": _("From"),
                    "text": _("Text"),
                    "status": _("Status"),
                    "at": _("Time"),
                    "addresses": _("Your e-mail addresses we wrote with"),
                    "attachments": _("Attachments"),
                    "file_name": _("File name"),
                    "type": _("Type"),
                    "size": _("Size (bytes)"),
                    "received_at": _("Received at"),
                    "content_base64": _("Content (Base64)"),
                },
                value_labels={
                    "direction": dict(MailMessage.Direction.choices),
                    "kind": dict(MailMessage.Kind.choices),
                    "status": dict(MailMessage.Status.choices),
                },
                counts=lambda: {
                    "mails": MailMessage.objects.count(),
                    "attachments": Attachment.objects.count(),
                },
            )
        )
