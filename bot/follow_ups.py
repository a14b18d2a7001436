"""Follow-ups: the customer asks to be called back or answered by e-mail (issue 26).

The follow-up action (bot.intent_actions) sends a link to a short form, the same on the
website chat and every messenger: the customer chooses one way (a call or an e-mail),
gives only what that way needs, a preferred time of day, and consents to being contacted
for this. The link is signed and expires; it names the conversation, nothing personal.

What the customer gives is stored encrypted (FollowUp.contact), with its consent record,
and the conversation is queued for the team with reason "follow_up" (the intent's queue
first): a task in the inbox. The agent sees the number or address on the conversation
page (an audited read) and marks the follow-up done, which forgets it. An answer by
e-mail goes out through email_channel's outbound mail when a mailbox is active (the
follow-up channel in bot.hooks); else the agent writes from their own mail client. Retention
("follow_ups") deletes follow-ups left longer; export and erasure reach them through
the conversation (bot.services). The web chat offers the same follow-up while the
customer waits for the team (email_channel.follow_up asks the e-mail choice in the chat
and calls follow_up_request; the call back links to this form): one offer, one consent
purpose ("follow_up").
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bot import chat, hooks
from bot.models import Conversation, FollowUp, Message
from bot.services import message_append
from event_pipeline import events
from event_pipeline.outbox import call_action, outbox_event_record
from privacy.identity_fields import identity_email_clean, identity_phone_clean
from privacy.models import AuditEvent, ConsentRecord, RetentionPolicy
from privacy.selectors import legal_hold_references, legal_hold_subject_ids
from privacy.services import (
    audit_record,
    consent_link_subject,
    consent_record,
    consent_withdraw,
    data_subject_identify,
    policy_version_active,
    queryset_purge,
)

ESCALATION_REASON = "follow_up"
LINK_SALT = "bot.follow_up"
# Long enough to answer tomorrow morning; a later wish starts again from the chat.
LINK_VALID_HOURS = 48


def follow_up_link(*, conversation: Conversation, language: str) -> str:
    token = signing.dumps(conversation.public_id.hex, salt=LINK_SALT)
    path = reverse("bot:follow-up", kwargs={"token": token})
    # The form in the language the bot answered in (LanguageFromQueryMiddleware; no cookie).
    return f"{settings.SITE_URL}{path}?language={language}"


def follow_up_form_link(*, conversation: Conversation) -> str | None:
    """The follow-up form's link while the form can be used for the conversation (not
    closed, a privacy policy to consent under: FollowUpView), else None. A call back
    needs no mailbox, so this does not ask for one."""
    if conversation.status == Conversation.Status.CLOSED:
        return None
    if policy_version_active(language=conversation.language) is None:
        return None
    return follow_up_link(conversation=conversation, language=conversation.language)


def follow_up_conversation_get(*, token: str) -> Conversation | None:
    """The conversation a follow-up link was sent in, while the link is valid and the
    conversation still open."""
    try:
        public_hex = signing.loads(token, salt=LINK_SALT, max_age=timedelta(hours=LINK_VALID_HOURS))
    except signing.BadSignature:
        return None
    return (
        Conversation.objects.select_related("subject", "consent")
        .filter(public_id=public_hex)
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def follow_up_retention_days() -> int | None:
    """How long a follow-up is kept at most (the "follow_ups" retention), for the form."""
    return (
        RetentionPolicy.objects.filter(category=RetentionPolicy.Category.FOLLOW_UPS, is_active=True)
        .values_list("duration_days", flat=True)
        .first()
    )


def _contact_clean(method: str, contact: str) -> str:
    if method == FollowUp.Method.PHONE:
        cleaned = identity_phone_clean(contact)
    elif method == FollowUp.Method.EMAIL:
        cleaned = identity_email_clean(contact)
    else:
        raise ValidationError({"method": _("Choose how we should get back to you.")})
    if not cleaned:
        raise ValidationError({"contact": _("Please fill in this field.")})
    return cleaned


def _confirmation(follow_up: FollowUp) -> str:
    when = follow_up.get_preferred_time_display()
    if follow_up.method == FollowUp.Method.PHONE:
        return _(
            "You asked us to call you back. Preferred time: %(when)s. Someone from our team will "
            "call you; we use your number only for this and forget it once we have called."
        ) % {"when": when}
    return _(
        "You asked us to answer you by e-mail. Preferred time: %(when)s. Someone from our "
        "team will write to you; we use your address only for this and forget it once we "
        "have answered."
    ) % {"when": when}


@transaction.atomic
def follow_up_request(
    *,
    conversation: Conversation,
    method: str,
    contact: str,
    preferred_time: str,
    policy_version: str,
    language: str,
    ip_address: str | None = None,
) -> FollowUp:
    """Record the customer's wish with their consent and queue the conversation for the
    team (reason "follow_up"); the customer and the agents read what happens next, in the
    language of the form (the one the bot answered in)."""
    contact = _contact_clean(method, contact)
    if language not in dict(settings.LANGUAGES):
        language = conversation.language
    if preferred_time not in FollowUp.PreferredTime.values:
        raise ValidationError({"preferred_time": _("Choose a time.")})
    # Locked alone: PostgreSQL refuses FOR UPDATE on the nullable side of the joins.
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("subject", "consent")
        .get(pk=conversation.pk)
    )
    if conversation.status == Conversation.Status.CLOSED:
        raise ValidationError(_("This conversation is closed."), code="closed")
    consent = consent_record(
        reference=conversation.public_id,
        language=language,
        policy_version=policy_version,
        channel=conversation.channel,
        purposes=[ConsentRecord.Purpose.FOLLOW_UP],
        ip_address=ip_address,
    )
    subject = conversation.subject
    if subject is None:
        # The wish belongs to a person (export, erasure): this chat gets one; the contact
        # stays on the follow-up, not on the identity (it is given for this purpose only).
        subject = data_subject_identify()
        conversation.subject = subject
        conversation.save(update_fields=["subject", "updated_at"])
        if conversation.consent_id:
            consent_link_subject(record=conversation.consent, subject=subject)
    consent_link_subject(record=consent, subject=subject)
    follow_up = FollowUp.objects.create(
        conversation=conversation,
        method=method,
        contact=contact,
        preferred_time=preferred_time,
        consent=consent,
    )
    mail_channel = hooks.follow_up_channel()
    if method == FollowUp.Method.EMAIL and mail_channel is not None:
        # With an active mailbox the team's replies go out by mail from Supportdesk.
        mail_channel.answer_by_mail(conversation, contact)
    with translation.override(language):
        message, _created = message_append(
            conversation=conversation, sender=Message.Sender.SYSTEM, text=_confirmation(follow_up)
        )
    frames = [events.message_frame(message)]
    if conversation.status in (Conversation.Status.BOT, Conversation.Status.RESOLVED):
        conversation = chat.conversation_escalate(
            conversation=conversation,
            reason=ESCALATION_REASON,
            reopen=conversation.status == Conversation.Status.RESOLVED,
        )
        frames.append(events.status_frame(Conversation.Status.WAITING))
    actions = events.customer_frames_actions(public_hex=conversation.public_id.hex, frames=frames)
    # The agents watching the conversation read the wish in the transcript.
    actions.append(call_action(chat.AGENTS_MESSAGE_PUSH, message_id=message.pk))
    outbox_event_record(kind="message.created", actions=actions, reference=conversation.public_id)
    return follow_up


@transaction.atomic
def follow_up_done(*, follow_up: FollowUp, acting_user: AbstractBaseUser) -> FollowUp:
    """The agent called back or answered: the number or address is forgotten (idempotent)."""
    updated = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=acting_user, contact=None
    )
    follow_up.refresh_from_db()
    mail_channel = hooks.follow_up_channel()
    if updated and follow_up.method == FollowUp.Method.EMAIL and mail_channel is not None:
        mail_channel.answer_by_mail_end(follow_up.conversation)
    if updated:
        audit_record(
            action="follow_up.done",
            acting_user=acting_user,
            target=follow_up,
            subject=follow_up.conversation.subject,
            reason_code=AuditEvent.Reason.SUPPORT,
            details={
                "conversation": str(follow_up.conversation.public_id),
                "method": follow_up.method,
            },
        )
    return follow_up


def follow_ups_withdraw(*, conversation: Conversation) -> int:
    """The customer withdrew consent in the chat: their open follow-ups' consents are
    withdrawn too and the numbers or addresses forgotten (the task stays, marked done)."""
    open_follow_ups = list(
        FollowUp.objects.filter(conversation=conversation, done_at__isnull=True).select_related(
            "consent"
        )
    )
    for follow_up in open_follow_ups:
        if follow_up.consent is not None:
            consent_withdraw(record=follow_up.consent)
    FollowUp.objects.filter(pk__in=[f.pk for f in open_follow_ups]).update(
        done_at=timezone.now(), contact=None
    )
    return len(open_follow_ups)


def follow_ups_purge(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Retention ("follow_ups"): follow-ups asked for before the cutoff, done or not, and
    those of a closed conversation (nobody can call back or answer there any more, nor
    mark them done: the number or address goes now, not a month later), except where a
    legal hold keeps the conversation or its person."""
    expired = (
        FollowUp.objects.filter(
            Q(created_at__lt=cutoff) | Q(conversation__status=Conversation.Status.CLOSED)
        )
        .exclude(conversation__public_id__in=legal_hold_references())
        .exclude(conversation__subject_id__in=legal_hold_subject_ids())
    )
    return queryset_purge(
        expired,
        batch_size=batch_size,
        max_batches=max_batches,
        dry_run=dry_run,
    )
