"""Messenger channels: switching a channel on and off, and the text dialog of its customers.

The text dialog drives the same chat verbs as the website chat (bot/chat.py), so
consent, identification, answering and escalation behave the same on every channel:

1. A first message (of any kind) gets the consent question with the policy link.
   Nothing the customer wrote is stored before consent; the platform user id is kept
   to ask the question, and forgotten if the customer declines (or never answers,
   see channels_housekeeping).
2. "YES"/"JA" starts a conversation under that consent (consent_give) in the
   language of the word; "NO"/"NEIN" declines.
3. The configured identity fields (CHAT_IDENTITY_FIELDS) are asked one at a time,
   checked, and stored on the data subject.

What consent, identification and a valid answer are is decided by the channel-independent
engine (bot/conversation_setup.py); this module only translates words and notices.
4. Every further text goes to chat_message_receive: the bot answers, suggests
   (numbered choices) or hands over to the inbox; "STOP" withdraws consent.

Replies are ChannelDelivery rows sent by Celery after commit (bot/channels/delivery.py).
"""

import json
import logging
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import chat, conversation_setup
from bot.channels import texts
from bot.channels.adapters import adapter_get
from bot.channels.base import InboundMessage, SendError
from bot.channels.delivery import delivery_status_update, delivery_suggestions_set, notice_enqueue
from bot.channels.selectors import (
    conversation_link_current,
    identities_of_subject,
    identity_index,
    platform_message_index,
)
from bot.conversation_setup import ConsentAnswer
from bot.models import (
    ChannelConfig,
    ChannelConversation,
    ChannelDelivery,
    ChannelIdentity,
    ChannelInboundEvent,
    Conversation,
    Message,
)
from bot.services import conversation_start
from privacy.models import ConsentRecord, DataSubject, RetentionPolicy
from privacy.selectors import channels_without_agreement
from privacy.services import audit_record

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 200
# Telegram sends "/start" when a customer opens the bot; it is a greeting, not a question.
START_COMMANDS = {"/start"}
EXTRA_STOP_WORDS = {"/stop"}
FEEDBACK = {"👍": True, "👎": False}


class ChannelError(ValidationError):
    """A refused change of a channel's configuration; `code` is stable."""


# Configuration -------------------------------------------------------------------------------

REQUIRED_CREDENTIALS = {
    ChannelConfig.Channel.TELEGRAM: ("access_token",),
    ChannelConfig.Channel.WHATSAPP: ("access_token", "app_secret", "verify_token", "account_id"),
    ChannelConfig.Channel.MESSENGER: ("access_token", "app_secret", "verify_token", "account_id"),
}


def channel_config_missing(*, config: ChannelConfig) -> list[str]:
    """The verbose names of the settings this channel still needs before activation."""
    return [
        str(ChannelConfig._meta.get_field(name).verbose_name)
        for name in REQUIRED_CREDENTIALS[config.channel]
        if not getattr(config, name)
    ]


@transaction.atomic
def channel_config_save(
    *, config: ChannelConfig, changed_fields: list[str], acting_user: AbstractBaseUser | None
) -> ChannelConfig:
    """Create or change a channel's settings (not whether it is active). The audit row
    names the changed fields, never their values."""
    created = config.pk is None
    config.full_clean()
    config.save()
    audit_record(
        action="channel.created" if created else "channel.changed",
        acting_user=acting_user,
        target=config,
        details={"channel": config.channel, "fields": sorted(changed_fields)},
    )
    return config


