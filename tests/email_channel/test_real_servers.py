"""Acceptance of the e-mail channel's first slice against real servers: Dovecot (IMAP,
fetched by the same code as in production, no mocked client) and aiosmtpd (SMTP sink,
reached through EMAIL_URL as django-environ parses it)."""

import shutil
from email import message_from_bytes, policy

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from agents.services import conversation_reply
from bot.models import Conversation, Message
from email_channel.models import Attachment, Mailbox, MailMessage
from email_channel.services import mailbox_fetch
from supportdesk.settings.base import mailers_from_email_url
from tests.email_channel.mails import PDF_BYTES, mail_bytes
from tests.email_channel.servers import DOVECOT, dovecot_server, imap_append, smtp_sink

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

IMAP_USER, IMAP_PASSWORD = "support", "imap-test-password"


@pytest.fixture
def servers(settings):
    if not shutil.which(DOVECOT) and not shutil.os.path.exists(DOVECOT):
        raise ImproperlyConfigured("Dovecot is missing: run `make mailserver`.")
    with (
        dovecot_server(user=IMAP_USER, password=IMAP_PASSWORD) as imap,
        smtp_sink() as (
            sink,
            smtp_port,
        ),
    ):
        settings.MAILERS = mailers_from_email_url(f"smtp://127.0.0.1:{smtp_port}")
        yield imap, sink


@pytest.fixture
def imap_mailbox(queue, servers):
    imap, _sink = servers
    return Mailbox.objects.create(
        queue=queue,
        address="support@shop.example",
        source=Mailbox.Source.IMAP,
        imap_host="127.0.0.1",
        imap_port=imap.port,
        imap_security=Mailbox.Security.NONE,
        imap_user=IMAP_USER,
        imap_password=IMAP_PASSWORD,
        signature_de="Ihr Nordlicht-Team",
    )


def test_mail_in_over_imap_reply_out_over_smtp_threaded_deduplicated_auto_reply_ignored(
    servers,
    imap_mailbox,
    agent,
    celery_eager,
    django_capture_on_commit_callbacks,
    knowledge_base,
    client,
):
    imap, sink = servers

    def deliver(raw: bytes) -> None:
        imap_append(port=imap.port, user=IMAP_USER, password=IMAP_PASSWORD, raw=raw)

    def fetch() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return mailbox_fetch(mailbox_id=imap_mailbox.pk)

    # A mail with an attachment in the mailbox becomes a conversation.
    deliver(
        mail_bytes(
            message_id="<order-1@example.net>",
            attachments=[("Rechnung.pdf", "application/pdf", PDF_BYTES)],
        )
    )
    assert fetch()["stored"] == 1
    conversation = Conversation.objects.get(channel=Conversation.Channel.EMAIL)
    assert conversation.status == Conversation.Status.WAITING
    assert Attachment.objects.get().file.read() == PDF_BYTES
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == ""
    # The agent sees the bot's suggestions for the mail (intent, confidence, the text to
    # insert and edit).
    client.force_login(agent)
    page = client.get(reverse("agents:conversation", args=[conversation.public_id]))
    suggestion = page.context["suggestions"][0]
    assert suggestion["intent"] == "order_status" and suggestion["confidence"] > 0
    assert suggestion["text"] in page.content.decode()
    assert imap_mailbox.imap_last_uid == 1 and imap_mailbox.imap_uidvalidity

    # The agent's reply arrives at the SMTP server with the threading headers.
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Sie ist unterwegs.")
    ((recipients, raw_reply),) = sink.received
    reply = message_from_bytes(raw_reply, policy=policy.default)
    assert recipients == ["erika@example.net"]
    assert reply["In-Reply-To"] == "<order-1@example.net>"
    assert reply["References"] == "<order-1@example.net>"
    assert reply["Message-ID"].startswith("<sd.") and reply["Message-ID"].endswith("@shop.example>")
    assert "[#SD-" in reply["Subject"]
    assert "Sie ist unterwegs." in reply.get_body().get_content()
    sent = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    assert sent.status == MailMessage.Status.SENT

    # The customer's reply lands in the same conversation.
    deliver(
        mail_bytes(
            subject=f"AW: {reply['Subject']}",
            text="Danke, sie ist angekommen.\n\nAm 06.12.2026 schrieb Support:\n> unterwegs",
            in_reply_to=reply["Message-ID"],
            references=["<order-1@example.net>", reply["Message-ID"]],
        )
    )
    assert fetch()["stored"] == 1
    assert Conversation.objects.count() == 1
    last = conversation.messages.order_by("-seq").first()
    assert (last.sender, last.text) == (Message.Sender.CUSTOMER, "Danke, sie ist angekommen.")

    # An auto-reply is not answered (and starts nothing).
    deliver(
        mail_bytes(
            subject=f"Abwesend: {reply['Subject']}",
            in_reply_to=reply["Message-ID"],
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert fetch()["ignored"] == 1
    assert Conversation.objects.count() == 1
    assert len(sink.received) == 1

    # The same mails fetched twice are stored once (the folder read again from UID 1).
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(imap_last_uid=0)
    assert fetch() == {"stored": 0, "duplicate": 3, "ignored": 0, "failed": 0}
    assert Message.objects.filter(sender=Message.Sender.CUSTOMER).count() == 2


def test_a_wrong_password_is_a_fetch_error_without_server_text(servers, imap_mailbox):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(imap_password="wrong")
    assert mailbox_fetch(mailbox_id=imap_mailbox.pk)["stored"] == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == "imap_login"
