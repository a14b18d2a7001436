import mailbox as stdlib_mailbox

import pytest

from email_channel.models import Mailbox
from email_channel.services import mailbox_fetch


@pytest.fixture
def maildir_mailbox(db, queue, tmp_path):
    """The queue's mailbox as a Maildir folder (the embedded default)."""
    return Mailbox.objects.create(
        queue=queue,
        address="support@shop.example",
        source=Mailbox.Source.MAILDIR,
        maildir_path=str(tmp_path / "Maildir"),
        signature_de="Ihr Nordlicht-Team",
        signature_en="Your Nordlicht team",
    )


@pytest.fixture
def deliver(maildir_mailbox):
    """Put raw mails into the mailbox's Maildir, as a mail server would (new/)."""

    def put(*raws: bytes) -> None:
        folder = stdlib_mailbox.Maildir(maildir_mailbox.maildir_path, create=True)
        for raw in raws:
            folder.add(raw)

    return put


@pytest.fixture
def fetch(maildir_mailbox, django_capture_on_commit_callbacks):
    """Fetch the mailbox as the beat task does; after-commit work runs."""

    def run() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return mailbox_fetch(mailbox_id=maildir_mailbox.pk)

    return run