@transaction.atomic
def channel_config_activate(
    *, config: ChannelConfig, acting_user: AbstractBaseUser | None
) -> ChannelConfig:
    """Switch a channel on. Refused while its credentials are incomplete, or while no
    active processing agreement (Art. 28) with a processor serving this channel is in
    the privacy register."""
    config = ChannelConfig.objects.select_for_update().get(pk=config.pk)
    missing = channel_config_missing(config=config)
    if missing:
        raise ChannelError(
            _("Fill in before activating: %(fields)s.") % {"fields": ", ".join(missing)},
            code="credentials_missing",
        )
    if channels_without_agreement(active_channels=[config.channel]):
        raise ChannelError(
            _(
                "%(channel)s cannot be activated: the privacy register has no active "
                "processing agreement (Art. 28) with a processor that serves this channel."
            )
            % {"channel": config.get_channel_display()},
            code="agreement_missing",
        )
    if config.is_active:
        return config
    fields = ["is_active", "activated_at", "updated_at"]
    if config.channel == ChannelConfig.Channel.TELEGRAM and not config.webhook_secret:
        # setWebhook's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
        config.webhook_secret = secrets.token_urlsafe(48)
        fields.append("webhook_secret")
    config.is_active = True
    config.activated_at = timezone.now()
    config.save(update_fields=fields)
    audit_record(
        action="channel.activated",
        acting_user=acting_user,
        target=config,
        details={"channel": config.channel},
    )
    return config


@transaction.atomic
def channel_config_deactivate(
    *, config: ChannelConfig, acting_user: AbstractBaseUser | None
) -> ChannelConfig:
    """Switch a channel off: webhooks answer 404, queued messages fail as "switched off"."""
    config = ChannelConfig.objects.select_for_update().get(pk=config.pk)
    if not config.is_active:
        return config
    config.is_active = False
    config.save(update_fields=["is_active", "updated_at"])
    audit_record(
        action="channel.deactivated",
        acting_user=acting_user,
        target=config,
        details={"channel": config.channel},
    )
    return config


def telegram_webhook_register(*, config: ChannelConfig) -> str:
    """Tell Telegram where to send updates (setWebhook, with our secret token).

    Returns the URL registered. Raises ChannelError when Telegram refuses.
    """
    if config.channel != ChannelConfig.Channel.TELEGRAM or not config.is_active:
        raise ChannelError(_("Activate the Telegram channel first."), code="not_active")
    url = settings.SITE_URL.rstrip("/") + reverse("bot_channels:webhook", args=["telegram"])
    try:
        adapter_get(config.channel).webhook_register(config=config, url=url)
    except SendError as error:
        raise ChannelError(
            _("Telegram refused the webhook (error %(code)s).") % {"code": error.code},
            code="webhook_refused",
        ) from None
    return url


# Inbound -------------------------------------------------------------------------------------


def inbound_is_replay(*, inbound: InboundMessage, now=None) -> bool:
    """A platform message older than the replay window: its id may be forgotten already,
    so it is refused rather than processed a second time."""
    if inbound.sent_at is None:
        return False
    window = timedelta(hours=settings.CHANNELS_REPLAY_WINDOW_HOURS)
    return (now or timezone.now()) - inbound.sent_at > window


def inbound_message_handle(*, config: ChannelConfig, inbound: InboundMessage) -> str:
    """Process one platform message exactly once; returns what was done (logs, tests).

    One transaction: the message id is recorded with everything it caused, so a
    failure rolls both back and the platform's redelivery is processed afresh.
    """
    if inbound_is_replay(inbound=inbound):
        return "replay"
    with transaction.atomic():
        try:
            with transaction.atomic():
                ChannelInboundEvent.objects.create(
                    channel=config.channel,
                    key=platform_message_index(
                        channel=config.channel, platform_message_id=inbound.platform_message_id
                    ),
                )
        except IntegrityError:
            return "duplicate"
        try:
            with transaction.atomic():
                return _inbound_process(config, inbound)
        except ValidationError as error:
            # A refusal of a chat verb (ChatError, ConsentError): answering 500 would make
            # the platform redeliver a message that will be refused again, so it is
            # acknowledged (its id stays recorded) and the refusal logged by its code.
            logger.warning(
                "%s message refused: %s", config.channel, getattr(error, "code", "invalid")
            )
            return "refused"


def inbound_status_handle(
    *, config: ChannelConfig, platform_message_id: str, status: str, error_code: str = ""
) -> bool:
    return delivery_status_update(
        channel=config.channel,
        platform_message_id=platform_message_id,
        status=status,
        error_code=error_code,
    )


