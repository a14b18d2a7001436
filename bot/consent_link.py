"""The consent link in every mail of a conversation (Art. 7(3) GDPR: withdrawing as easy
as giving): a customer answered by mail (a contact form's, or a chat's follow-up by
e-mail) withdraws the optional purpose they gave ("improving the bot") on its own, or
gives it again, as the chat's box and the messengers' keywords do, through the same
privacy services (audited consent.purpose_withdrawn / purpose_added).

The mail proves who they are: the link is signed for this use only (its own salt, so a
follow-up form's link does not open it), expires, and names the conversation by its
public id, nothing personal. Each mail carries a fresh link.

A conversation started by e-mail has no consent (it runs under Art. 6(1)(b), and none of
it is learnt from): its mails carry no link. Objection (Art. 21) stays on the privacy
pages, for every conversation of the person.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from bot.chat import (
    CONSENT_PURPOSES_OPTIONAL,
    ChatError,
    chat_consent_purpose_add,
    chat_consent_purpose_withdraw,
)
from bot.models import Conversation
from privacy.models import ConsentRecord

LINK_SALT = "bot.consent_purposes"
# Mails are read late (an answer after a holiday); an older mail's link says where the
# newest is, and objection on the privacy pages needs no link at all.
LINK_VALID_DAYS = 60


class LinkRefused(Exception):
    """The link does not open the page: `expired` says whether it was once valid."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def consent_purposes_link(*, conversation: Conversation) -> str | None:
    """The page's signed address for the conversation's mails, in its language; None when
    there is no consent to change (e-mail's own conversations, a consent withdrawn)."""
    consent = conversation.consent
    if consent is None or consent.withdrawn_at is not None:
        return None
    token = signing.dumps(conversation.public_id.hex, salt=LINK_SALT)
    path = reverse("bot:consent-purposes", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}?language={conversation.language}"


def consent_link_conversation_get(*, token: str) -> Conversation:
    """The conversation a valid link names; LinkRefused for a forged, foreign or expired
    link and for a conversation deleted since (its retention)."""
    try:
        public_hex = signing.loads(token, salt=LINK_SALT, max_age=timedelta(days=LINK_VALID_DAYS))
    except signing.SignatureExpired:
        raise LinkRefused(expired=True) from None
    except signing.BadSignature:
        raise LinkRefused(expired=False) from None
    conversation = (
        Conversation.objects.select_related("consent__policy_version")
        .filter(public_id=public_hex)
        .first()
    )
    if conversation is None:
        raise LinkRefused(expired=True)
    return conversation


def consent_purposes_offered(conversation: Conversation) -> list[dict]:
    """The optional purposes, each with its label and whether the consent covers it now."""
    consent = conversation.consent
    current = consent.purposes if consent is not None and consent.withdrawn_at is None else []
    return [
        {
            "value": purpose,
            "label": ConsentRecord.Purpose(purpose).label,
            "granted": purpose in current,
        }
        for purpose in CONSENT_PURPOSES_OPTIONAL
    ]


@transaction.atomic
def consent_purpose_set_by_link(
    *, conversation: Conversation, purpose: str, granted: bool
) -> ConsentRecord:
    """Give or withdraw one optional purpose from the mail's page, by the chat's verbs:
    giving it only under a consent to the policy version in force, withdrawing under any
    consent not withdrawn as a whole (also one given under an older version: its
    purposes are what learning reads)."""
    if purpose not in CONSENT_PURPOSES_OPTIONAL:
        raise ChatError("unknown consent purpose", code="invalid_purpose")
    consent = conversation.consent
    if consent is None or consent.withdrawn_at is not None:
        raise ChatError("consent required", code="consent_required")
    if granted:
        chat_consent_purpose_add(conversation=conversation, purpose=purpose)
    else:
        chat_consent_purpose_withdraw(conversation=conversation, purpose=purpose)
    return conversation.consent
