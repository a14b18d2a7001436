"""The e-mail channel's verbs: fetch a mailbox, receive a mail, queue and send a reply,
and the personal-data provider's export and erasure.

Inbound: parse (email_channel.parsing); the same Message-ID is stored once; automatic
mail (auto-replies, bounces, bulk, our own mail come back) is recorded without content
and never answered; a person's mail joins its thread (In-Reply-To / References, else
the reply token in the subject, and only from the thread's own address) or starts a
conversation in the mailbox's queue. The step into the conversations is email_channel.seam.

Outbound: an agent's reply becomes a MailMessage in the reply's transaction; Celery
sends it over SMTP (the default mailer, EMAIL_URL) with Message-ID, In-Reply-To and
References, retrying transient failures with exponential backoff.
"""

import base64
import hashlib
import logging
import re
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from bot.consent_link import consent_purposes_link
from bot.models import Conversation, Message
from bot.nlu.language import language_detect
from email_channel import seam
from email_channel.attachments import attachment_orphans_delete, attachments_store
from email_channel.models import Attachment, Mailbox, MailMessage, MailThread
from email_channel.parsing import ParsedMail, header_message_id, mail_parse
from email_channel.sources import SourceError, source_open
from event_pipeline import events
from privacy.crypto import blind_index, email_blind_index
from privacy.models import AuditEvent, DataSubject
from privacy.registry import provider_list
from privacy.services import audit_record, data_subject_identify

logger = logging.getLogger(__name__)

# Our Message-IDs: "<sd.<32 hex>@<mailbox domain>>"; one coming back in is a loop.
_OWN_MESSAGE_ID = re.compile(r"^<sd\.[0-9a-f]{32}@")
_REPLY_TOKEN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REPLY_TOKEN_LENGTH = 10
# The most text one mail puts into the conversation, and onto the mail record.
MESSAGE_TEXT_MAX_CHARS = 20_000
BODY_MAX_CHARS = 200_000
# A "sending" claim older than this belongs to a worker that died (task limit is 360 s).
CLAIM_STALE_SECONDS = 400
UNSENT = (MailMessage.Status.PENDING, MailMessage.Status.RETRYING, MailMessage.Status.SENDING)


@dataclass(frozen=True)
class Receipt:
    """What became of one fetched mail: "stored", "duplicate" or "ignored" (and why)."""

    outcome: str
    mail: MailMessage | None = None
    kind: str = MailMessage.Kind.PERSONAL
    new_conversation: bool = False


def message_id_index(message_id: str) -> str:
    return blind_index(f"mail-message-id:{message_id}")


def reply_token_new() -> str:
    return "".join(secrets.choice(_REPLY_TOKEN_ALPHABET) for _ in range(REPLY_TOKEN_LENGTH))


def _own_message_id(mailbox: Mailbox) -> str:
    domain = mailbox.address.rsplit("@", 1)[-1] or "localhost"
    return f"<sd.{secrets.token_hex(16)}@{domain}>"


# Inbound ---------------------------------------------------------------------------------


def own_addresses() -> frozenset[str]:
    """Every mailbox's address: mail from one of them, or with "X-Loop: <one of them>"
    (which our replies carry), came from us."""
    return frozenset(
        address.lower() for address in Mailbox.objects.values_list("address", flat=True)
    )