def _identity_lock(config: ChannelConfig, inbound: InboundMessage) -> ChannelIdentity:
    """The customer's identity, created on first contact, locked for this message (two
    messages of one customer are processed one after the other)."""
    index = identity_index(channel=config.channel, external_id=inbound.external_id)
    language = inbound.language if inbound.language in dict(settings.LANGUAGES) else ""
    try:
        with transaction.atomic():
            ChannelIdentity.objects.get_or_create(
                channel=config.channel,
                external_id_index=index,
                defaults={"external_id": inbound.external_id, "language": language},
            )
    except IntegrityError:  # created at the same moment by another request
        pass
    return ChannelIdentity.objects.select_for_update().get(
        channel=config.channel, external_id_index=index
    )


def _inbound_process(config: ChannelConfig, inbound: InboundMessage) -> str:
    identity = _identity_lock(config, inbound)
    now = timezone.now()
    # The reply window runs from the customer's message (any kind opens it again).
    sent_at = min(inbound.sent_at or now, now)
    if identity.last_inbound_at is None or sent_at > identity.last_inbound_at:
        identity.last_inbound_at = sent_at
    identity.save(update_fields=["last_inbound_at", "updated_at"])
    link = conversation_link_current(identity=identity)
    conversation = link.conversation if link else None
    consented = conversation is not None and chat.conversation_consent_current(conversation)
    language = conversation.language if consented else identity.language
    if inbound.text is None:
        # Images, voice, stickers, locations …: not read, not stored; only this reply.
        notice_enqueue(identity=identity, text=texts.notice("only_text", language=language))
        if not consented:
            return _consent_ask(identity, outcome="non_text")
        return "non_text"
    text = inbound.text.strip()
    if not text:
        return "empty"
    word = _keyword(text)
    if not consented:
        return _consent_step(config, identity, link, word, inbound)
    _identity_details_update(config, identity, inbound)
    if word in _stop_words():
        chat.chat_consent_withdraw(conversation=conversation)
        ChannelConversation.objects.filter(pk=link.pk).update(
            pending_field="", identity_draft="", suggestions=[]
        )
        notice_enqueue(identity=identity, text=texts.notice("withdrawn", language=language))
        return "consent_withdrawn"
    if word in texts.keyword_languages(texts.WORD_IMPROVE_OFF):
        return _improvement_consent(identity, link, conversation, language=language, granted=False)
    if word in texts.keyword_languages(texts.WORD_IMPROVE):
        return _improvement_consent(identity, link, conversation, language=language)
    if conversation_setup.identification_needed(conversation):
        return _identify_step(config, identity, link, text)
    if word in START_COMMANDS:
        notice_enqueue(identity=identity, text=texts.notice("how_can_i_help", language=language))
        return "greeted"
    if len(text) > settings.CHAT_MESSAGE_MAX_LENGTH:
        notice_enqueue(identity=identity, text=texts.notice("too_long", language=language))
        return "too_long"
    if text in FEEDBACK:
        return _feedback(identity, conversation, helpful=FEEDBACK[text], language=language)
    if word.isdigit() and 1 <= int(word) <= len(link.suggestions):
        # A numbered choice of "Did you mean …?": the customer asks that question.
        text = link.suggestions[int(word) - 1]
    return _question(config, link, conversation, inbound, text)


def _keyword(text: str) -> str:
    """Case and surrounding punctuation do not matter: "Ja!", "yes." and "STOP" count."""
    return unicodedata.normalize("NFKC", text).strip().strip(".!?,;:¡¿ ").casefold()


def _stop_words() -> set[str]:
    return set(texts.keyword_languages(texts.WORD_STOP)) | EXTRA_STOP_WORDS


def _consent_ask(identity: ChannelIdentity, *, outcome: str = "consent_asked") -> str:
    if not conversation_setup.consent_policy_available(
        language=identity.language or settings.LANGUAGE_CODE
    ):
        notice_enqueue(
            identity=identity, text=texts.notice("no_policy", language=identity.language)
        )
        return "no_policy"
    identity.consent_prompted_at = timezone.now()
    identity.save(update_fields=["consent_prompted_at", "updated_at"])
    notice_enqueue(identity=identity, text=texts.consent_prompt(language=identity.language))
    return outcome


