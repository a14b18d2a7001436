"""The e-mail channel on the embedded default (Maildir in, locmem mail out)."""

import smtplib
from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.db import connection

from agents.models import Assignment
from agents.services import conversation_reply, conversation_resolve_by_agent
from bot.models import Conversation, Message
from email_channel.models import Attachment, MailMessage, MailThread
from email_channel.services import mail_housekeeping, mail_send_attempt
from privacy.crypto import email_blind_index
from tests.email_channel.mails import PDF_BYTES, mail_bytes

pytestmark = pytest.mark.django_db(transaction=False)


def _conversation() -> Conversation:
    return Conversation.objects.get(channel=Conversation.Channel.EMAIL)


def test_a_mail_with_an_attachment_becomes_a_conversation_in_the_mailbox_queue(
    deliver, fetch, maildir_mailbox, queue
):
    deliver(mail_bytes(attachments=[("Rechnung Erika.pdf", "application/pdf", PDF_BYTES)]))

    counts = fetch()

    assert counts["stored"] == 1
    conversation = _conversation()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "email"
    assert Assignment.objects.get(conversation=conversation).queue == queue
    (message,) = conversation.messages.all()
    assert message.sender == Message.Sender.CUSTOMER
    assert message.text.startswith("Wo bleibt meine Bestellung?")
    # The sender's address is a claim: a new, unverified subject found by its blind index.
    subject = conversation.subject
    assert subject.email == "erika@example.net"
    assert subject.email_index == email_blind_index("erika@example.net")
    assert not subject.is_verified
    (attachment,) = Attachment.objects.filter(message=message)
    assert attachment.filename == "Rechnung Erika.pdf"
    assert attachment.file.read() == PDF_BYTES
    # Taken from new/ into cur/ (seen): the next run does not see it again.
    assert not list(Path(maildir_mailbox.maildir_path, "new").iterdir())


def test_mail_and_attachment_are_encrypted_at_rest(deliver, fetch):
    deliver(
        mail_bytes(
            text="Meine IBAN ist DE89 3704 0044 0532 0130 00.",
            attachments=[("Vertrag Mustermann.pdf", "application/pdf", PDF_BYTES)],
        )
    )
    fetch()
    attachment = Attachment.objects.get()
    stored = Path(attachment.file.storage.root(), attachment.file.name).read_bytes()
    assert PDF_BYTES not in stored and b"%PDF" not in stored
    assert "Mustermann" not in attachment.file.name
    with connection.cursor() as cursor:
        for table in (
            "email_channel_mailmessage",
            "email_channel_mailthread",
            "email_channel_attachment",
            "bot_message",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall())
            assert "0532 0130" not in dump, table
            assert "erika@example.net" not in dump, table
            assert "Mustermann" not in dump, table


def test_the_same_mail_fetched_twice_is_stored_once(deliver, fetch, maildir_mailbox):
    raw = mail_bytes(message_id="<same@example.net>")
    deliver(raw)
    fetch()
    deliver(raw)  # the server hands it over again (a lost \\Seen, a restored folder)

    counts = fetch()

    assert counts == {"stored": 0, "duplicate": 1, "ignored": 0, "failed": 0}
    assert Message.objects.count() == 1
    assert MailMessage.objects.count() == 1