def _x_loop(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line.lower().startswith(b"x-loop:"):
            return line.split(b":", 1)[1].strip().decode("ascii", errors="replace").lower()
    return ""


def _is_loop(parsed: ParsedMail, raw: bytes, ours: frozenset[str]) -> bool:
    return (
        bool(_OWN_MESSAGE_ID.match(parsed.message_id))
        or parsed.sender in ours
        or _x_loop(raw) in ours
    )


def thread_find(*, parsed: ParsedMail, sender_index: str) -> MailThread | None:
    """The open thread this mail answers, from its own sender only: by In-Reply-To and
    References, else by the reply token in the subject. A closed conversation takes no
    more mail (a new one starts)."""
    open_threads = MailThread.objects.exclude(
        conversation__status=Conversation.Status.CLOSED
    ).filter(customer_address_index=sender_index)
    indexes = [message_id_index(mid) for mid in parsed.thread_ids[:50]]
    if indexes:
        known = MailMessage.objects.filter(
            message_id_index__in=indexes, conversation__isnull=False
        ).values_list("message_id_index", "conversation_id")
        by_index = dict(known)
        for index in indexes:  # nearest first
            if index in by_index:
                thread = open_threads.filter(conversation_id=by_index[index]).first()
                if thread is not None:
                    return thread
    token = parsed.reply_token
    if token:
        return open_threads.filter(reply_token=token).first()
    return None


def answerable_address(address: str) -> bool:
    """An address we can write back to (and store as the sender's claim)."""
    try:
        validate_email(address)
    except ValidationError:
        return False
    return len(address) <= MailThread._meta.get_field("customer_address").max_length


def _conversation_language(mailbox: Mailbox, text: str) -> str:
    if mailbox.queue.language:
        return mailbox.queue.language
    fallback = settings.LANGUAGE_CODE.split("-")[0]
    return language_detect(text, fallback=fallback)


def _ignored(mailbox: Mailbox, parsed: ParsedMail, index: str, kind: str) -> Receipt:
    """Recorded without content (nothing of it is needed), so it is recognised again."""
    thread = None
    if parsed.sender:
        thread = thread_find(parsed=parsed, sender_index=email_blind_index(parsed.sender))
    try:
        with transaction.atomic():
            mail = MailMessage.objects.create(
                direction=MailMessage.Direction.INBOUND,
                kind=kind,
                status=MailMessage.Status.IGNORED,
                mailbox=mailbox,
                conversation_id=thread.conversation_id if thread else None,
                message_id_index=index,
            )
    except IntegrityError:
        return Receipt(outcome="duplicate", kind=kind)
    logger.info("Mailbox %s: an automatic mail (%s) was recorded, not answered", mailbox.pk, kind)
    return Receipt(outcome="ignored", mail=mail, kind=kind)


def mail_receive(*, mailbox: Mailbox, raw: bytes, ours: frozenset[str] | None = None) -> Receipt:
    """One raw mail into Supportdesk (see the module docstring). Safe to call twice.

    `ours`: own_addresses(), passed in by a fetch that receives many mails."""
    message_id = header_message_id(raw) or f"<{hashlib.sha256(raw).hexdigest()}@no-message-id>"
    index = message_id_index(message_id)
    if MailMessage.objects.filter(message_id_index=index).exists():
        return Receipt(outcome="duplicate")
    parsed = mail_parse(raw)
    if _is_loop(parsed, raw, own_addresses() if ours is None else ours):
        return _ignored(mailbox, parsed, index, MailMessage.Kind.LOOP)
    if parsed.automatic is not None or not answerable_address(parsed.sender):
        # No address to answer is treated as a bounce: nobody could be written back to.
        return _ignored(mailbox, parsed, index, parsed.automatic or MailMessage.Kind.BOUNCE)
    try:
        return _personal_mail_store(mailbox, parsed, message_id, index)
    except IntegrityError:
        # The same mail stored meanwhile by a concurrent fetch.
        if MailMessage.objects.filter(message_id_index=index).exists():
            return Receipt(outcome="duplicate")
        raise


@transaction.atomic
def _personal_mail_store(
    mailbox: Mailbox, parsed: ParsedMail, message_id: str, index: str
) -> Receipt:
    sender_index = email_blind_index(parsed.sender)
    thread = thread_find(parsed=parsed, sender_index=sender_index)
    text = parsed.text_new[:MESSAGE_TEXT_MAX_CHARS] or "—"
    if thread is None:
        # The first mail's subject names the request: it leads the message.
        first_text = f"{parsed.subject}\n\n{text}" if parsed.subject else text
        # A typed (here: sent-from) address is a claim: a new, unverified subject.
        subject = data_subject_identify(name=parsed.sender_name, email=parsed.sender)
        conversation, message = seam.conversation_from_mail(
            queue=mailbox.queue,
            language=_conversation_language(mailbox, text),
            subject=subject,
            text=first_text,
            client_message_id=index,
        )
        thread = MailThread.objects.create(
            conversation=conversation,
            mailbox=mailbox,
            customer_address=parsed.sender,
            customer_address_index=sender_index,
            subject=parsed.subject,
            reply_token=reply_token_new(),
        )
        new_conversation = True
    else:
        conversation = Conversation.objects.select_related("subject").get(pk=thread.conversation_id)
        message = seam.message_from_mail(
            conversation=conversation,
            queue=mailbox.queue,
            text=text,
            client_message_id=index,
        )
        new_conversation = False
    mail = MailMessage.objects.create(
        direction=MailMessage.Direction.INBOUND,
        kind=MailMessage.Kind.PERSONAL,
        status=MailMessage.Status.RECEIVED,
        mailbox=mailbox,
        conversation=conversation,
        message=message,
        message_id_index=index,
        header_message_id=message_id,
        references=list(parsed.references[-20:]),
        subject=parsed.subject,
        sender=parsed.sender,
        body=parsed.text[:BODY_MAX_CHARS],
    )
    _stored, refused = attachments_store(
        message=message,
        files=[(a.filename, a.content_type, a.payload) for a in parsed.attachments],
    )
    if refused:
        mail.attachments_refused = [refusal.as_dict() for refusal in refused]
        mail.save(update_fields=["attachments_refused", "updated_at"])
    if new_conversation:
        # Once the mail is on record (our answer's References name it): the bot answers
        # or the team gets it. The question is the first mail's text, history trimmed.
        seam.mail_bot_react(
            conversation=conversation,
            queue=mailbox.queue,
            question=first_text,
            auto_answer=mailbox.bot_auto_answer,
        )
    return Receipt(outcome="stored", mail=mail, new_conversation=new_conversation)


def mailbox_fetch(*, mailbox_id: int, limit: int | None = None) -> dict[str, int]:
    """Take the mailbox's new mail (at most `limit`, EMAIL_FETCH_BATCH_SIZE by default);
    returns counts per outcome. A mail that fails to store is logged and left for the
    next run (Maildir) or on the server (IMAP); the others go on."""
    mailbox = Mailbox.objects.select_related("queue").filter(pk=mailbox_id, is_active=True).first()
    counts = {"stored": 0, "duplicate": 0, "ignored": 0, "failed": 0}
    if mailbox is None:
        return counts
    limit = limit or settings.EMAIL_FETCH_BATCH_SIZE
    error_code = ""
    source = source_open(mailbox)
    ours = own_addresses()
    try:
        with source:
            for key, raw in source.fetch(limit=limit):
                try:
                    receipt = mail_receive(mailbox=mailbox, raw=raw, ours=ours)
                except Exception:
                    # The exception's text may quote the mail: only ids are logged.
                    logger.error(
                        "Mailbox %s: mail %s could not be stored", mailbox.pk, key, exc_info=False
                    )
                    counts["failed"] += 1
                    error_code = "mail_failed"
                    if mailbox.source == Mailbox.Source.MAILDIR:
                        continue  # stays in new/ for the next run
                else:
                    counts[receipt.outcome] += 1
                source.done(key)
    except SourceError as error:
        error_code = error.code
        logger.warning("Mailbox %s could not be read: %s", mailbox.pk, error.code)
    fields = {"last_fetched_at": timezone.now(), "last_error": error_code}
    if isinstance(getattr(source, "last_uid", None), int):
        fields["imap_last_uid"] = source.last_uid
        if source.uidvalidity is not None:
            fields["imap_uidvalidity"] = source.uidvalidity
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    return counts


def mailboxes_active_ids() -> list[int]:
    return list(Mailbox.objects.filter(is_active=True).values_list("pk", flat=True))


# Outbound --------------------------------------------------------------------------------


def reply_mail_enqueue(*, conversation: Conversation, message: Message) -> MailMessage | None:
    """Queue an agent's reply as a mail (inside the reply's transaction; sent after commit).
    Nothing for a conversation without a mail thread; a thread whose mailbox was removed
    gets the reply recorded as not sent, so the agent sees it did not go out."""
    thread = MailThread.objects.select_related("mailbox").filter(conversation=conversation).first()
    if thread is None:
        return None
    if thread.mailbox is None:
        message_id = f"<sd.{secrets.token_hex(16)}@localhost>"
        return MailMessage.objects.create(
            direction=MailMessage.Direction.OUTBOUND,
            status=MailMessage.Status.FAILED,
            error_code="no_mailbox",
            conversation=conversation,
            message=message,
            header_message_id=message_id,
            message_id_index=message_id_index(message_id),
        )
    earlier = list(
        MailMessage.objects.filter(conversation=conversation)
        .filter(status__in=[MailMessage.Status.RECEIVED, MailMessage.Status.SENT])
        .order_by("id")
        .only("header_message_id", "direction")
    )
    # References: the first mail of the thread and the latest few (RFC 5322 §3.6.4 keeps
    # the chain; mail clients cope with a shortened one that keeps its ends).
    chain = [mail.header_message_id for mail in earlier if mail.header_message_id]
    references = chain[:1] + chain[1:][-9:]
    message_id = _own_message_id(thread.mailbox)
    mail = MailMessage.objects.create(
        direction=MailMessage.Direction.OUTBOUND,
        status=MailMessage.Status.PENDING,
        mailbox=thread.mailbox,
        conversation=conversation,
        message=message,
        header_message_id=message_id,
        message_id_index=message_id_index(message_id),
        references=references,
        subject=_reply_subject(thread),
        sender=thread.mailbox.address,
    )
    # email_channel.tasks imports this module.
    from email_channel.tasks import mail_send_task

    mail_send_task.delay_on_commit(mail.pk)
    return mail


def _reply_subject(thread: MailThread) -> str:
    # One line: a contact form's subject may hold a carriage return, a header none.
    subject = " ".join(thread.subject.split()) or "—"
    if not re.match(r"(?i)^(re|aw|antw):", subject):
        subject = f"Re: {subject}"
    token = f"[#SD-{thread.reply_token}]"
    return subject if token in subject else f"{subject} {token}"


def backoff_seconds(*, attempts: int) -> float:
    base = settings.EMAIL_SEND_BACKOFF_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.EMAIL_SEND_BACKOFF_MAX_SECONDS)


