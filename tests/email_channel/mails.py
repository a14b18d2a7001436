"""Test mails as raw bytes, written the way mail clients write them."""

import mailbox as stdlib_mailbox
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def mail_bytes(
    *,
    sender: str = "Erika Mustermann <erika@example.net>",
    to: str = "support@shop.example",
    subject: str = "Wo bleibt meine Bestellung?",
    text: str = "Hallo, meine Bestellung ist noch nicht da. Viele Grüße, Erika",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="example.net")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, payload in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def maildir_mailbox_create(*, queue, folder, **fields):
    """A queue's mailbox reading a Maildir folder (the embedded default)."""
    from email_channel.models import Mailbox

    return Mailbox.objects.create(
        queue=queue,
        address="support@shop.example",
        source=Mailbox.Source.MAILDIR,
        maildir_path=str(folder),
        **fields,
    )


def maildir_deliver(mailbox, *raws: bytes) -> None:
    """Put raw mails into the mailbox's Maildir, as a mail server would (new/)."""
    folder = stdlib_mailbox.Maildir(mailbox.maildir_path, create=True)
    for raw in raws:
        folder.add(raw)