def _consent_step(
    config: ChannelConfig,
    identity: ChannelIdentity,
    link: ChannelConversation | None,
    word: str,
    inbound: InboundMessage,
) -> str:
    """Before consent: only the answer to the consent question counts (the engine's
    rules, bot.conversation_setup); "STOP" declines too."""
    yes = texts.keyword_languages(texts.WORD_YES)
    no = texts.keyword_languages(texts.WORD_NO)
    answer = conversation_setup.consent_answer(
        accepts=True if word in yes else False if word in no or word in _stop_words() else None,
        asked=identity.consent_prompted_at is not None,
    )
    if answer is ConsentAnswer.GIVEN:
        outcome = _consent_give(config, identity, link, language=yes[word])
        if outcome == "consent_given":
            _identity_details_update(config, identity, inbound)
        return outcome
    if answer is ConsentAnswer.DECLINED:
        language = no.get(word, identity.language)
        # Forgotten once the answer went out, unless an earlier conversation needs it.
        notice_enqueue(
            identity=identity,
            text=texts.notice("consent_declined", language=language),
            forget_identity=True,
        )
        return "consent_declined"
    return _consent_ask(identity)


def _consent_give(
    config: ChannelConfig,
    identity: ChannelIdentity,
    link: ChannelConversation | None,
    *,
    language: str,
) -> str:
    if not conversation_setup.consent_policy_available(language=language):
        notice_enqueue(identity=identity, text=texts.notice("no_policy", language=language))
        return "no_policy"
    if link is None:
        conversation, _token = conversation_start(channel=config.channel, language=language)
        # The token is not needed: messenger customers are known by their platform id.
        link = ChannelConversation.objects.create(conversation=conversation, identity=identity)
    conversation = (
        Conversation.objects.select_related("consent", "subject")
        .select_for_update(of=("self",))
        .get(pk=link.conversation_id)
    )
    conversation_setup.consent_give(conversation=conversation, language=language)
    identity.language = language
    identity.consent_prompted_at = None
    identity.save(update_fields=["language", "consent_prompted_at", "updated_at"])
    if conversation.subject_id and identity.subject_id != conversation.subject_id:
        ChannelIdentity.objects.filter(pk=identity.pk).update(subject=conversation.subject_id)
    thanks = texts.notice("consent_given", language=language)
    if conversation_setup.identification_needed(conversation):
        link.conversation = conversation
        draft = _draft_prefilled(config, identity, link)
        _identify_advance(identity, link, draft, prefix=thanks)
        return "consent_given"
    notice_enqueue(
        identity=identity,
        text=f"{thanks} {texts.notice('how_can_i_help', language=language)}",
    )
    return "consent_given"


def _improvement_consent(
    identity: ChannelIdentity,
    link: ChannelConversation,
    conversation: Conversation,
    *,
    language: str,
    granted: bool = True,
) -> str:
    """The answer to the separate question: the bot may learn from this conversation, or
    (granted=False) not any more, the rest of the consent standing (Art. 7(3)). A field
    asked for before is asked again, so identification goes on."""
    change = chat.chat_consent_purpose_add if granted else chat.chat_consent_purpose_withdraw
    change(conversation=conversation, purpose=ConsentRecord.Purpose.BOT_IMPROVEMENT)
    text = texts.notice(
        "improvement_given" if granted else "improvement_withdrawn", language=language
    )
    if link.pending_field:
        text = f"{text} {texts.notice(f'ask_{link.pending_field}', language=language)}"
    notice_enqueue(identity=identity, text=text)
    return "improvement_consented" if granted else "improvement_withdrawn"


def _identity_details_update(
    config: ChannelConfig, identity: ChannelIdentity, inbound: InboundMessage
) -> None:
    """After consent: the profile name and phone number the platform sent, kept current."""
    fields = []
    if inbound.profile_name and inbound.profile_name != identity.profile_name:
        identity.profile_name = inbound.profile_name[:NAME_MAX_LENGTH]
        fields.append("profile_name")
    if inbound.phone and inbound.phone != identity.phone:
        identity.phone = inbound.phone[:40]
        fields.append("phone")
    if fields:
        identity.save(update_fields=[*fields, "updated_at"])


