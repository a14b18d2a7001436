"""The demo's mailbox (`make run`): the German queue's mail comes from a Maildir folder,
EMAIL_DEMO_MAILDIR (var/maildir), so e-mail is shown without a mail server. A sample mail
waits there on the first run; beat fetches it within a minute. Put more mails into its
new/ folder to try it."""

import mailbox as stdlib_mailbox
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from agents.models import Queue
from email_channel.models import Mailbox

DEMO_QUEUE_SLUG = "kundenservice-de"
DEMO_ADDRESS = "support@nordlicht-shop.example"
# Fictional, like the demo's other customers (agents/demo.py).
DEMO_MAIL = {
    "From": "Hannelore Beispiel <hannelore.beispiel@example.org>",
    "Subject": "Rücksendung meiner Jacke",
    "text": (
        "Guten Tag,\n\nich möchte die Winterjacke aus meiner letzten Bestellung zurückschicken; "
        "sie ist zu klein. Das Foto vom Etikett hänge ich an.\n\nViele Grüße\nHannelore Beispiel"
    ),
}
# The smallest valid PNG (1 × 1 pixel), as the sample attachment.
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def demo_maildir() -> Path:
    return Path(settings.EMAIL_DEMO_MAILDIR)


def demo_mailbox_create() -> Mailbox | None:
    """The demo queue's Maildir mailbox, and the sample mail the first time. Safe to run
    twice (nothing is added to an existing mailbox)."""
    queue = Queue.objects.filter(slug=DEMO_QUEUE_SLUG).first()
    if queue is None:
        return None
    mailbox, created = Mailbox.objects.get_or_create(
        queue=queue,
        defaults={
            "address": DEMO_ADDRESS,
            "source": Mailbox.Source.MAILDIR,
            "maildir_path": str(demo_maildir()),
            "signature_de": "Ihr Kundenservice von Nordlicht",
            "signature_en": "Your Nordlicht customer service",
        },
    )
    if created:
        message = EmailMessage()
        message["From"] = DEMO_MAIL["From"]
        message["To"] = DEMO_ADDRESS
        message["Subject"] = DEMO_MAIL["Subject"]
        message["Date"] = format_datetime(timezone.now())
        message["Message-ID"] = make_msgid(domain="example.org")
        message.set_content(DEMO_MAIL["text"])
        message.add_attachment(DEMO_PNG, maintype="image", subtype="png", filename="etikett.png")
        stdlib_mailbox.Maildir(demo_maildir(), create=True).add(bytes(message))
    return mailbox