def _mail_render(mail: MailMessage, thread: MailThread) -> EmailMessage:
    conversation = mail.conversation
    mailbox = mail.mailbox
    language = conversation.language if conversation.language in ("de", "en") else "en"
    by_bot = mail.message.sender == Message.Sender.BOT
    with translation.override(language):
        body = render_to_string(
            "email_channel/reply.txt",
            {
                "text": mail.message.text,
                "by_bot": by_bot,
                "signature": getattr(mailbox, f"signature_{language}", ""),
                "reply_token": thread.reply_token,
                # Every mail of a conversation with a consent: its optional purpose is
                # withdrawn (or given again) with one click (Art. 7(3), bot.consent_link).
                "consent_link": consent_purposes_link(conversation=conversation),
            },
        )
    in_reply_to = mail.references[-1] if mail.references else ""
    headers = {
        "Message-ID": mail.header_message_id,
        # X-Loop lets our own fetch recognise our mail should it come back.
        "X-Loop": mailbox.address,
        "Content-Language": language,
    }
    if by_bot:
        # RFC 3834: an automatic answer says so; the customer's own auto-responder (out
        # of office) then does not answer it. Agents' replies are written by people.
        headers["Auto-Submitted"] = "auto-replied"
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = " ".join(mail.references)
    return EmailMessage(
        subject=mail.subject,
        body=body,
        from_email=f"{mailbox.queue.name} <{mailbox.address}>",
        to=[thread.customer_address],
        headers=headers,
    )


