"""Intents that act: what the bot does, besides answering, with an intent's action.

An intent can carry an action (bot.models.Intent.Action): hand over to a person (to a
queue), start a data-protection request (access, erasure) or record an objection to
learning, offer a follow-up (a call back or an answer by e-mail: bot.follow_ups), or send
a link (an unsubscribe or account page). bot.chat calls
`intent_actions_perform` once the bot's answer is stored, in the same transaction, for
every channel (the website chat and each messenger go through bot.chat). What was done
is one system message in the conversation: the customer reads what happens next, the
agents see it in the transcript, and a messenger delivers it like any other message.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from bot import chat, follow_ups
from bot.dialog import DialogResult, DialogState, dialog_escalate
from bot.models import Conversation, Message
from bot.services import message_append
from privacy.crypto import email_blind_index
from privacy.models import DataRequest
from privacy.services import (
    consent_link_subject,
    data_request_create,
    data_request_objection_record,
    data_subject_identify,
)

PRIVACY_REQUEST_KINDS = {
    "privacy_access": DataRequest.Kind.ACCESS,
    "privacy_erasure": DataRequest.Kind.ERASURE,
}


@dataclass
class ActionOutcome:
    replies: list[Message] = field(default_factory=list)
    escalated: bool = False


@dataclass(frozen=True)
class _Answered:
    action: str
    queue: str
    url: str
    language: str


def _answered_with_action(conversation: Conversation, reaction: DialogResult) -> _Answered | None:
    """The action of the intent the bot answered with (a suggestion acts on nothing)."""
    answers = [
        reply
        for reply in reaction.replies
        if reply.sender == Message.Sender.BOT and reply.intent_slug and not reply.suggestions
    ]
    if not answers:
        return None
    answer = answers[-1]
    known = chat.intent_action_get(answer.intent_slug)
    if known is None:
        return None
    # The bot answers in the language the customer wrote in (bot.dialog), which may not
    # be the conversation's: the action's message follows the answer's language.
    language = known.answer_languages.get(answer.text, conversation.language)
    return _Answered(action=known.action, queue=known.queue, url=known.url, language=language)


def intent_actions_perform(*, conversation: Conversation, reaction: DialogResult) -> ActionOutcome:
    """Carry out the action of the intent the bot has just answered with (stored already).

    Only while the bot has the conversation and the dialog did not hand over anyway.
    """
    if reaction.escalate_reason or conversation.status != Conversation.Status.BOT:
        return ActionOutcome()
    answered = _answered_with_action(conversation, reaction)
    if answered is None:
        return ActionOutcome()
    with translation.override(answered.language):
        if answered.action == "handover":
            return _handover(conversation, answered)
        if answered.action in PRIVACY_REQUEST_KINDS:
            text = _privacy_request_start(conversation, PRIVACY_REQUEST_KINDS[answered.action])
        elif answered.action == "privacy_objection":
            text = _privacy_objection_record(conversation, answered.language)
        elif answered.action == "link":
            text = _("You can do this here: %(url)s") % {"url": _absolute(answered.url)}
        elif answered.action == "follow_up":
            text = _follow_up_offer(conversation, answered.language)
        else:
            return ActionOutcome()
        return ActionOutcome(replies=[_say(conversation, text)])


def _say(conversation: Conversation, text: str) -> Message:
    message, _created = message_append(
        conversation=conversation, sender=Message.Sender.SYSTEM, text=text
    )
    message.suggestions = []
    return message


def _absolute(url: str) -> str:
    return url if url.startswith("https://") else f"{settings.SITE_URL}{url}"


def _handover(conversation: Conversation, answered: _Answered) -> ActionOutcome:
    """The same hand-over as the customer's "talk to a person" (bot.dialog): the message
    says when the team is there, the conversation is queued (the intent's queue first:
    agents.selectors.queue_for_conversation)."""
    result = dialog_escalate(
        state=DialogState(
            language=answered.language,
            status=conversation.status,
            team_available_at=chat.team_available_at(answered.language),
        )
    )
    replies = [_say(conversation, reply.text) for reply in result.replies]
    chat.conversation_escalate(conversation=conversation, reason=result.escalate_reason)
    return ActionOutcome(replies=replies, escalated=True)


def _follow_up_offer(conversation: Conversation, language: str) -> str:
    """A link to the follow-up form (bot.follow_ups): the number or address is asked for
    there, with consent, not typed into the chat, where every message is kept."""
    return _(
        "We can call you back or answer you by e-mail, also outside our opening hours. "
        "Tell us how and when here (the link is valid for %(hours)d hours): %(url)s"
    ) % {
        "hours": follow_ups.LINK_VALID_HOURS,
        "url": follow_ups.follow_up_link(conversation=conversation, language=language),
    }


def _privacy_request_start(conversation: Conversation, kind: str) -> str:
    """The same request as the privacy page's (privacy.services.data_request_create): the
    link e-mailed to the address confirms it; an address typed in the chat is only a claim."""
    email = conversation.subject.email if conversation.subject_id else ""
    form_url = _absolute("/privacy/requests/")
    if not email:
        return _(
            "To start this request, please use the form at %(url)s: we send a confirmation "
            "link to the e-mail address you give there, and you receive the result there."
        ) % {"url": form_url}
    already_waiting = DataRequest.objects.filter(
        kind=kind,
        email_index=email_blind_index(email),
        status=DataRequest.Status.UNVERIFIED,
        source=DataRequest.Source.CHAT,
    ).exists()
    if not already_waiting:
        try:
            with transaction.atomic():
                data_request_create(
                    kind=kind,
                    email=email,
                    language=translation.get_language(),
                    source=DataRequest.Source.CHAT,
                    source_channel=conversation.channel,
                )
        except ValidationError:
            return _(
                "I could not start the request with the e-mail address you gave. Please "
                "use the form at %(url)s."
            ) % {"url": form_url}
    hours = settings.DATA_REQUEST_VERIFICATION_HOURS
    if kind == DataRequest.Kind.ACCESS:
        return _(
            "I have started your request for a copy of your data. We have sent a link to the "
            "e-mail address you gave in this chat: please confirm the request there within "
            "%(hours)d hours, so we know it is really you. We then have at most one month; "
            "you receive a download link by e-mail, valid for %(days)d days."
        ) % {"hours": hours, "days": settings.DATA_EXPORT_DOWNLOAD_DAYS}
    return _(
        "I have started your erasure request. We have sent a link to the e-mail address you "
        "gave in this chat: please confirm the request there within %(hours)d hours, so we "
        "know it is really you. We then delete your personal data within one month, except "
        "what the law requires us to keep, and confirm it by e-mail."
    ) % {"hours": hours}


def _privacy_objection_record(conversation: Conversation, language: str) -> str:
    """Recorded at once for the conversation's person (an objection only restricts)."""
    subject = conversation.subject
    if subject is None:
        # Nobody identified: the objection needs a person to hold it, so this chat gets one.
        subject = data_subject_identify()
        conversation.subject = subject
        conversation.save(update_fields=["subject", "updated_at"])
        if conversation.consent_id:
            consent_link_subject(record=conversation.consent, subject=subject)
    data_request_objection_record(
        subject=subject,
        language=language,
        source=DataRequest.Source.CHAT,
        source_channel=conversation.channel,
    )
    return _(
        "Done: from now on, your questions are not used to train the bot. You can go on "
        "using the chat as before."
    )