# Identification ------------------------------------------------------------------------------


def _draft_prefilled(
    config: ChannelConfig, identity: ChannelIdentity, link: ChannelConversation
) -> dict[str, str]:
    draft = json.loads(link.identity_draft) if link.identity_draft else {}
    required = chat.identity_fields_required()
    if (
        "phone" in required
        and "phone" not in draft
        and config.channel == ChannelConfig.Channel.WHATSAPP
        and identity.external_id.isdigit()
    ):
        # WhatsApp already told us the number the customer writes from.
        draft["phone"] = f"+{identity.external_id}"
    return {name: value for name, value in draft.items() if name in required}


def _draft_save(link: ChannelConversation, draft: dict[str, str], *, pending: str) -> None:
    link.identity_draft = json.dumps(draft) if draft else ""
    link.pending_field = pending
    link.save(update_fields=["identity_draft", "pending_field"])


def _identify_step(
    config: ChannelConfig, identity: ChannelIdentity, link: ChannelConversation, text: str
) -> str:
    """The customer's answer to the field asked (link.pending_field)."""
    language = link.conversation.language
    pending = link.pending_field
    draft, accepted = conversation_setup.identification_answer(
        draft=_draft_prefilled(config, identity, link), field=pending, value=text
    )
    if not accepted:
        notice_enqueue(
            identity=identity,
            text=f"{texts.notice(f'invalid_{pending}', language=language)} "
            f"{texts.notice(f'ask_{pending}', language=language)}",
        )
        return "identity_invalid"
    return _identify_advance(identity, link, draft)


def _identify_advance(
    identity: ChannelIdentity, link: ChannelConversation, draft: dict[str, str], prefix: str = ""
) -> str:
    """Ask for the next missing field, or, when all are there, identify the customer."""
    language = link.conversation.language

    def say(text: str) -> None:
        notice_enqueue(identity=identity, text=f"{prefix} {text}" if prefix else text)

    next_field = conversation_setup.identification_next_field(draft)
    if next_field is not None:
        _draft_save(link, draft, pending=next_field)
        say(texts.notice(f"ask_{next_field}", language=language))
        return "identity_asked"
    refused = conversation_setup.identification_finish(conversation=link.conversation, draft=draft)
    if refused is not None:
        # The privacy app's own checks (they are stricter in places): ask that field again.
        draft.pop(refused, None)
        _draft_save(link, draft, pending=refused)
        say(
            f"{texts.notice(f'invalid_{refused}', language=language)} "
            f"{texts.notice(f'ask_{refused}', language=language)}"
        )
        return "identity_invalid"
    _draft_save(link, {}, pending="")
    ChannelIdentity.objects.filter(pk=identity.pk).update(subject=link.conversation.subject_id)
    say(texts.notice("how_can_i_help", language=language))
    return "identified"


# Questions and feedback ----------------------------------------------------------------------


def _question(
    config: ChannelConfig,
    link: ChannelConversation,
    conversation: Conversation,
    inbound: InboundMessage,
    text: str,
) -> str:
    _message, outcome = chat.chat_message_receive(
        conversation=conversation,
        # Unique per conversation (the platform's id can be long; its index is not).
        client_message_id=platform_message_index(
            channel=config.channel, platform_message_id=inbound.platform_message_id
        ),
        text=text,
    )
    suggestions: list[str] = []
    for reply in outcome.replies:
        if getattr(reply, "suggestions", None):
            suggestions = list(reply.suggestions)
            delivery_suggestions_set(
                message=reply, suggestions=suggestions, language=conversation.language
            )
    ChannelConversation.objects.filter(pk=link.pk).update(suggestions=suggestions)
    return "escalated" if outcome.escalated else "answered"