def test_an_auto_reply_is_recorded_without_content_and_never_answered(deliver, fetch):
    deliver(
        mail_bytes(
            subject="Abwesenheitsnotiz",
            text="Ich bin bis Montag nicht im Büro.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )

    counts = fetch()

    assert counts["ignored"] == 1
    assert not Conversation.objects.exists()
    ignored = MailMessage.objects.get()
    assert ignored.kind == MailMessage.Kind.AUTO_REPLY
    assert ignored.status == MailMessage.Status.IGNORED
    assert ignored.body == "" and ignored.sender == "" and ignored.subject == ""
    assert django_mail.outbox == []


def test_our_own_mail_coming_back_is_a_loop(deliver, fetch):
    deliver(
        mail_bytes(sender="support@shop.example", message_id="<x1@shop.example>"),
        mail_bytes(message_id="<sd.0123456789abcdef0123456789abcdef@shop.example>"),
        mail_bytes(message_id="<x2@example.net>", headers={"X-Loop": "support@shop.example"}),
    )
    assert fetch()["ignored"] == 3
    assert set(MailMessage.objects.values_list("kind", flat=True)) == {MailMessage.Kind.LOOP}
    assert not Conversation.objects.exists()


@pytest.fixture
def answered(deliver, fetch, agent, celery_eager, django_capture_on_commit_callbacks):
    """A customer's mail, answered by the agent: (conversation, the reply as sent)."""
    deliver(mail_bytes(message_id="<first@example.net>"))
    fetch()
    conversation = _conversation()
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Sie ist unterwegs.")
    (sent,) = django_mail.outbox
    return conversation, sent


def test_an_agent_reply_goes_out_with_threading_headers_and_signature(answered):
    conversation, sent = answered
    thread = MailThread.objects.get(conversation=conversation)
    assert sent.to == ["erika@example.net"]
    assert sent.from_email.endswith("<support@shop.example>")
    assert sent.extra_headers["In-Reply-To"] == "<first@example.net>"
    assert sent.extra_headers["References"] == "<first@example.net>"
    assert sent.extra_headers["Message-ID"].startswith("<sd.")
    assert sent.subject == f"Re: Wo bleibt meine Bestellung? [#SD-{thread.reply_token}]"
    assert "Sie ist unterwegs." in sent.body
    assert "Ihr Nordlicht-Team" in sent.body
    assert "Antworten Sie einfach" in sent.body  # the German template: the conversation's language
    reply = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    assert reply.status == MailMessage.Status.SENT
    assert reply.message.sender == Message.Sender.AGENT


def test_the_customer_reply_lands_in_the_same_conversation(answered, deliver, fetch):
    conversation, sent = answered
    deliver(
        mail_bytes(
            subject=f"AW: {sent.subject}",
            text="Danke!\n\nAm 06.12.2026 schrieb Support <support@shop.example>:\n> unterwegs",
            in_reply_to=sent.extra_headers["Message-ID"],
            references=["<first@example.net>", sent.extra_headers["Message-ID"]],
        )
    )
    fetch()
    assert Conversation.objects.count() == 1
    last = conversation.messages.order_by("-seq").first()
    assert last.sender == Message.Sender.CUSTOMER
    assert last.text == "Danke!"
    inbound = MailMessage.objects.filter(direction="inbound").order_by("-id").first()
    assert "unterwegs" in inbound.body  # the quoted history, kept for agents


def test_the_reply_token_threads_when_headers_are_missing(answered, deliver, fetch):
    conversation, sent = answered
    deliver(mail_bytes(subject=sent.subject, text="Noch eine Frage."))
    fetch()
    assert Conversation.objects.count() == 1
    assert conversation.messages.order_by("-seq").first().text == "Noch eine Frage."


def test_a_reply_from_another_address_starts_its_own_conversation(answered, deliver, fetch):
    _conversation, sent = answered
    deliver(
        mail_bytes(
            sender="mallory@example.com",
            subject=sent.subject,
            in_reply_to=sent.extra_headers["Message-ID"],
        )
    )
    fetch()
    assert Conversation.objects.count() == 2


def test_a_reply_after_resolution_reopens_the_conversation(answered, agent, deliver, fetch):
    conversation, sent = answered
    conversation_resolve_by_agent(conversation=conversation, agent=agent)
    assert len(django_mail.outbox) == 1  # the system's resolution notice is not mailed
    deliver(mail_bytes(subject=sent.subject, in_reply_to=sent.extra_headers["Message-ID"]))
    fetch()
    conversation.refresh_from_db()
    # Back to the agent who had it, as in the chat.
    assert conversation.status == Conversation.Status.ASSIGNED
    assert conversation.escalation_reason == "customer_wrote_again"
    assert Conversation.objects.count() == 1


def test_a_closed_conversation_takes_no_more_mail(answered, deliver, fetch):
    conversation, sent = answered
    Conversation.objects.filter(pk=conversation.pk).update(
        status="closed", closed_at="2026-12-01T00:00:00Z", resolved_at="2026-12-01T00:00:00Z"
    )
    deliver(mail_bytes(subject=sent.subject, in_reply_to=sent.extra_headers["Message-ID"]))
    fetch()
    assert Conversation.objects.count() == 2


def test_attachments_beyond_the_limits_are_refused_and_noted(deliver, fetch, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    deliver(
        mail_bytes(
            attachments=[
                ("ok.pdf", "application/pdf", PDF_BYTES),
                ("big.pdf", "application/pdf", PDF_BYTES + b"x" * 2000),
                ("tool.exe", "application/x-msdownload", b"MZ\x90\x00"),
                ("fake.pdf", "application/pdf", b"MZ\x90\x00 not a pdf"),
            ]
        )
    )
    fetch()
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["ok.pdf"]
    reasons = [entry["reason"] for entry in MailMessage.objects.get().attachments_refused]
    assert reasons == ["too_large", "type_not_allowed", "type_mismatch"]


class _RefusingBackend:
    """A mailer whose server answers with the given SMTP error."""

    error: Exception = smtplib.SMTPServerDisconnected("gone")

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise type(self).error


def test_a_transient_smtp_failure_is_retried_with_backoff_then_given_up(
    deliver, fetch, agent, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}._RefusingBackend"}}
    settings.EMAIL_SEND_MAX_ATTEMPTS = 2
    settings.EMAIL_SEND_BACKOFF_SECONDS = 10
    deliver(mail_bytes())
    fetch()
    conversation_reply(conversation=_conversation(), agent=agent, text="Antwort")
    reply = MailMessage.objects.get(direction="outbound")

    assert mail_send_attempt(mail_id=reply.pk) == 10
    reply.refresh_from_db()
    assert (reply.status, reply.error_code) == ("retrying", "SMTPServerDisconnected")
    assert mail_send_attempt(mail_id=reply.pk) is None
    reply.refresh_from_db()
    assert reply.status == MailMessage.Status.FAILED
    assert mail_send_attempt(mail_id=reply.pk) is None  # nothing more to do
    assert reply.attempts == 2


def test_a_permanent_smtp_refusal_fails_at_once(deliver, fetch, agent, settings):
    _RefusingBackend.error = smtplib.SMTPRecipientsRefused(
        {"erika@example.net": (550, b"no such user")}
    )
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}._RefusingBackend"}}
    deliver(mail_bytes())
    fetch()
    conversation_reply(conversation=_conversation(), agent=agent, text="Antwort")
    reply = MailMessage.objects.get(direction="outbound")
    assert mail_send_attempt(mail_id=reply.pk) is None
    reply.refresh_from_db()
    assert (reply.status, reply.error_code) == ("failed", "smtp_550")
    _RefusingBackend.error = smtplib.SMTPServerDisconnected("gone")


def test_housekeeping_forgets_old_automatic_mails(deliver, fetch, settings):
    from datetime import timedelta

    from django.utils import timezone

    deliver(mail_bytes(headers={"Auto-Submitted": "auto-replied"}))
    fetch()
    settings.EMAIL_IGNORED_KEEP_DAYS = 30
    assert mail_housekeeping()["ignored_mails"] == 0
    counts = mail_housekeeping(now=timezone.now() + timedelta(days=31))
    assert counts["ignored_mails"] == 1


def test_a_mail_without_sender_is_ignored_and_the_others_go_on(deliver, fetch, maildir_mailbox):
    deliver(b"Subject: nobody wrote this\r\n\r\nbody\r\n", mail_bytes())
    counts = fetch()
    assert (counts["stored"], counts["ignored"]) == (1, 1)
    assert not list(Path(maildir_mailbox.maildir_path, "new").iterdir())


def test_a_sender_address_nobody_can_write_to_is_not_answered(deliver, fetch):
    deliver(mail_bytes(sender="kunde@example"), mail_bytes(sender="Jemand <jemand@@x..net>"))
    counts = fetch()
    assert (counts["ignored"], counts["failed"]) == (2, 0)
    assert not Conversation.objects.exists()


def test_a_mail_that_fails_to_store_stays_for_the_next_run(
    deliver, fetch, maildir_mailbox, monkeypatch
):
    from email_channel import services

    deliver(mail_bytes())
    real = services._personal_mail_store
    monkeypatch.setattr(services, "_personal_mail_store", lambda *a: 1 / 0)
    assert fetch()["failed"] == 1
    maildir_mailbox.refresh_from_db()
    assert maildir_mailbox.last_error == "mail_failed"
    assert len(list(Path(maildir_mailbox.maildir_path, "new").iterdir())) == 1
    monkeypatch.setattr(services, "_personal_mail_store", real)
    assert fetch()["stored"] == 1


def test_a_reply_whose_task_was_lost_is_queued_again_and_sent_once(
    deliver, fetch, agent, settings, celery_eager, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from email_channel.services import mail_sends_requeue

    deliver(mail_bytes())
    fetch()
    # The reply's transaction committed, but its task never ran (on_commit not executed).
    conversation_reply(conversation=_conversation(), agent=agent, text="Antwort")
    assert django_mail.outbox == []
    later = timezone.now() + timedelta(seconds=settings.JOBS_STUCK_AFTER_SECONDS + 60)

    assert mail_sends_requeue(now=timezone.now()) == 0  # not stuck yet
    with django_capture_on_commit_callbacks(execute=True):
        assert mail_sends_requeue(now=later) == 1
    assert len(django_mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert mail_sends_requeue(now=later + timedelta(hours=1)) == 0  # sent: never again
    assert len(django_mail.outbox) == 1


def test_a_reply_after_the_mailbox_was_removed_is_shown_as_not_sent(
    deliver, fetch, agent, maildir_mailbox
):
    deliver(mail_bytes())
    fetch()
    maildir_mailbox.delete()

    conversation_reply(conversation=_conversation(), agent=agent, text="Antwort")

    reply = MailMessage.objects.get(direction="outbound")
    assert (reply.status, reply.error_code) == ("failed", "no_mailbox")
    assert django_mail.outbox == []


def test_a_subject_line_with_a_line_break_is_sent_on_one_line(
    deliver, fetch, agent, celery_eager, django_capture_on_commit_callbacks
):
    """A thread's subject may come from a contact form's subject field, where a carriage
    return is a character like any other; a header may hold none, and the reply failed
    with a ValueError on every attempt (never marked as not sent)."""
    deliver(mail_bytes())
    fetch()
    conversation = _conversation()
    thread = MailThread.objects.get(conversation=conversation)
    thread.subject = "Frage zur\rRechnung"
    thread.save(update_fields=["subject"])

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Gern.")

    (sent,) = django_mail.outbox
    assert sent.subject == f"Re: Frage zur Rechnung [#SD-{thread.reply_token}]"
    assert MailMessage.objects.get(direction="outbound").status == MailMessage.Status.SENT


class _BrokenBackend(_RefusingBackend):
    """A mailer (or the rendering before it) failing with no SMTP error, its message
    quoting the recipient, as Django's address checks do."""

    error = ValueError('Invalid address "erika@example.net"')


def test_a_reply_that_fails_outside_smtp_is_marked_not_sent_once(
    deliver, fetch, agent, settings, caplog
):
    """It was left "sending": the sweeper queued it again and again, each attempt failing
    the same way, and the agent was never told."""
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}._BrokenBackend"}}
    deliver(mail_bytes())
    fetch()
    conversation_reply(conversation=_conversation(), agent=agent, text="Antwort")
    reply = MailMessage.objects.get(direction="outbound")

    assert mail_send_attempt(mail_id=reply.pk) is None

    reply.refresh_from_db()
    assert (reply.status, reply.error_code, reply.attempts) == ("failed", "ValueError", 1)
    assert "erika@example.net" not in caplog.text
