"""The conversation's set-up, the same on every channel: consent, identification field by
field, and anonymous mode.

The transports only translate between their words or frames and these decisions:
the website chat (bot/consumers.py: a consent form, an identity form, JSON frames), the
messengers (bot/channels/services.py: "JA"/"NEIN"/"STOP", one field per text message),
and e-mail and the contact form, whose identity is a claim the mail or the form made
(email_channel/seam.py, helpcentre).

- Consent: an answer counts only to a question the customer was asked since the last
  consent (a new policy version, a withdrawal: the question comes first again);
  `consent_answer` says whether it is given, declined or the question is asked (again).
  `consent_give` gives it under the policy version active in the customer's language.
- Identification: the configured fields (CHAT_IDENTITY_FIELDS) in their order;
  `identification_next_field` names the next one to ask, `identity_value_clean` checks an
  answer with that field's one validator (privacy.identity_fields; phone numbers by
  libphonenumber), `identification_finish` stores them on a new, unverified subject
  (a typed address is a claim until the customer follows the link mailed to it).
  A mail or a form brings its identity along: `identity_claim` (a claim as well).
- Anonymous mode: where the operator allows it (CHAT_ANONYMOUS_MODE), a customer of the
  website chat who declined may still ask the bot; `anonymous_question_answer` answers
  without storing anything, and never hands over (nobody could answer an anonymous chat).
"""

import enum
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from bot import chat
from bot.dialog import DialogState, Reply, dialog_next
from bot.models import Conversation
from privacy.identity_fields import IDENTITY_FIELD_CLEANERS
from privacy.models import ConsentRecord, DataSubject
from privacy.services import policy_version_active


class ConsentAnswer(enum.Enum):
    GIVEN = "given"
    DECLINED = "declined"
    # Not an answer to a question asked (or no question asked yet): ask it.
    ASK = "ask"


# Consent ------------------------------------------------------------------------------------


def consent_answer(*, accepts: bool | None, asked: bool) -> ConsentAnswer:
    """What the customer's reply means for consent. `accepts`: yes (True), no (False) or
    something else (None); `asked`: the question was put to them since the last consent."""
    if not asked or accepts is None:
        return ConsentAnswer.ASK
    return ConsentAnswer.GIVEN if accepts else ConsentAnswer.DECLINED


def consent_policy_available(*, language: str) -> bool:
    """Whether consent can be asked for at all: a policy version is active in `language`."""
    return policy_version_active(language=language) is not None


def consent_give(
    *,
    conversation: Conversation,
    language: str | None = None,
    policy_version: str | None = None,
    purposes: Sequence[str] = (),
    ip_address: str | None = None,
) -> ConsentRecord | None:
    """Give consent in `language` (the conversation's language moves to it: call it inside
    the caller's transaction then), to `policy_version` as the customer saw it, or else
    to the version active now. None when no policy version is active in that language
    (nothing changes). It covers the support chat and the optional `purposes` the
    customer chose (chat.CONSENT_PURPOSES_OPTIONAL), nothing more."""
    language = language or conversation.language
    if policy_version is None:
        policy = policy_version_active(language=language)
        if policy is None:
            return None
        policy_version = policy.version
    if conversation.language != language:
        Conversation.objects.filter(pk=conversation.pk).update(language=language)
        conversation.language = language
    return chat.chat_consent_give(
        conversation=conversation,
        policy_version=policy_version,
        purposes=purposes,
        ip_address=ip_address,
    )


# Identification -----------------------------------------------------------------------------


def identification_needed(conversation: Conversation) -> bool:
    return chat.conversation_needs_identity(conversation)


def identification_next_field(draft: dict[str, str]) -> str | None:
    """The next field to ask for (in the configured order), or None: all are there."""
    return next((name for name in chat.identity_fields_required() if name not in draft), None)


def identity_value_clean(*, field: str, value: str) -> str | None:
    """The cleaned answer for an identity field (its validator, privacy.identity_fields:
    the same for every channel), or None when it is empty or not acceptable."""
    cleaner = IDENTITY_FIELD_CLEANERS.get(field)
    if cleaner is None:
        return None
    try:
        return cleaner(value) or None
    except ValidationError:
        return None


def identification_answer(
    *, draft: dict[str, str], field: str, value: str
) -> tuple[dict[str, str], bool]:
    """The answer to the field asked (one required and not answered yet): (the draft with
    it, accepted). A refused answer leaves the draft as it was; the field is asked again.
    Anything else (no field pending) is no answer and changes nothing."""
    if field not in chat.identity_fields_required() or field in draft:
        return draft, True
    cleaned = identity_value_clean(field=field, value=value)
    if cleaned is None:
        return draft, False
    return {**draft, field: cleaned}, True


def identity_claim(*, conversation: Conversation, subject: DataSubject) -> None:
    """The identity a mail or a form claims (an unverified subject, made by the channel
    from the sender's address) becomes the conversation's: its texts stay under the
    request (Art. 6(1)(b)), not under chat consent, until the customer proves it."""
    conversation.subject = subject
    conversation.save(update_fields=["subject", "updated_at"])


def identification_finish(*, conversation: Conversation, draft: dict[str, str]) -> str | None:
    """All fields answered: store them on a new, unverified subject of the conversation.
    Returns None, or the field the privacy app's own checks (stricter in places) refused,
    to ask again (nothing stored)."""
    try:
        with transaction.atomic():
            chat.chat_identify(conversation=conversation, identity=draft)
    except chat.ChatError:
        raise
    except ValidationError as error:
        required = chat.identity_fields_required()
        return next(iter(getattr(error, "message_dict", {})), required[0])
    return None


# Anonymous mode -----------------------------------------------------------------------------


def anonymous_mode_after_decline(channel: str = Conversation.Channel.WEB) -> bool:
    """Whether a customer who declined may ask the bot anonymously: where the operator
    allows it, in the website chat (a messenger identifies the customer by their account:
    there, declining ends the exchange and the account id is forgotten)."""
    return bool(settings.CHAT_ANONYMOUS_MODE) and channel == Conversation.Channel.WEB


def anonymous_question_answer(*, language: str, text: str) -> Reply:
    """What an anonymous question may do: be answered by the bot, nothing more. Nothing is
    stored; a question the bot cannot answer gets how to reach a person instead of a
    hand-over."""
    result = dialog_next(
        state=DialogState(
            language=language, status=Conversation.Status.BOT, topics=chat.bot_topics(language)
        ),
        question=text,
        answerer=chat.answerer_get(),
    )
    if not result.escalate_reason:
        return result.replies[0]
    with translation.override(language):
        return Reply(
            text=_(
                "I cannot answer that. To reach a person, please agree to the privacy policy "
                "or contact us by phone or post."
            ),
            sender="system",
        )
