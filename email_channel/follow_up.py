"""Follow-up by e-mail: the team's answer reaches a customer who is no longer in the chat.

There is one follow-up (bot.follow_ups: a call back or an answer by e-mail, a task in
the inbox, consent purpose "follow_up", retention "follow_ups"). A web-chat customer
waiting for the team (outside opening hours that is days) is offered it in the chat: the
e-mail choice is asked there (follow_up_address_leave), the call back on the follow-up
form the chat links to. Its e-mail choice, wherever made, opens the conversation's mail
thread (follow_up_answer_by_mail): the address stored only encrypted, with its blind
index so the customer's reply by mail joins the same conversation. The team's replies
then go out by mail as well (email_channel.seam.agent_reply_stored, while the customer is
not in the chat), and the chat still shows them. The thread goes with the follow-up
(done, withdrawn, retention) or when the conversation closes (follow_up_addresses_release).

A contact-form conversation needs no such step: the customer typed their address into
the form to be answered, so the first reply opens the mail thread to it.

The thread's mailbox (the From of our mail, where the customer's reply arrives) is the
conversation's queue's, else the first active one: no mailbox, no offer.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.models import Assignment
from bot.follow_ups import follow_up_request
from bot.hooks import FollowUpRefused
from bot.models import Conversation, FollowUp
from email_channel.models import Mailbox, MailMessage, MailThread
from email_channel.services import (
    UNSENT,
    answerable_address,
    mails_unsent_cancel,
    reply_token_new,
)
from privacy.crypto import email_blind_index
from privacy.models import ConsentRecord, DataSubject, RetentionPolicy
from privacy.selectors import legal_hold_references, legal_hold_subject_ids
from privacy.services import consent_withdraw

# Channels whose own thread is how the customer wrote to us (not a follow-up's).
THREAD_CHANNELS = (Conversation.Channel.EMAIL, Conversation.Channel.FORM)
# Statuses in which the customer waits for the team's answer.
WAITING_STATUSES = (Conversation.Status.WAITING, Conversation.Status.ASSIGNED)


def follow_up_mailbox(conversation: Conversation) -> Mailbox | None:
    """The mailbox our mail to this customer goes out from (see the module docstring)."""
    queue_id = (
        Assignment.objects.filter(conversation=conversation).values_list("queue_id", flat=True)
    ).first()
    active = Mailbox.objects.filter(is_active=True)
    own = active.filter(queue_id=queue_id).first() if queue_id else None
    return own or active.order_by("pk").first()


def follow_up_available(conversation: Conversation) -> bool:
    """Whether the chat may offer it now: a web chat waiting for the team, not left yet,
    and a mailbox to write from."""
    return (
        conversation.channel == Conversation.Channel.WEB
        and conversation.status in WAITING_STATUSES
        and not follow_up_left(conversation)
        and follow_up_mailbox(conversation) is not None
    )


def follow_up_left(conversation: Conversation) -> bool:
    return MailThread.objects.filter(conversation=conversation).exists()


def follow_up_address_withdraw(conversation: Conversation) -> bool:
    """The customer withdrew consent in the chat (bot.follow_ups.follow_ups_withdraw forgot
    the follow-ups' contacts): the follow-up's address is deleted here too (the thread, and
    with it the reply token: later replies stay in the chat, mails not sent yet fail as
    "no_thread") and every follow-up consent of the conversation withdrawn. An identity an
    address left before the follow-ups were one (email_channel 0004) made holds the same
    address as an unverified claim: it is cleared too; a subject that exists for more than
    this (the chat's identity, a proved address) is left as is. Not on e-mail and
    contact-form conversations: their thread is how that customer wrote to us.
    Returns whether there was an address to forget."""
    if conversation.channel in THREAD_CHANNELS:
        return False
    with transaction.atomic():
        thread = MailThread.objects.filter(conversation=conversation).first()
        consents = ConsentRecord.objects.filter(
            reference=conversation.public_id,
            purposes=[ConsentRecord.Purpose.FOLLOW_UP],
            withdrawn_at__isnull=True,
        )
        for consent in consents:
            consent_withdraw(record=consent)
        if thread is None:
            return False
        _address_forget(conversation.subject, thread)
    return True


def follow_up_answer_by_mail(conversation: Conversation, address: str) -> bool:
    """The customer chose "answer by e-mail" in the bot's follow-up form (bot.follow_ups,
    which recorded the consent and checked the address): the team's replies go out by
    mail from the conversation's mailbox (one way to send mail), and the customer's reply
    joins the conversation. False without an active mailbox (the agent writes from their
    own mail client then). A conversation that has a thread already keeps it."""
    if conversation.channel in THREAD_CHANNELS:
        return False
    if follow_up_left(conversation):
        return True
    mailbox = follow_up_mailbox(conversation)
    if mailbox is None:
        return False
    MailThread.objects.create(
        conversation=conversation,
        mailbox=mailbox,
        customer_address=address,
        customer_address_index=email_blind_index(address),
        subject=_thread_subject(conversation),
        reply_token=reply_token_new(),
    )
    return True


def follow_up_answer_by_mail_end(conversation: Conversation) -> None:
    """The follow-up is done: its address is forgotten (the confirmation promised it).
    A thread with a mail still waiting to go out is kept, so that mail is not lost: the
    housekeeping (follow_up_addresses_release) deletes it once the mail went out."""
    if conversation.channel in THREAD_CHANNELS:
        return
    waiting = MailMessage.objects.filter(
        conversation=conversation, direction=MailMessage.Direction.OUTBOUND, status__in=UNSENT
    )
    thread = MailThread.objects.filter(conversation=conversation).first()
    if thread is not None and not waiting.exists():
        _address_forget(conversation.subject, thread)


def _address_forget(subject: DataSubject | None, thread: MailThread) -> None:
    """The follow-up's thread goes, and with it the address; so does the address on an
    identity the follow-up made for it (an unverified claim of that address only), and
    on the customer's replies by mail (their sender: what they wrote stays, as in chat)."""
    if subject is not None and _subject_is_the_follow_ups(subject, thread):
        subject.email = ""
        subject.email_index = None
        subject.save(update_fields=["email", "email_index"])
    MailMessage.objects.filter(
        conversation_id=thread.conversation_id, direction=MailMessage.Direction.INBOUND
    ).update(sender="")
    thread.delete()


def _follow_up_threads_unneeded():
    """Follow-up threads (not e-mail or contact-form conversations, whose thread is how
    the customer wrote to us) whose address nothing needs any more: the conversation is
    closed (it takes no reply, and a mail from the customer starts a new one), or the
    follow-up is over (no open "answer by e-mail" follow-up: done, withdrawn, or deleted
    by its retention). A legal hold keeps them."""
    open_follow_up = FollowUp.objects.filter(
        conversation_id=OuterRef("conversation_id"),
        method=FollowUp.Method.EMAIL,
        done_at__isnull=True,
    )
    return (
        MailThread.objects.exclude(conversation__channel__in=THREAD_CHANNELS)
        .annotate(follow_up_open=Exists(open_follow_up))
        .filter(Q(conversation__status=Conversation.Status.CLOSED) | Q(follow_up_open=False))
        .exclude(conversation__public_id__in=legal_hold_references())
        .exclude(conversation__subject_id__in=legal_hold_subject_ids())
    )


def follow_up_addresses_release(*, now=None, batch_size: int = 1000) -> dict[str, int]:
    """Housekeeping (Celery beat, "email-housekeeping", hourly): a follow-up's address
    goes once nothing needs it (_follow_up_threads_unneeded) instead of waiting for the
    conversation's retention. A reply still waiting to go out is delivered first (the
    sender's retries are bounded); the thread goes on the next run after it. Should it
    still wait when the address's own retention ("follow_ups", from when the address was
    given) is over, it is cancelled visibly ("Not sent", cancelled, on the conversation
    page) and the address goes. Returns counts, never content."""
    now = now or timezone.now()
    days = (
        RetentionPolicy.objects.filter(category=RetentionPolicy.Category.FOLLOW_UPS, is_active=True)
        .values_list("duration_days", flat=True)
        .first()
    )
    expired_before = now - timedelta(days=days) if days is not None else None
    released = cancelled = 0
    for thread_id in (
        _follow_up_threads_unneeded().order_by("pk").values_list("pk", flat=True)[:batch_size]
    ):
        with transaction.atomic():
            thread = (
                _follow_up_threads_unneeded()
                .select_for_update(of=("self",))
                .select_related("conversation__subject")
                .filter(pk=thread_id)
                .first()
            )
            if thread is None:
                continue
            unsent = MailMessage.objects.filter(
                conversation_id=thread.conversation_id,
                direction=MailMessage.Direction.OUTBOUND,
                status__in=UNSENT,
            )
            if unsent.exists():
                if expired_before is None or thread.created_at >= expired_before:
                    continue  # delivered first
                count = mails_unsent_cancel(conversation_id=thread.conversation_id, now=now)
                if count is None:
                    continue  # being sent right now: the next run sees how it went
                cancelled += count
            _address_forget(thread.conversation.subject, thread)
            released += 1
    return {"follow_up_addresses": released, "follow_up_mails_cancelled": cancelled}


def _subject_is_the_follow_ups(subject: DataSubject, thread: MailThread) -> bool:
    """Whether the subject was made for an address left in the chat before the follow-ups
    were one (email_channel 0004; since then the address stays on the follow-up and the
    thread, never on an identity): an unverified claim of the thread's address, to which
    only follow-up consents are linked."""
    return (
        not subject.is_verified
        and subject.email_index == thread.customer_address_index
        and not ConsentRecord.objects.filter(subject=subject)
        .exclude(purposes=[ConsentRecord.Purpose.FOLLOW_UP])
        .exists()
    )


def _thread_subject(conversation: Conversation) -> str:
    # Our words, not the customer's: a chat has no subject line of its own.
    with translation.override(conversation.language):
        return _("Your conversation with our support team")


def follow_up_address_leave(*, conversation: Conversation, address: str) -> MailThread:
    """The waiting chat's follow-up, answered by e-mail: the same follow-up the bot's form
    records (bot.follow_ups.follow_up_request: a task in the inbox, its consent with
    purpose "follow_up" to the policy version accepted in the chat, the confirmation in
    the transcript), whose e-mail choice opens the mail thread (follow_up_answer_by_mail).
    The address stays on the follow-up and the thread only; an identity is never changed."""
    if not follow_up_available(conversation):
        raise FollowUpRefused("follow-up not available", code="follow_up_unavailable")
    address = address.strip()
    if not answerable_address(address):
        raise FollowUpRefused("invalid address", code="invalid_email")
    try:
        follow_up_request(
            conversation=conversation,
            method=FollowUp.Method.EMAIL,
            contact=address,
            preferred_time=FollowUp.PreferredTime.ANY,
            policy_version=conversation.consent.policy_version.version,
            language=conversation.language,
        )
    except ValidationError as error:
        raise FollowUpRefused("invalid address", code="invalid_email") from error
    return MailThread.objects.get(conversation=conversation)


def form_thread_open(conversation: Conversation) -> MailThread | None:
    """A contact-form conversation's thread to the address typed into the form, opened
    with the team's first reply; None without an address or a mailbox."""
    subject = conversation.subject
    address = subject.email if subject is not None else ""
    mailbox = follow_up_mailbox(conversation)
    if not address or mailbox is None or not answerable_address(address):
        return None
    first = conversation.messages.filter(sender="customer").order_by("seq").first()
    # The form's subject line leads its first message (helpcentre.services).
    subject_line = first.text.split("\n", 1)[0][:200] if first is not None else ""
    return MailThread.objects.create(
        conversation=conversation,
        mailbox=mailbox,
        customer_address=address,
        customer_address_index=email_blind_index(address),
        subject=subject_line or _thread_subject(conversation),
        reply_token=reply_token_new(),
    )