def mail_send_attempt(*, mail_id: int) -> float | None:
    """Send one queued reply if it is due; returns seconds until the next try, or None
    when finished (sent, failed, or nothing to do). Safe to call twice: a conditional
    update claims the mail, and a sent one is never sent again."""
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_STALE_SECONDS)
    claimed = (
        MailMessage.objects.filter(pk=mail_id, direction=MailMessage.Direction.OUTBOUND)
        .filter(
            Q(status__in=[MailMessage.Status.PENDING, MailMessage.Status.RETRYING])
            | Q(status=MailMessage.Status.SENDING, claimed_at__lt=stale)
        )
        .update(
            status=MailMessage.Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return None
    mail = MailMessage.objects.select_related("conversation", "message", "mailbox__queue").get(
        pk=mail_id
    )
    thread = MailThread.objects.filter(conversation_id=mail.conversation_id).first()
    if thread is None or mail.mailbox is None:
        _send_failed(mail, code="no_thread", retry=False)
        return None
    try:
        _mail_render(mail, thread).send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        return _send_failed(mail, code=f"smtp_{codes[0]}", retry=all(c < 500 for c in codes))
    except smtplib.SMTPResponseException as error:
        retry = error.smtp_code < 500 or isinstance(error, smtplib.SMTPAuthenticationError)
        return _send_failed(mail, code=f"smtp_{error.smtp_code}", retry=retry)
    except (smtplib.SMTPException, OSError) as error:
        return _send_failed(mail, code=type(error).__name__[:40], retry=True)
    except Exception as error:
        # Not the server's answer (the mail could not be built): trying again fails the
        # same way, so it is not sent, visibly. Only the class is kept: the message may
        # quote the address or the subject.
        return _send_failed(mail, code=type(error).__name__[:40], retry=False)
    sent_at = timezone.now()
    MailMessage.objects.filter(pk=mail.pk).update(
        status=MailMessage.Status.SENT,
        sent_at=sent_at,
        claimed_at=None,
        next_attempt_at=None,
        error_code="",
        updated_at=sent_at,
    )
    logger.info("Mail %s sent", mail.pk)
    _agents_tell(mail, status=MailMessage.Status.SENT)
    return None


def mail_sends_requeue(*, now=None, batch_size: int = 100) -> int:
    """Replies whose task was lost (a worker died; the embedded broker forgets a taken
    task; a crash between commit and enqueue): due, or claimed, longer ago than
    JOBS_STUCK_AFTER_SECONDS. Each is queued again once (a conditional update marks it);
    sending twice is prevented by mail_send_attempt's claim."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STUCK_AFTER_SECONDS)
    stale = now - timedelta(seconds=CLAIM_STALE_SECONDS)
    stuck = MailMessage.objects.filter(direction=MailMessage.Direction.OUTBOUND).filter(
        Q(
            status__in=[MailMessage.Status.PENDING, MailMessage.Status.RETRYING],
            next_attempt_at__lt=cutoff,
        )
        | Q(
            status__in=[MailMessage.Status.PENDING, MailMessage.Status.RETRYING],
            next_attempt_at__isnull=True,
            updated_at__lt=cutoff,
        )
        | Q(status=MailMessage.Status.SENDING, claimed_at__lt=min(stale, cutoff))
    )
    # email_channel.tasks imports this module.
    from email_channel.tasks import mail_send_task

    queued = 0
    for mail_id in list(stuck.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            marked = stuck.filter(pk=mail_id).update(next_attempt_at=now, updated_at=now)
            if marked:
                mail_send_task.delay_on_commit(mail_id)
                queued += 1
    return queued


def _send_failed(mail: MailMessage, *, code: str, retry: bool) -> float | None:
    now = timezone.now()
    if retry and mail.attempts < settings.EMAIL_SEND_MAX_ATTEMPTS:
        retry_in = backoff_seconds(attempts=mail.attempts)
        MailMessage.objects.filter(pk=mail.pk).update(
            status=MailMessage.Status.RETRYING,
            error_code=code,
            claimed_at=None,
            next_attempt_at=now + timedelta(seconds=retry_in),
            updated_at=now,
        )
        logger.warning(
            "Mail %s not sent (%s), attempt %s; next in %.0f s",
            mail.pk,
            code,
            mail.attempts,
            retry_in,
        )
        return retry_in
    MailMessage.objects.filter(pk=mail.pk).update(
        status=MailMessage.Status.FAILED,
        error_code=code,
        claimed_at=None,
        next_attempt_at=None,
        updated_at=now,
    )
    logger.warning("Mail %s not sent: %s (gave up)", mail.pk, code)
    _agents_tell(mail, status=MailMessage.Status.FAILED)
    return None


def _agents_tell(mail: MailMessage, *, status: str) -> None:
    """The agents watching the conversation see what became of the reply."""
    conversation = mail.conversation
    with translation.override(conversation.language):
        detail = str(MailMessage.Status(status).label)
    events.conversation_event_publish(
        public_hex=conversation.public_id.hex,
        payload={
            "type": "delivery",
            "seq": mail.message.seq,
            "status": status,
            "reason": mail.error_code if status == MailMessage.Status.FAILED else "",
            "detail": detail,
        },
    )


# Personal data: export, erasure, housekeeping ---------------------------------------------


def _subject_conversation_ids(subject: DataSubject) -> tuple[list[int], list[int]]:
    """(the subject's own e-mail conversations, those of claims to the subject's address).

    Mail sent from an address, and our replies sent to it, belong to whoever proved the
    address (the e-mailed link, or staff): once the subject is verified, the threads of
    every unverified claim with that address are theirs too, for export and erasure. An
    unverified subject gets only its own conversations.
    """
    own = list(
        MailThread.objects.filter(conversation__subject=subject).values_list(
            "conversation_id", flat=True
        )
    )
    claimed: list[int] = []
    if subject.is_verified and subject.email_index:
        claimed = list(
            MailThread.objects.filter(customer_address_index=subject.email_index)
            .exclude(conversation__subject=subject)
            .values_list("conversation_id", flat=True)
        )
    return own, claimed


def subject_mail_references(subject: DataSubject) -> list:
    """Public ids of the subject's e-mail conversations, claims to their address included:
    records elsewhere that name only the conversation (webhook deliveries) are theirs too."""
    own, claimed = _subject_conversation_ids(subject)
    return list(
        Conversation.objects.filter(pk__in=own + claimed).values_list("public_id", flat=True)
    )


def subject_mails_export(subject: DataSubject) -> dict:
    """The subject's mails (Art. 15) as received and sent, with the conversation's text,
    and their attachments with their content (base64): files the person sent us."""
    own, claimed = _subject_conversation_ids(subject)
    ids = own + claimed
    mails = (
        MailMessage.objects.filter(conversation_id__in=ids)
        .exclude(status=MailMessage.Status.IGNORED)
        .select_related("conversation", "message")
        .order_by("id")
    )
    attachments = (
        Attachment.objects.filter(message__conversation_id__in=ids)
        .select_related("message__conversation")
        .order_by("id")
    )
    return {
        "mails": [
            {
                "conversation": str(mail.conversation.public_id),
                "direction": mail.direction,
                "subject": mail.subject,
                "from": mail.sender,
                "text": mail.body or (mail.message.text if mail.message_id else ""),
                "status": mail.status,
                "at": (mail.sent_at or mail.created_at).isoformat(),
            }
            for mail in mails
        ],
        "addresses": sorted(
            {
                thread.customer_address
                for thread in MailThread.objects.filter(conversation_id__in=ids)
            }
        ),
        "attachments": [
            {
                "conversation": str(attachment.message.conversation.public_id),
                "file_name": attachment.filename,
                "type": attachment.content_type,
                "size": attachment.size,
                "received_at": attachment.created_at.isoformat(),
                "content_base64": base64.b64encode(attachment.file.read()).decode("ascii"),
            }
            for attachment in attachments
        ],
    }


def subject_mails_erase(subject: DataSubject) -> dict[str, int]:
    """Before bot's conversations go: attachments (rows, and their encrypted files after
    commit), mails and threads of the subject's e-mail conversations; for a verified
    subject also the whole conversations of claims to their address, and those claims
    (the name a mail client put beside the address) once nothing else is theirs."""
    own, claimed = _subject_conversation_ids(subject)
    ids = own + claimed
    attachments = list(Attachment.objects.filter(message__conversation_id__in=ids))
    for attachment in attachments:
        attachment.delete()  # its file goes after commit (email_channel.apps)
    mails, _ = MailMessage.objects.filter(conversation_id__in=ids).delete()
    threads, _ = MailThread.objects.filter(conversation_id__in=ids).delete()
    claim_ids = set(
        Conversation.objects.filter(pk__in=claimed).values_list("subject_id", flat=True)
    )
    _total, conversations = Conversation.objects.filter(pk__in=claimed).delete()
    claims = list(
        DataSubject.objects.filter(pk__in=claim_ids, email_verified_at__isnull=True).filter(
            conversations__isnull=True
        )
    )
    for claim in claims:
        _claim_erase(claim)
    return {
        "attachments": len(attachments),
        "mails": mails,
        "mail_threads": threads,
        "claimed_conversations": conversations.get(Conversation._meta.label, 0),
        "claims": len(claims),
    }


def _claim_erase(claim: DataSubject) -> None:
    """A claim left with nothing of its own goes through every other provider, not by a
    bare delete: what hangs on the identity rather than on a conversation (questions the
    bot learnt from it, teachings whose conversation is gone) would otherwise stay behind
    unlinked, out of reach of any later erasure or objection."""
    for provider in provider_list():
        if provider.erase is not subject_mails_erase:
            provider.erase(claim)


def mail_housekeeping(*, now=None, batch_size: int = 1000) -> dict[str, int]:
    """Forget recorded automatic mails after EMAIL_IGNORED_KEEP_DAYS (they hold no content,
    only what recognises them again), attachment files left without a row, and follow-up
    addresses no longer needed (email_channel.follow_up.follow_up_addresses_release)."""
    # email_channel.follow_up imports this module.
    from email_channel.follow_up import follow_up_addresses_release

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EMAIL_IGNORED_KEEP_DAYS)
    ids = list(
        MailMessage.objects.filter(
            status=MailMessage.Status.IGNORED, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:batch_size]
    )
    ignored, _ = MailMessage.objects.filter(pk__in=ids).delete()
    return {
        "ignored_mails": ignored,
        "orphan_files": attachment_orphans_delete(),
        **follow_up_addresses_release(now=now, batch_size=batch_size),
    }


# The error code of a reply whose sending was given up on purpose (not by the server).
CANCELLED_CODE = "cancelled"


def mails_unsent_cancel(*, conversation_id: int, now=None) -> int | None:
    """Give up the conversation's replies still waiting to go out (retention reached the
    address they were to go to): each shows as "Not sent" (cancelled) on the conversation
    page and in the agents' delivery event. None while one is being sent right now (a
    fresh claim): the caller tries again on its next run."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=CLAIM_STALE_SECONDS)
    unsent = MailMessage.objects.filter(
        conversation_id=conversation_id, direction=MailMessage.Direction.OUTBOUND
    )
    if unsent.filter(status=MailMessage.Status.SENDING, claimed_at__gte=stale).exists():
        return None
    ids = list(
        unsent.filter(
            Q(status__in=[MailMessage.Status.PENDING, MailMessage.Status.RETRYING])
            | Q(status=MailMessage.Status.SENDING)
        ).values_list("pk", flat=True)
    )
    # Conditional, like the sender's claim: a mail sent meanwhile stays sent.
    cancelled = (
        MailMessage.objects.filter(pk__in=ids)
        .filter(
            Q(status__in=[MailMessage.Status.PENDING, MailMessage.Status.RETRYING])
            | Q(status=MailMessage.Status.SENDING, claimed_at__lt=stale)
        )
        .update(
            status=MailMessage.Status.FAILED,
            error_code=CANCELLED_CODE,
            claimed_at=None,
            next_attempt_at=None,
            updated_at=now,
        )
    )
    for mail in MailMessage.objects.filter(pk__in=ids, error_code=CANCELLED_CODE).select_related(
        "conversation", "message"
    ):
        logger.info("Mail %s not sent: cancelled", mail.pk)
        _agents_tell(mail, status=MailMessage.Status.FAILED)
    return cancelled


@transaction.atomic
def attachment_download_record(*, attachment: Attachment, acting_user) -> None:
    """A staff member downloads a customer's file (personal data): one audit event."""
    conversation = attachment.message.conversation
    audit_record(
        action="attachment.downloaded",
        acting_user=acting_user,
        target=attachment,
        subject=conversation.subject if conversation.subject_id else None,
        reason_code=AuditEvent.Reason.SUPPORT,
        details={"conversation": str(conversation.public_id), "seq": attachment.message.seq},
    )
