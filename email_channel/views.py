"""Agents' pages of the e-mail channel: thin, permission-checked, audited.

Attachments are streamed through `AttachmentDownloadView` only (their storage has no
public URL): the agent must see the conversation, and every download is audited.
"""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from agents.selectors import conversation_is_visible
from agents.services import conversation_view_record
from agents.views import AgentRequiredMixin, ConversationMixin
from email_channel.selectors import attachment_get_by_public_id, conversation_mails
from email_channel.services import attachment_download_record


class ConversationMailsView(ConversationMixin, View):
    """The conversation's mails as received (quoted history included) and sent, with
    their attachments and delivery status. A staff read of personal data: audited."""

    template_name = "email_channel/conversation_mails.html"

    def get(self, request, *args, **kwargs):
        conversation = self.get_conversation()
        conversation_view_record(
            conversation=conversation, acting_user=request.user, channel="mails"
        )
        return render(
            request,
            self.template_name,
            {"conversation": conversation, "mails": conversation_mails(conversation=conversation)},
        )


class AttachmentDownloadView(AgentRequiredMixin, View):
    def get(self, request, public_id):
        attachment = attachment_get_by_public_id(public_id=public_id)
        if attachment is None:
            raise Http404(_("There is no such attachment (it may have been erased)."))
        conversation = attachment.message.conversation
        if not conversation_is_visible(user=request.user, conversation=conversation):
            raise PermissionDenied(_("You cannot open this conversation."))
        attachment_download_record(attachment=attachment, acting_user=request.user)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,  # never shown inline: a file is no page of ours
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