def _feedback(
    identity: ChannelIdentity, conversation: Conversation, *, helpful: bool, language: str
) -> str:
    last_answer = (
        Message.objects.filter(conversation=conversation, sender=Message.Sender.BOT)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if last_answer is None:
        notice_enqueue(identity=identity, text=texts.notice("how_can_i_help", language=language))
        return "feedback_without_answer"
    outcome = chat.chat_feedback(conversation=conversation, seq=last_answer, helpful=helpful)
    if not outcome.replies:
        notice_enqueue(identity=identity, text=texts.notice("feedback_thanks", language=language))
    return "feedback"


# Personal data (the registry's provider) -----------------------------------------------------


def subject_channel_identities_export(subject: DataSubject) -> dict:
    """The subject's messenger identities, and the platforms their messages went through
    (recipients, Art. 15(1)(c)): each platform since the first contact, until the last
    message sent to the person there."""
    identities = list(identities_of_subject(subject=subject).order_by("created_at"))
    last_sent = dict(
        ChannelDelivery.objects.filter(identity__in=identities, sent_at__isnull=False)
        .values("identity")
        .annotate(last=Max("sent_at"))
        .values_list("identity", "last")
    )
    return {
        "messenger_platforms": [
            {
                "platform": identity.channel,
                "since": identity.created_at.isoformat(),
                "last_sent_at": (
                    last_sent[identity.pk].isoformat() if identity.pk in last_sent else None
                ),
            }
            for identity in identities
        ],
        "identities": [
            {
                "channel": identity.channel,
                "platform_user_id": identity.external_id,
                "phone": identity.phone,
                "profile_name": identity.profile_name,
                "language": identity.language,
                "first_contact": identity.created_at.isoformat(),
                "last_message": (
                    identity.last_inbound_at.isoformat() if identity.last_inbound_at else None
                ),
            }
            for identity in identities
        ],
    }


def subject_channel_identities_erase(subject: DataSubject) -> dict[str, int]:
    """The subject's messenger identities, with their links and queued notices (their
    conversations and messages go with the bot.conversations provider)."""
    identities = list(identities_of_subject(subject=subject).values_list("pk", flat=True))
    deleted, by_model = ChannelIdentity.objects.filter(pk__in=identities).delete()
    return {
        "identities": by_model.get(ChannelIdentity._meta.label, 0),
        "deliveries": by_model.get("bot.ChannelDelivery", 0),
    }


# Housekeeping --------------------------------------------------------------------------------


def channels_housekeeping(*, now=None, batch_size: int = 500) -> dict[str, int]:
    """Forget what is no longer needed; idempotent, in bounded batches.

    - processed platform message ids older than the replay window;
    - identities asked for consent that never answered (CHANNELS_CONSENT_PENDING_HOURS);
    - identities left without any conversation (purged by retention) for as long as the
      "subjects_idle" retention policy keeps an identity without a conversation.
    """
    now = now or timezone.now()
    counts = {"inbound_events": 0, "identities": 0}
    replay_cutoff = now - timedelta(hours=settings.CHANNELS_REPLAY_WINDOW_HOURS)
    counts["inbound_events"] = _batched_delete(
        ChannelInboundEvent.objects.filter(received_at__lt=replay_cutoff), batch_size
    )
    pending_cutoff = now - timedelta(hours=settings.CHANNELS_CONSENT_PENDING_HOURS)
    unlinked = ChannelIdentity.objects.filter(conversation_links__isnull=True)
    counts["identities"] += _batched_delete(
        unlinked.filter(subject__isnull=True, updated_at__lt=pending_cutoff), batch_size
    )
    idle = RetentionPolicy.objects.filter(
        category=RetentionPolicy.Category.SUBJECTS_IDLE, is_active=True
    ).first()
    if idle is not None:
        idle_cutoff = now - timedelta(days=idle.duration_days)
        counts["identities"] += _batched_delete(
            unlinked.filter(updated_at__lt=idle_cutoff), batch_size
        )
    if any(counts.values()):
        logger.info("Messenger housekeeping deleted %s", counts)
    return counts


def _batched_delete(queryset, batch_size: int) -> int:
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            queryset.model.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
